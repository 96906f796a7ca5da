"""The warnings and errors gathered while one order is mapped."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecom.mapping.draft import Note


@dataclass
class Notes:
    """Collects every problem with an order, so the admin sees them all at once, not one per run."""

    warnings: list[Note] = field(default_factory=list)
    errors: list[Note] = field(default_factory=list)

    def warn(self, rule: str, message: str) -> None:
        self.warnings.append(Note(rule=rule, message=message))

    def error(self, rule: str, message: str) -> None:
        self.errors.append(Note(rule=rule, message=message))
