"""CSV import of the back-office lists: one declarative spec per kind, all or nothing.

Each KIND (``items``, ``stock``, ``customers``, ...) is a :class:`Spec`: its table, its columns
(how a cell is read, whether it is required, which list a name or SKU refers to) and the columns
that identify a row. :func:`import_csv` reads a whole file before it writes anything; when any row
is bad it raises one :class:`~ecom.errors.ConfigError` listing every bad row by the row number a
spreadsheet shows (the header is row 1), the column and the reason, and imports nothing.
Otherwise each row creates its record or updates the one with the same key (SKU, name, ...), so
re-importing a file never duplicates anything; the counts say what happened.

Rules a file follows: UTF-8, comma-separated, a header row; header names are matched without
regard to case, spaces or hyphens; a column left out of the header is left alone on update; an
empty cell means the column's default. ``docs/csv-import.md`` is generated from the specs
(``python -m ecom.importer > docs/csv-import.md``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from ecom import db
from ecom.errors import ConfigError
from ecom.models import (
    BomLine,
    CustomField,
    CustomFieldTarget,
    Customer,
    CustomerType,
    Discount,
    Item,
    ItemGroup,
    ItemSalesTax,
    ItemType,
    ItemVendor,
    Location,
    PaymentMethod,
    PurchaseOrderLine,
    SalesRep,
    SalesTaxCode,
    ShipMethod,
    ShipTo,
    Stock,
    Term,
    TermType,
    TransactionClass,
)

# --- reading one cell ------------------------------------------------------------------------


@dataclass(frozen=True)
class Parser:
    """Turns a non-empty cell into a value, or raises ValueError with the reason in words."""

    name: str  # shown in the docs' "format" column
    read: Callable[[str], Any]


def _text(cell: str) -> str:
    return cell


def _decimal(cell: str) -> Decimal:
    try:
        number = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f'"{cell}" is not a number') from None
    if not number.is_finite():
        raise ValueError(f'"{cell}" is not a number')
    return number


def _non_negative(cell: str) -> Decimal:
    number = _decimal(cell)
    if number < 0:
        raise ValueError(f"{cell} is negative; it must be 0 or more")
    return number


def _positive(cell: str) -> Decimal:
    number = _decimal(cell)
    if number <= 0:
        raise ValueError(f"{cell} must be greater than 0")
    return number


def _rate(cell: str) -> Decimal:
    if cell.endswith("%"):
        rate = _decimal(cell[:-1].strip()) / 100
    else:
        rate = _decimal(cell)
        if rate > 1:
            raise ValueError(f"{cell} is more than 1: write a rate as a fraction (0.08875) or a percentage (8.875%)")
    if rate < 0:
        raise ValueError(f"{cell} is negative")
    return rate


TRUE = {"true", "yes", "y", "1", "x"}
FALSE = {"false", "no", "n", "0"}


def _boolean(cell: str) -> bool:
    word = cell.lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f'"{cell}" is not yes or no (write true/false, yes/no or 1/0)')


def _email(cell: str) -> str:
    if "@" not in cell or " " in cell:
        raise ValueError(f'"{cell}" is not an email address')
    return cell


def _choice(enum_class: type[Any]) -> Parser:
    by_word = {_normalise(member.value): member for member in enum_class}

    def read(cell: str) -> Any:
        member = by_word.get(_normalise(cell))
        if member is None:
            raise ValueError(f'"{cell}" is not one of: {", ".join(m.value for m in enum_class)}')
        return member

    return Parser(" / ".join(m.value for m in enum_class), read)


def _normalise(word: str) -> str:
    """How header names and choices are matched: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", word.strip().lower())


TEXT = Parser("text", _text)
NUMBER = Parser("number", _decimal)
QUANTITY = Parser("number, 0 or more", _non_negative)
PER_ASSEMBLY = Parser("number, more than 0", _positive)
RATE = Parser("rate: 0.08875 or 8.875%", _rate)
BOOLEAN = Parser("true / false", _boolean)
EMAIL = Parser("email address", _email)


