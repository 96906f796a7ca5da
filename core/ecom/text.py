"""Lines of aligned text: ``key  value`` pairs and tables, as the CLI and the web admin's Preview print them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def aligned(pairs: Sequence[tuple[str, Sequence[str] | str]], indent: str = "  ") -> list[str]:
    """``key  value`` lines with the values in one column; a value of several lines continues under it."""
    width = max((len(key) for key, _ in pairs), default=0)
    lines = []
    for key, value in pairs:
        values = [value] if isinstance(value, str) else list(value) or ["-"]
        lines.append(f"{indent}{key:<{width}}  {values[0]}".rstrip())
        lines += [f"{indent}{'':<{width}}  {more}".rstrip() for more in values[1:]]
    return lines


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = (), indent: str = "  ") -> list[str]:
    """Rows under headers, columns aligned; columns named in ``right`` align right."""
    text = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in text)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return indent + "  ".join(
            c.rjust(w) if h in right else c.ljust(w) for c, w, h in zip(cells, widths, headers, strict=True)
        ).rstrip()

    return [line(headers), *(line(row) for row in text)]
