"""The Integration Editor's form, built from the settings model (:class:`ecom.settings.IntegrationSettings`).

Each setting becomes one form field, its kind read from the model's type: a checkbox for
true/false, a menu for a fixed set of values (``Literal``) or for a name from a back-office list
(the settings :data:`ecom.integration_checks.REFERENCES` names, with the list read from the
database), a number, a time, several ticks for a list of known values, one line each for a list
of texts. Tables and lists of rows are grids (:data:`GRIDS`). Saving turns the form back into the
plain data of an integration file (:func:`document_from_form`) for
:func:`ecom.integration_file.apply_text`, the one place settings are checked, so the editor says
exactly what ``ecom integration apply`` says; :func:`place_problems` puts each problem beside the
field or grid row its path names.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from ecom import integration_checks as checks
from ecom.integration_checks import REFERENCES, SUGGEST_LIMIT, Kind, Problem
from ecom.integration_file import option_text, option_value, unwrap_optional
from ecom.records import CartInfo
from ecom.settings import IntegrationSettings

# (tab id, title, the settings sections whose fields it shows)
TABS = (
    ("general", "General", ("general", "notify")),
    ("preferences", "Preferences", ("preferences",)),
    ("sales_tax", "Sales Tax Mapping", ("sales_tax",)),
    ("shipping", "Ship Method Mapping", ("shipping",)),
    ("payments", "Payment Method Mapping", ("payments",)),
    ("discounts", "Discount Mapping", ("discounts",)),
    ("items", "Custom Cart items", ()),
    ("schedule", "Schedule", ("schedule",)),
)
ITEM_TABLE = "items"  # general.driver_options.items: the cart's item code → SKU (`ecom integration items`)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind | None = None  # a choice from this back-office list; None = typed text
    optional: bool = False
    long: bool = False  # a text box of several lines


@dataclass(frozen=True)
class Grid:
    """A table or a list of rows of the settings, edited row by row on tab ``tab``.

    ``path`` is where it sits in the settings (``("shipping", "methods")``). A ``table`` grid is
    a TOML table ``{first column: second column}``; ``options`` reads and writes the second
    column as driver options do (:func:`ecom.integration_file.option_value`)."""

    id: str
    tab: str
    path: tuple[str, ...]
    title: str
    columns: tuple[Column, ...]
    table: bool = False
    options: bool = False

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


GRIDS = {
    grid.id: grid
    for grid in (
        Grid("location_map", "general", ("general", "location_map"), "Location map: back-office location → the cart's location",
             (Column("location", "Location", checks.LOCATION), Column("cart_location", "Cart location (name or id)")), table=True),
        Grid("driver_options", "general", ("general", "driver_options"), "Driver options (the driver's documentation names them)",
             (Column("option", "Option"), Column("value", "Value (text, or a TOML value: true, 12, { a = \"b\" })", long=True)),
             table=True, options=True),
        Grid("states", "sales_tax", ("sales_tax", "states"), "Item sales tax by state (taxable customers)",
             (Column("state", "State"), Column("item_tax", "Item sales tax", checks.ITEM_SALES_TAX)), table=True),
        Grid("ship_methods", "shipping", ("shipping", "methods"), "Cart ship method → ship method",
             (Column("cart_method", "Cart ship method"), Column("cart_carrier", "Cart carrier", optional=True),
              Column("method", "Ship method", checks.SHIP_METHOD))),
        Grid("payment_methods", "payments", ("payments", "methods"), "Cart payment method → payment method and term",
             (Column("cart_method", "Cart payment method"), Column("method", "Payment method", checks.PAYMENT_METHOD),
              Column("term", "Term", checks.TERM, optional=True))),
        Grid("discount_codes", "discounts", ("discounts", "codes"), "Cart discount code → discount",
             (Column("cart_code", "Cart code"), Column("discount", "Discount", checks.DISCOUNT))),
        Grid("cart_items", "items", ("general", "cart_items"), "The items the cart carries: SKU → the cart's item id",
             (Column("sku", "SKU", checks.ITEM), Column("cart_id", "Cart item id"))),
        Grid("item_table", "items", ("general", "driver_options", ITEM_TABLE), "Item table: the cart's item code → SKU",
             (Column("cart_item", "Cart item code"), Column("sku", "SKU", checks.ITEM)), table=True),
    )
}  # fmt: skip
GRID_PATHS = {grid.path for grid in GRIDS.values()}
_KIND_OF = dict(REFERENCES)


@dataclass(frozen=True)
class Field:
    """One setting as a form field: ``path`` as files spell it (``preferences.class``)."""

    path: str
    label: str
    widget: str  # checkbox, select, text, number, time, multi (ticks), lines (one per line)
    hint: str = ""
    choices: tuple[str, ...] = ()  # fixed values (Literal, enum)
    kind: Kind | None = None  # or a back-office list
    optional: bool = True
    step: str = ""  # number: "1" or "any"
    cart_list: str = ""  # or the cart's own list (a key of :func:`cart_choices`)

    @property
    def name(self) -> str:
        return "f." + self.path

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")


LABELS = {  # where the SPEC's words are not the key's
    "general.include_buildable": "Calculate items that can be made", "general.include_on_po": "Include inventory on purchase order",
    "general.include_vendor_qty": "Include item vendor quantity", "preferences.ship_to_match": "Ship-to match",
    "preferences.location": "Default location", "preferences.class": "Default class",
    "preferences.web_order_number_field": "Map web order number to", "preferences.hold_if_total_over": "Hold if total over",
    "sales_tax.home_country": "Home country (2 letters)", "schedule.time": "Time of day",
}  # fmt: skip


CART_LISTS = {"preferences.cart_status_after_import": "cart status"}


def _field(section: str, key: str, info: Any) -> Field:
    path = f"{section}.{key}"
    annotation = unwrap_optional(info.annotation)
    optional = annotation is not info.annotation or not info.is_required()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    label = LABELS.get(path) or key.strip("_").replace("_", " ").capitalize()
    hint = info.description or ""
    if annotation is bool:
        return Field(path, label, "checkbox", hint)
    if annotation is int:
        return Field(path, label, "number", hint, step="1")
    if annotation is Decimal:
        return Field(path, label, "number", hint, step="any")
    if annotation is dt.time:
        return Field(path, label, "time", hint)
    if origin is typing.Literal:
        return Field(path, label, "select", hint, choices=tuple(str(a) for a in args), optional=info.default is None)
    if path in CART_LISTS:  # a menu when the cart's driver lists the values, else typed
        return Field(path, label, "select", hint, cart_list=CART_LISTS[path], optional=optional)
    if annotation is str:
        return Field(path, label, "select" if path in _KIND_OF else "text", hint, kind=_KIND_OF.get(path), optional=optional)
    if origin is list and args:
        inner = args[0]
        if isinstance(inner, type) and issubclass(inner, enum.Enum):
            return Field(path, label, "multi", hint, choices=tuple(str(e.value) for e in inner))
        if inner is str:
            kind = _KIND_OF.get(path + "[]")
            return Field(path, label, "multi" if kind else "lines", hint or ("" if kind else "one a line"), kind=kind)
    raise TypeError(f"the editor has no form field for setting {path} ({info.annotation})")


def _fields() -> dict[str, list[Field]]:
    """Each section's fields, in the model's order (grids apart)."""
    found: dict[str, list[Field]] = {}
    for section, section_info in IntegrationSettings.model_fields.items():
        model = section_info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        found[section] = []
        for name, info in model.model_fields.items():
            key = info.alias or name
            if (section, key) in GRID_PATHS:
                continue
            found[section].append(_field(section, key, info))
    return found


FIELDS = _fields()
ALL_FIELDS = {field.path: field for fields in FIELDS.values() for field in fields}


# --- settings → form -------------------------------------------------------------------------


def form_values(document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    """``(fields, grid rows)`` as the form shows them, from an integration file's data."""
    fields: dict[str, Any] = {}
    for path, field in ALL_FIELDS.items():
        section, key = path.split(".", 1)
        value = document.get(section, {}).get(key)
        if field.widget == "checkbox":
            fields[path] = bool(value)
        elif field.widget == "multi":
            fields[path] = [str(v) for v in value or []]
        elif field.widget == "lines":
            fields[path] = "\n".join(str(v) for v in value or [])
        elif isinstance(value, dt.time):
            fields[path] = value.strftime("%H:%M")
        else:
            fields[path] = "" if value is None else str(value)
    rows: dict[str, list[dict[str, str]]] = {}
    for grid in GRIDS.values():
        value = _get(document, grid.path)
        if grid.id == "driver_options" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != ITEM_TABLE}
        first, second = (c.key for c in grid.columns[:2])
        if grid.table:
            show = option_text if grid.options else str
            rows[grid.id] = [{first: str(k), second: show(v)} for k, v in (value or {}).items()]
        else:
            rows[grid.id] = [{c.key: "" if row.get(c.key) is None else str(row.get(c.key)) for c in grid.columns} for row in value or []]
    return fields, rows