# --- specs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A cell naming a row of another list: ``noun "X" does not exist`` when it is not there."""

    model: type[SQLModel]
    by: str  # the attribute the cell is matched with: name, sku
    noun: str
    item_types: tuple[ItemType, ...] = ()  # an item reference may require these types


ITEM = Ref(Item, "sku", "item")


@dataclass(frozen=True)
class Column:
    """One CSV column: how it is read and which attribute of the record it sets."""

    name: str
    help: str
    parser: Parser = TEXT
    required: bool = False
    ref: Ref | None = None
    attr: str | None = None  # default: the column name, or "<name>_id" for a reference

    @property
    def target(self) -> str:
        if self.attr:
            return self.attr
        return f"{self.name}_id" if self.ref else self.name

    @property
    def format(self) -> str:
        if self.ref is None:
            return self.parser.name
        restricted = f" of type {' or '.join(t.value for t in self.ref.item_types)}" if self.ref.item_types else ""
        return f"{self.ref.noun} {self.ref.by}{restricted}"


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell or row: the spreadsheet row number, the column, the reason."""

    row: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.reason}"


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]  # attribute -> value, references resolved to ids
    cells: dict[str, str]  # column -> the cell as written


FileCheck = Callable[[Session, "Spec", list[ParsedRow]], list[RowError]]


@dataclass(frozen=True)
class Spec:
    """How one KIND of list is imported: table, columns, key, example and extra checks."""

    kind: str
    model: type[SQLModel]
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # column names identifying a row
    example: tuple[str, ...]  # example file lines, the header first
    checks: tuple[FileCheck, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def key_attrs(self) -> tuple[str, ...]:
        return tuple(self.column(name).target for name in self.key)


def _named(kind: str, model: type[SQLModel], title: str, noun: str, example: Sequence[str], *extra: Column) -> Spec:
    """A list known by a unique name."""
    return Spec(
        kind=kind,
        model=model,
        title=title,
        columns=(Column("name", f"The {noun}'s name; unique, the key of the row.", required=True), *extra),
        key=("name",),
        example=tuple(example),
    )


def _bom_checks(session: Session, spec: Spec, rows: list[ParsedRow]) -> list[RowError]:
    """A component is not its own assembly, and no assembly contains itself through others."""
    errors: list[RowError] = []
    edges: dict[int, set[int]] = {}
    for line in session.exec(select(BomLine)):
        edges.setdefault(line.assembly_id, set()).add(line.component_id)
    for row in rows:
        edges.setdefault(row.values["assembly_id"], set()).add(row.values["component_id"])
    for row in rows:
        assembly, component = row.values["assembly_id"], row.values["component_id"]
        if assembly == component:
            errors.append(RowError(row.number, "component", f'item "{row.cells["component"]}" cannot be a component of itself'))
        elif _reaches(edges, component, assembly):
            errors.append(
                RowError(
                    row.number,
                    "component",
                    f'item "{row.cells["component"]}" contains "{row.cells["assembly"]}" '
                    "through its own bill of materials (a loop)",
                )
            )
    return errors


def _freight_checks(session: Session, spec: Spec, rows: list[ParsedRow]) -> list[RowError]:
    """A ship method an active integration puts freight through keeps an other-charge item.

    Refused here rather than found by the next sync, where every order with freight would fail.
    """
    from ecom.integration_checks import freight_users

    users = freight_users(session)
    had = {name: item for name, item in session.exec(select(ShipMethod.name, ShipMethod.other_charge_item_id))}
    errors = []
    for row in rows:
        name = row.values["name"]
        if "other_charge_item" in row.cells and row.values.get("other_charge_item_id") is None and had.get(name) and name in users:
            errors.append(RowError(
                row.number, "other_charge_item",
                f'ship method "{name}" would lose its other-charge item, but integration {", ".join(users[name])} '
                "puts freight in the Freight box through it: keep the item, or first set shipping.freight_as_line "
                "or deactivate the integration",
            ))
    return errors


def _reaches(edges: dict[int, set[int]], start: int, goal: int) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


SPECS: dict[str, Spec] = {
    spec.kind: spec
    for spec in (
        _named("locations", Location, "Locations", "location", ["name", "Main Warehouse", "Store"]),
        _named("item-groups", ItemGroup, "Item groups", "item group", ["name", "Widgets", "Shipping"]),
        _named("classes", TransactionClass, "Classes", "class", ["name", "Web", "Retail"]),
        _named(
            "sales-reps",
            SalesRep,
            "Sales reps",
            "sales rep",
            ["name,email", "Dana Reyes,dana@example.com"],
            Column("email", "Their email address.", EMAIL),
        ),
        _named("customer-types", CustomerType, "Customer types", "customer type", ["name", "Web", "Wholesale"]),
        _named(
            "sales-tax-codes",
            SalesTaxCode,
            "Sales tax codes",
            "sales tax code",
            ["name,taxable", "Tax,yes", "Non,no"],
            Column("taxable", "Whether customers and lines with this code are taxed.", BOOLEAN, required=True),
        ),
        _named(
            "item-sales-taxes",
            ItemSalesTax,
            "Item sales taxes",
            "item sales tax",
            ["name,rate", "NY State,8.875%", "CA State,0.0725", "No Tax,0"],
            Column("rate", "The tax rate: a fraction, or a percentage ending in %.", RATE, required=True),
        ),
        _named("payment-methods", PaymentMethod, "Payment methods", "payment method", ["name", "Credit Card", "PayPal"]),
        _named(
            "terms",
            Term,
            "Terms",
            "term",
            ["name,type", "Prepaid Card,credit_card", "Net 30,accounts_receivable"],
            Column(
                "type",
                "How it is paid; accounts_receivable (billed later, no cash payment) records no payment on imported orders.",
                _choice(TermType),
                required=True,
                attr="term_type",
            ),
        ),
        Spec(
            kind="custom-fields",
            model=CustomField,
            title="Custom fields",
            columns=(
                Column("name", "The field's name.", required=True),
                Column("applies_to", "Which records carry it (default transaction).", _choice(CustomFieldTarget)),
            ),
            key=("name", "applies_to"),
            example=("name,applies_to", "Web Order #,transaction"),
        ),
        Spec(
            kind="items",
            model=Item,
            title="Items",
            columns=(
                Column("sku", "The item's SKU, the same as in the carts; unique, the key of the row.", required=True),
                Column("name", "What the item is called.", required=True),
                Column("description", "A longer description."),
                Column("group", "The item group it belongs to.", ref=Ref(ItemGroup, "name", "group")),
                Column("type", "What kind of item it is (default inventory).", _choice(ItemType)),
                Column("price", "The selling price (default 0).", NUMBER),
                Column("weight", "Its weight.", QUANTITY),
                Column("taxable", "Whether it is taxed when sold to a taxable customer (default true).", BOOLEAN),
                Column("active", "Whether it is sold and synced (default true).", BOOLEAN),
            ),
            key=("sku",),
            example=(
                "sku,name,description,group,type,price,weight,taxable,active",
                "WID-1,Blue widget,A small blue widget,Widgets,inventory,12.50,0.4,yes,yes",
                "WID-KIT,Widget kit,Two widgets in a box,Widgets,kit,22.00,0.9,yes,yes",
                "FREIGHT,Freight,Shipping charge,Shipping,other_charge,0,,no,yes",
                "DISC,Web discount,,,discount,0,,no,yes",
            ),
        ),
        Spec(
            kind="stock",
            model=Stock,
            title="Stock",
            columns=(
                Column("item", "The item's SKU.", required=True, ref=ITEM),
                Column("location", "Where the stock is.", required=True, ref=Ref(Location, "name", "location")),
                Column("on_hand", "How many are there.", NUMBER, required=True),
                Column("committed", "How many of those are promised to open orders (default 0).", NUMBER),
            ),
            key=("item", "location"),
            example=("item,location,on_hand,committed", "WID-1,Main Warehouse,40,5", "WID-1,Store,3,0"),
        ),
        Spec(
            kind="boms",
            model=BomLine,
            title="Bills of materials",
            columns=(
                Column(
                    "assembly",
                    "The SKU of the assembly or kit.",
                    required=True,
                    ref=Ref(Item, "sku", "item", (ItemType.ASSEMBLY, ItemType.KIT)),
                ),
                Column("component", "The SKU of one component (it may be an assembly itself).", required=True, ref=ITEM),
                Column("quantity", "How many components one assembly takes.", PER_ASSEMBLY, required=True),
            ),
            key=("assembly", "component"),
            example=("assembly,component,quantity", "WID-KIT,WID-1,2"),
            checks=(_bom_checks,),
        ),
        Spec(
            kind="purchase-orders",
            model=PurchaseOrderLine,
            title="Purchase orders",
            columns=(
                Column("po_number", "The purchase order's number.", required=True),
                Column("item", "The SKU ordered.", required=True, ref=ITEM),
                Column("location", "Where it will be received.", required=True, ref=Ref(Location, "name", "location")),
                Column("ordered", "How many were ordered.", QUANTITY, required=True),
                Column("received", "How many have been received so far (default 0).", QUANTITY),
            ),
            key=("po_number", "item", "location"),
            example=("po_number,item,location,ordered,received", "PO-1001,WID-1,Main Warehouse,100,40"),
        ),
        Spec(
            kind="item-vendors",
            model=ItemVendor,
            title="Item vendor quantities",
            columns=(
                Column("item", "The item's SKU.", required=True, ref=ITEM),
                Column("vendor", "The vendor's name.", required=True),
                Column("quantity", "How many the vendor holds for you.", QUANTITY, required=True),
            ),
            key=("item", "vendor"),
            example=("item,vendor,quantity", "WID-1,Acme Supply,250"),
        ),
        Spec(
            kind="ship-methods",
            model=ShipMethod,
            title="Ship methods",
            columns=(
                Column("name", "The ship method's name; unique, the key of the row.", required=True),
                Column("carrier", "The carrier (UPS, FedEx, ...)."),
                Column(
                    "other_charge_item",
                    "The other-charge item freight is posted to; needed to put freight in the order's freight amount.",
                    ref=Ref(Item, "sku", "item", (ItemType.OTHER_CHARGE,)),
                ),
            ),
            key=("name",),
            example=("name,carrier,other_charge_item", "UPS Ground,UPS,FREIGHT", "Pickup,,"),
            checks=(_freight_checks,),
        ),
        Spec(
            kind="discounts",
            model=Discount,
            title="Discounts",
            columns=(
                Column("name", "The discount's name; unique, the key of the row.", required=True),
                Column("item", "The discount-type item it is posted with.", ref=Ref(Item, "sku", "item", (ItemType.DISCOUNT,))),
                Column("description", "What it is."),
            ),
            key=("name",),
            example=("name,item,description", "Web Discount,DISC,Cart discount codes"),
        ),
        Spec(
            kind="customers",
            model=Customer,
            title="Customers",
            columns=(
                Column("name", "The customer's name; unique, the key of the row.", required=True),
                Column("email", "Email address (how web customers are matched by default).", EMAIL),
                Column("company", "Company name."),
                Column("phone", "Phone number."),
                Column("first_name", "First name."),
                Column("last_name", "Last name."),
                Column("customer_type", "Customer type.", ref=Ref(CustomerType, "name", "customer type")),
                Column("sales_rep", "Sales rep.", ref=Ref(SalesRep, "name", "sales rep")),
                Column("sales_tax_code", "Sales tax code.", ref=Ref(SalesTaxCode, "name", "sales tax code")),
                Column("item_sales_tax", "Item sales tax (rate).", ref=Ref(ItemSalesTax, "name", "item sales tax")),
                Column("taxable", "Whether the customer is taxed (default true).", BOOLEAN),
            ),
            key=("name",),
            example=(
                "name,email,company,phone,first_name,last_name,customer_type,sales_rep,sales_tax_code,item_sales_tax,taxable",
                "Jane Smith,jane@example.com,,555-0100,Jane,Smith,Web,Dana Reyes,Tax,NY State,yes",
                "Acme Corp,buyer@acme.example,Acme Corp,,,,Wholesale,,Non,No Tax,no",
            ),
        ),
        Spec(
            kind="ship-tos",
            model=ShipTo,
            title="Ship-to addresses",
            columns=(
                Column("customer", "The customer's name.", required=True, ref=Ref(Customer, "name", "customer")),
                Column("name", "The address's name, unique per customer (e.g. Main, Warehouse).", required=True),
                Column("company", "Company on the label."),
                Column("line1", "Street address."),
                Column("line2", "Apartment, suite, ..."),
                Column("city", "City."),
                Column("state", "State or province code."),
                Column("postal_code", "Postal code."),
                Column("country", "Country code (ISO 3166-1 alpha-2, e.g. US)."),
                Column("phone", "Phone number."),
            ),
            key=("customer", "name"),
            example=(
                "customer,name,company,line1,line2,city,state,postal_code,country,phone",
                "Jane Smith,Home,,12 Elm St,Apt 4,Albany,NY,12207,US,555-0100",
            ),
        ),
    )
}
KINDS: tuple[str, ...] = tuple(SPECS)


# --- importing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """What an import did, row by row counted."""

    kind: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


def get_spec(kind: str) -> Spec:
    if kind not in SPECS:
        raise ConfigError(f"Unknown import kind {kind!r}: use one of {', '.join(KINDS)}.")
    return SPECS[kind]


def import_file(kind: str, path: str | Path, url: str | None = None) -> ImportResult:
    """Import the CSV file ``path`` as ``kind`` into the database at ``url``, in one transaction."""
    engine = db.open_engine(url)
    try:
        with db.session(engine) as session:
            return import_csv(session, kind, Path(path))
    finally:
        engine.dispose()


def import_csv(session: Session, kind: str, source: str | Path | io.TextIOBase, *, name: str | None = None) -> ImportResult:
    """Import CSV text (a path, or an open text stream) as ``kind`` into ``session``.

    Everything is checked before anything is written; a bad file raises a ConfigError listing
    every problem, and the session is left untouched. The caller commits.
    """
    spec = get_spec(kind)
    if isinstance(source, Path):
        label = name or source.name
        text = _read_text(source)
    else:
        label = name or getattr(source, "name", "CSV")
        text = source.read()
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records or not any(cell.strip() for cell in records[0]):
        raise ConfigError(f"Nothing imported from {label}: the file is empty; its first row must name the columns.")
    columns = _read_header(spec, records[0], label)
    rows, errors = _read_rows(session, spec, columns, records[1:])
    if not errors:
        for check in spec.checks:
            errors.extend(check(session, spec, rows))
    if errors:
        bad_rows = len({e.row for e in errors})
        lines = "\n".join(f"  {e}" for e in sorted(errors, key=lambda e: e.row))
        raise ConfigError(f"Nothing imported from {label}: {bad_rows} bad row{'s' if bad_rows != 1 else ''}.\n{lines}")
    return _write(session, spec, rows, label)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"No file {path}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Nothing imported from {path.name}: it is not UTF-8 text (save it as \"CSV UTF-8\").") from None


def _read_header(spec: Spec, header: list[str], label: str) -> list[Column | None]:
    known = {c.name: c for c in spec.columns}
    while header and not header[-1].strip():  # blank trailing header cells, as spreadsheets write
        header = header[:-1]
    columns: list[Column | None] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(header, start=1):
        name = _normalise(cell)
        if not name:
            problems.append(f"column {position} has no name")
        elif name in seen:
            problems.append(f'column "{cell.strip()}" appears twice')
        elif name not in known:
            problems.append(f'unknown column "{cell.strip()}" (column {position})')
        seen.add(name)
        columns.append(known.get(name))
    for column in spec.columns:
        if column.required and column.name not in seen:
            problems.append(f'missing required column "{column.name}"')
    if problems:
        allowed = ", ".join(c.name for c in spec.columns)
        lines = "\n".join(f"  {p}" for p in problems)
        raise ConfigError(f"Nothing imported from {label}: the header row is wrong.\n{lines}\n  {spec.kind} columns: {allowed}")
    return columns


class _References:
    """Names and SKUs of the lists a file refers to, loaded once per list."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.loaded: dict[tuple[type[SQLModel], str], dict[str, tuple[int, Any]]] = {}

    def resolve(self, ref: Ref, cell: str) -> int:
        table = self._table(ref)
        if cell not in table:
            folded = [known for known in table if known.casefold() == cell.casefold()]
            hint = f' (did you mean "{folded[0]}"?)' if folded else ""
            raise ValueError(f'{ref.noun} "{cell}" does not exist{hint}')
        row_id, item_type = table[cell]
        if ref.item_types and item_type not in ref.item_types:
            wanted = " or ".join(t.value for t in ref.item_types)
            raise ValueError(f'{ref.noun} "{cell}" is of type {item_type.value}, not {wanted}')
        return row_id

    def _table(self, ref: Ref) -> dict[str, tuple[int, Any]]:
        key = (ref.model, ref.by)
        if key not in self.loaded:
            model: Any = ref.model
            if model is Item:
                rows = self.session.exec(select(Item.sku, Item.id, Item.type)).all()
                self.loaded[key] = {sku: (row_id, item_type) for sku, row_id, item_type in rows}
            else:
                rows = self.session.exec(select(getattr(model, ref.by), model.id)).all()
                self.loaded[key] = {name: (row_id, None) for name, row_id in rows}
        return self.loaded[key]


