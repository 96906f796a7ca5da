"""Custom Cart items: which back-office items the cart carries and how its item codes map to SKUs.

The item mapper lives in the integration's driver options (``general.driver_options``), so it is
stored with the integration and every worker reads the same one:

``items``
    the explicit table, ``{"<cart's item code>": "<back-office SKU>", ...}``; managed with
    ``ecom integration items NAME import|export|list`` (CSV ``cart_item,sku``).
``item_expression``
    a Jinja2 expression over the cart's order line, ``line`` (the line's public JSON form),
    giving the SKU, e.g. ``line.sku | upper`` or ``"{{ line.sku | replace('LEG-', '') }}"``; an
    empty result means "not mapped". It runs in the core's bounded sandbox (:mod:`ecom.sandbox`):
    what the text shows is refused when the setting is read, what the values decide when it runs.

Both may be set: the table first, then the expression. With neither, the cart's codes are the
SKUs. Used by order import (each line's code resolved to a SKU, or the order fails with the
unmapped code named), by the inventory push (with a table, only the items it lists are carried,
and the request names the cart's code) and by product export (the cart's code in the request).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecom.errors import ConfigError
from ecom.records import CartOrder

from ecom.sandbox import Expression, SandboxError

TABLE = "items"
EXPRESSION = "item_expression"


class UnmappedItem(ValueError):
    """An order line whose cart item code maps to no SKU."""


class ExpressionError(ValueError):
    """The item expression failed on one line: the setting, the expression and why."""


@dataclass
class ItemMap:
    """The item mapper of one integration (see the module docstring)."""

    table: dict[str, str] = field(default_factory=dict)
    expression: Expression | None = None
    expression_text: str = ""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ItemMap:
        """Read ``items`` and ``item_expression``; a bad value is a ConfigError naming the option."""
        table = options.get(TABLE) or {}
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in table.items()):
            raise ConfigError(f"general.driver_options.{TABLE} must map the cart's item codes to SKUs (text to text).")
        text = options.get(EXPRESSION)
        if text is not None and not (isinstance(text, str) and text.strip()):
            raise ConfigError(f"general.driver_options.{EXPRESSION} must be a Jinja2 expression (text).")
        expression = None
        if text:
            whole = text if "{{" in text or "{%" in text else "{{ " + text + " }}"  # a bare expression keeps its value
            try:
                expression = Expression(whole)
            except SandboxError as exc:
                raise ConfigError(f"general.driver_options.{EXPRESSION}: {text!r} {exc}") from None
        return cls(table=dict(table), expression=expression, expression_text=text or "")

    @property
    def active(self) -> bool:
        return bool(self.table or self.expression)

    def sku(self, line: Mapping[str, Any]) -> str:
        """The back-office SKU of a cart line (its public JSON form, ``sku`` = the cart's code)."""
        code = line.get("sku") or ""
        if code in self.table:
            return self.table[code]
        if self.expression is not None:
            try:
                value = self.expression(line=dict(line))
            except SandboxError as exc:
                raise ExpressionError(f"general.driver_options.{EXPRESSION}: {self.expression_text!r} {exc}") from None
            if value not in (None, "") and str(value).strip():
                return str(value).strip()
        elif not self.table:
            return code
        raise UnmappedItem(f"cart item {code or line.get('name') or line.get('external_id')!r} maps to no SKU "
                           "(add it to the item table: ecom integration items NAME import)")

    def resolve(self, order: CartOrder) -> CartOrder:
        """The order with each line's SKU resolved; raises :class:`UnmappedItem` naming the code."""
        if not self.active:
            return order
        lines = []
        for line in order.lines:
            try:
                sku = self.sku(line.model_dump(mode="json"))
            except (UnmappedItem, ValueError) as exc:
                raise UnmappedItem(f"Order {order.number}: {exc}") from None
            lines.append(line.model_copy(update={"sku": sku, "raw": {**line.raw, "cart_item": line.sku}}))
        return order.model_copy(update={"lines": lines})

    def carried(self, sku: str) -> bool:
        """Whether the cart carries this back-office item (with a table, only the ones it lists)."""
        return not self.table or sku in self._codes

    def code(self, sku: str) -> str:
        """The cart's item code for a back-office SKU (the SKU itself when the table has none)."""
        return self._codes.get(sku, sku)

    @property
    def _codes(self) -> dict[str, str]:
        return {sku: code for code, sku in sorted(self.table.items())}