def _get(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = document
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


# --- form → settings -------------------------------------------------------------------------

GRID_FIELD = re.compile(r"^grid\.(\w+)\.(\d+)\.(\w+)$")


def read_form(form: Any) -> tuple[dict[str, Any], dict[str, list[dict[str, str]]]]:
    """``(fields, grid rows)`` as posted, to show again as typed; a grid row ticked for deletion
    or left wholly empty is dropped."""
    fields: dict[str, Any] = {}
    for path, field in ALL_FIELDS.items():
        if field.widget == "checkbox":
            fields[path] = form.get(field.name) == "on"
        elif field.widget == "multi":  # ticks, or one a line when the list is too long for ticks
            fields[path] = [line.strip() for v in form.getlist(field.name) for line in str(v).splitlines() if line.strip()]
        else:
            fields[path] = str(form.get(field.name, ""))
    found: dict[str, dict[int, dict[str, str]]] = {grid: {} for grid in GRIDS}
    for name, value in form.multi_items():
        match = GRID_FIELD.match(name)
        if match and match[1] in GRIDS:
            text = str(value).replace("\r\n", "\n")
            found[match[1]].setdefault(int(match[2]), {})[match[3]] = text if GRIDS[match[1]].options else text.strip()
    rows: dict[str, list[dict[str, str]]] = {}
    for grid_id, by_index in found.items():
        columns = [c.key for c in GRIDS[grid_id].columns]
        rows[grid_id] = [
            {k: row.get(k, "") for k in columns}
            for _i, row in sorted(by_index.items())
            if not row.get("delete") and any(row.get(k, "").strip() for k in columns)
        ]
    return fields, rows


def settings_document(fields: dict[str, Any], rows: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """The settings sections of an integration file from the form: a field left empty is left
    out (its default), text is passed as typed, so the settings model checks and converts it as
    it does a file's."""
    document: dict[str, Any] = {section: {} for section in FIELDS}
    for path, field in ALL_FIELDS.items():
        section, key = path.split(".", 1)
        value = fields.get(path)
        if field.widget == "checkbox":
            document[section][key] = bool(value)
        elif field.widget == "multi":
            document[section][key] = list(value or [])
        elif field.widget == "lines":
            document[section][key] = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        elif str(value or "").strip():
            document[section][key] = str(value).strip()
    for grid in GRIDS.values():
        grid_rows = rows.get(grid.id, [])
        if grid.table:
            first, second = (c.key for c in grid.columns[:2])
            read = option_value if grid.options else str
            value: Any = {row[first].strip(): read(row[second]) for row in grid_rows}
        else:
            value = [{c.key: row[c.key] for c in grid.columns if row[c.key] or not c.optional} for row in grid_rows]
        if grid.id == "item_table" and not value:
            continue  # no item table, no key: the driver reads the cart's item codes as SKUs
        node = document
        for part in grid.path[:-1]:  # driver_options comes before its item table in GRIDS
            node = node.setdefault(part, {})
        node[grid.path[-1]] = value
    return document


# --- problems beside their fields ------------------------------------------------------------


@dataclass
class Placed:
    """Where each problem goes: beside a field (by path), a grid row (grid id, row), a grid, a tab, or the top."""

    fields: dict[str, list[str]]
    rows: dict[tuple[str, int], list[str]]
    grids: dict[str, list[str]]
    tabs: dict[str, list[str]]  # said at the top of the tab
    counts: dict[str, int]  # problems per tab, for the tab's mark
    top: list[str]


SECTION_TAB = {section: tab for tab, _title, sections in TABS for section in sections}
CONNECTION = ("name", "cart", "active", "website_name", "api_url", "username", "password", "password_env")


def place_problems(problems: list[Problem], rows: dict[str, list[dict[str, str]]]) -> Placed:
    placed = Placed({}, {}, {}, {tab: [] for tab, _t, _s in TABS}, {tab: 0 for tab, _t, _s in TABS}, [])
    by_length = sorted(GRIDS.values(), key=lambda g: -len(g.dotted))
    for problem in problems:
        path, text = problem.path, str(problem)
        bare = path.removeprefix("connection.")
        if bare in CONNECTION or path == "connection":
            placed.fields.setdefault(bare if bare in CONNECTION else "connection", []).append(text)
            placed.counts["general"] += 1
            continue
        grid = next((g for g in by_length if _under(path, g.dotted)), None)
        if grid is not None:
            placed.counts[grid.tab] += 1
            index = _row(grid, path[len(grid.dotted):], rows.get(grid.id, []))
            if index is None:
                placed.grids.setdefault(grid.id, []).append(text)
            else:
                placed.rows.setdefault((grid.id, index), []).append(text)
            continue
        field = next((f for f in ALL_FIELDS if _under(path, f)), None)
        if field is not None:
            placed.fields.setdefault(field, []).append(text)
            placed.counts[SECTION_TAB[field.split(".", 1)[0]]] += 1
        elif path.split(".", 1)[0] in SECTION_TAB:
            tab = SECTION_TAB[path.split(".", 1)[0]]
            placed.tabs[tab].append(text)
            placed.counts[tab] += 1
        else:
            placed.top.append(text)
    return placed


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


def _row(grid: Grid, rest: str, rows: list[dict[str, str]]) -> int | None:
    """The row of ``grid`` a problem's path names after the grid's own path (``[2].method``, ``.NY``)."""
    if match := re.match(r"^\[(\d+)\]", rest):
        index = int(match[1])
        return index if index < len(rows) else None
    if grid.table and rest.startswith("."):
        key = rest[1:].split(".", 1)[0]
        first = grid.columns[0].key
        return next((i for i, row in enumerate(rows) if row[first].strip().casefold() == key.casefold()), None)
    return None


# --- the back office's lists -----------------------------------------------------------------


def cart_choices(info: CartInfo | None, fields: dict[str, Any], rows: dict[str, list[dict[str, str]]]) -> dict[str, list[str] | None]:
    """The lists the cart's driver gives, by :attr:`Field.cart_list`, for the form as it stands;
    None where any text goes."""
    options = settings_document(fields, rows)["general"].get("driver_options", {})
    return {"cart status": checks.after_import_statuses(info, options)}


def choices(session: Session) -> dict[str, list[str] | None]:
    """The names each back-office list offers, by its label; None for a list too long for a menu
    (its field is typed)."""
    kinds = {f.kind for f in ALL_FIELDS.values() if f.kind} | {c.kind for g in GRIDS.values() for c in g.columns if c.kind}
    lists: dict[str, list[str] | None] = {}
    for kind in kinds:
        column = getattr(kind.model, kind.column)
        names = list(session.exec(select(column).where(*kind.where()).order_by(column).limit(SUGGEST_LIMIT + 1)))
        lists[kind.label] = names if len(names) <= SUGGEST_LIMIT else None
    return lists