def _read_rows(
    session: Session, spec: Spec, columns: list[Column | None], records: list[list[str]]
) -> tuple[list[ParsedRow], list[RowError]]:
    references = _References(session)
    defaults = _defaults(spec)
    missing_keys = [spec.column(name) for name in spec.key if spec.column(name) not in columns]
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    keys: dict[tuple[Any, ...], int] = {}
    for number, record in enumerate(records, start=2):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue
        extra = cells[len(columns) :]
        if any(extra):
            errors.append(RowError(number, None, f"{len(record)} cells, but the header names {len(columns)} columns"))
            continue
        row = ParsedRow(number=number, values={}, cells={})
        row_errors: list[RowError] = []
        for column, cell in zip(columns, cells, strict=False):
            if column is None:
                continue
            row.cells[column.name] = cell
            try:
                row.values[column.target] = _read_cell(column, cell, references, defaults)
            except ValueError as exc:
                row_errors.append(RowError(number, column.name, str(exc)))
        for column in missing_keys:  # an optional key column left out: its default identifies the row
            row.cells[column.name] = ""
            row.values[column.target] = defaults[column.target]
        for column in columns[len(cells) :]:  # a short row: the missing cells are empty
            if column is not None:
                row.cells[column.name] = ""
                try:
                    row.values[column.target] = _read_cell(column, "", references, defaults)
                except ValueError as exc:
                    row_errors.append(RowError(number, column.name, str(exc)))
        if not any(e.column in spec.key for e in row_errors):
            key = tuple(row.values[attr] for attr in spec.key_attrs)
            if key in keys:
                shown = ", ".join(f'{name} "{row.cells[name]}"' for name in spec.key)
                row_errors.append(RowError(number, spec.key[0], f"{shown} is already on row {keys[key]}"))
            else:
                keys[key] = number
        errors.extend(row_errors)
        if not row_errors:
            rows.append(row)
    return rows, errors


def _defaults(spec: Spec) -> dict[str, Any]:
    """What an empty cell means for each column: the record's default for that attribute."""
    defaults: dict[str, Any] = {}
    for column in spec.columns:
        info = spec.model.model_fields[column.target]
        default = info.get_default(call_default_factory=True)
        defaults[column.target] = None if default is PydanticUndefined else default
    return defaults


def _read_cell(column: Column, cell: str, references: _References, defaults: dict[str, Any]) -> Any:
    if not cell:
        if column.required:
            raise ValueError("missing required value")
        return defaults[column.target]
    if column.ref is not None:
        return references.resolve(column.ref, cell)
    return column.parser.read(cell)


def _write(session: Session, spec: Spec, rows: list[ParsedRow], label: str) -> ImportResult:
    model: Any = spec.model
    key_attrs = spec.key_attrs
    existing = {tuple(getattr(obj, a) for a in key_attrs): obj for obj in session.exec(select(model))}
    created = updated = unchanged = 0
    for row in rows:
        obj = existing.get(tuple(row.values[a] for a in key_attrs))
        if obj is None:
            session.add(model(**row.values))
            created += 1
            continue
        changes = {attr: value for attr, value in row.values.items() if getattr(obj, attr) != value}
        if changes:
            for attr, value in changes.items():
                setattr(obj, attr, value)
            updated += 1
        else:
            unchanged += 1
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise ConfigError(f"Nothing imported from {label}: the database refused it ({exc.orig}).") from exc
    return ImportResult(kind=spec.kind, source=label, created=created, updated=updated, unchanged=unchanged)


# --- documentation ---------------------------------------------------------------------------

DOC_COMMAND = "python -m ecom.importer > docs/csv-import.md"


def render_docs() -> str:
    """``docs/csv-import.md``: the rules, then each KIND's columns and an example file."""
    out = [
        "# CSV import",
        "",
        f"<!-- Generated from the specs in core/ecom/importer.py: {DOC_COMMAND} -->",
        "",
        "Fill the back office from spreadsheets: `ecom import KIND FILE.csv` (add `--json` for a",
        "machine-readable report). Import the lists in the order below, since later ones refer to",
        "earlier ones by name or SKU.",
        "",
        "- The file is UTF-8, comma-separated, with a header row naming the columns. Header names",
        "  ignore case, spaces and hyphens (`Postal Code` is `postal_code`); unknown columns are an error.",
        "- Required columns must be in the header and filled on every row. An empty optional cell",
        "  means the column's default; a column left out of the header is left as it is on update.",
        "- Each row is identified by its **key** columns. Importing a row whose key exists updates",
        "  that record in place; re-importing the same file changes nothing and never duplicates.",
        "- **All or nothing.** When any row is bad, nothing is imported and the error lists every",
        "  bad row with its number as a spreadsheet shows it (the header is row 1), the column and",
        "  the reason, e.g. `row 4, column group: group \"Widgets\" does not exist`.",
        "- Yes/no cells take true/false, yes/no, y/n, 1/0. Numbers use a dot for decimals and no",
        "  thousands separator. Rates are fractions (0.08875) or percentages (8.875%).",
        "",
        "| KIND | Key |",
        "|------|-----|",
    ]
    out += [f"| [`{s.kind}`](#{s.kind}) | {', '.join(s.key)} |" for s in SPECS.values()]
    for spec in SPECS.values():
        out += ["", f"## {spec.kind}", "", f"{spec.title}: `ecom import {spec.kind} FILE.csv`.", ""]
        out += ["| Column | Required | Format | Meaning |", "|--------|----------|--------|---------|"]
        for column in spec.columns:
            required = ", ".join(w for w, on in (("yes", column.required), ("key", column.name in spec.key)) if on)
            out.append(f"| `{column.name}` | {required} | {column.format} | {column.help} |")
        out += ["", "```csv", *spec.example, "```"]
    return "\n".join(out) + "\n"


def example_files() -> Iterable[tuple[str, str]]:
    """Each KIND with its example file's text, in import order."""
    for spec in SPECS.values():
        yield spec.kind, "\n".join(spec.example) + "\n"


__all__ = [
    "KINDS", "SPECS", "Column", "ImportResult", "Ref", "RowError", "Spec",
    "get_spec", "import_csv", "import_file", "render_docs",
]  # fmt: skip


if __name__ == "__main__":  # python -m ecom.importer > docs/csv-import.md
    sys.stdout.write(render_docs())
