"""What each CSV import kind is: how a cell is read, the columns of each kind and the rules a row
of that kind must follow beyond its cells (a bill of materials without cycles, freight items
that exist...).

One :class:`Spec` per kind (``items``, ``stock``, ``customers``, ...) in :data:`SPECS`: its
table, its columns (:class:`Column`: how a cell is read by a :class:`Parser`, whether it is
required, which list a name or SKU refers to through a :class:`Ref`) and the columns that identify
a row. :mod:`ecom.importer` streams a file through them; ``docs/csv-import.md`` is generated from
them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session, SQLModel, select

from ecom.models import (
    MAX_PLACES,
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
    number_problem,
)


# --- reading one cell ------------------------------------------------------------------------


@dataclass(frozen=True)
class Parser:
    """Turns a non-empty cell into a value, or raises ValueError with the reason in words."""

    name: str  # shown in the docs' "format" column
    read: Callable[[str], Any]


def _text(cell: str) -> str:
    if "\n" in cell or "\r" in cell:
        raise ValueError("the cell holds a line break, which only a description may (is a quote left open on this row?)")
    return cell


def _lines(cell: str) -> str:
    return cell


def _decimal(cell: str) -> Decimal:
    try:
        number = Decimal(cell)
    except InvalidOperation:
        raise ValueError(f'"{shortened(cell)}" is not a number') from None
    problem = number_problem(number)
    if problem:
        raise ValueError(f'"{shortened(cell)}" {problem}' if number.is_finite() else f'"{shortened(cell)}" is not a number')
    if -number.as_tuple().exponent > MAX_PLACES:  # type: ignore[operator]  # only trailing zeros: drop them
        number = number.quantize(Decimal(1).scaleb(-MAX_PLACES))
    return number


def shortened(cell: str, width: int = 40) -> str:
    """A cell as an error message quotes it: a long one cut short."""
    return cell if len(cell) <= width else f"{cell[:width]}... ({len(cell):,} characters)"


def _non_negative(cell: str) -> Decimal:
    number = _decimal(cell)
    if number < 0:
        raise ValueError(f"{shortened(cell)} is negative; it must be 0 or more")
    return number


def _positive(cell: str) -> Decimal:
    number = _decimal(cell)
    if number <= 0:
        raise ValueError(f"{shortened(cell)} must be greater than 0")
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
    raise ValueError(f'"{shortened(cell)}" is not yes or no (write true/false, yes/no or 1/0)')


def _email(cell: str) -> str:
    if "@" not in cell or " " in cell:
        raise ValueError(f'"{shortened(cell)}" is not an email address')
    return cell


def _choice(enum_class: type[Any]) -> Parser:
    by_word = {normalise(member.value): member for member in enum_class}

    def read(cell: str) -> Any:
        member = by_word.get(normalise(cell))
        if member is None:
            raise ValueError(f'"{shortened(cell)}" is not one of: {", ".join(m.value for m in enum_class)}')
        return member

    return Parser(" / ".join(m.value for m in enum_class), read)


def normalise(word: str) -> str:
    """How header names and choices are matched: case, spaces and hyphens do not matter."""
    return re.sub(r"[\s\-]+", "_", word.strip().lower())


TEXT = Parser("text", _text)
LINES = Parser("text, may span lines", _lines)
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


RowCheck = Callable[[ParsedRow], list[RowError]]
FileCheck = Callable[[Session, "Spec"], RowCheck]  # a kind's extra rule: gives the check each good row goes through, in order


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


def _bom_checks(session: Session, spec: Spec) -> RowCheck:
    """A component is not its own assembly, and no assembly contains itself through others.

    The bills already stored and the file's rows so far make the graph; a loop is reported on the
    row that closes it.
    """
    edges: dict[int, set[int]] = {}
    for assembly_id, component_id in session.exec(select(BomLine.assembly_id, BomLine.component_id)):
        edges.setdefault(assembly_id, set()).add(component_id)

    def check(row: ParsedRow) -> list[RowError]:
        assembly, component = row.values["assembly_id"], row.values["component_id"]
        if assembly == component:
            return [RowError(row.number, "component", f'item "{row.cells["component"]}" cannot be a component of itself')]
        if _reaches(edges, component, assembly):
            return [
                RowError(
                    row.number,
                    "component",
                    f'item "{row.cells["component"]}" contains "{row.cells["assembly"]}" '
                    "through its own bill of materials (a loop)",
                )
            ]
        edges.setdefault(assembly, set()).add(component)
        return []

    return check


def _freight_checks(session: Session, spec: Spec) -> RowCheck:
    """A ship method an active integration puts freight through keeps an other-charge item.

    Refused here rather than found by the next sync, where every order with freight would fail.
    """
    from ecom.integration_checks import freight_users

    users = freight_users(session)
    had = {name: item for name, item in session.exec(select(ShipMethod.name, ShipMethod.other_charge_item_id))}

    def check(row: ParsedRow) -> list[RowError]:
        name = row.values["name"]
        if "other_charge_item" in row.cells and row.values.get("other_charge_item_id") is None and had.get(name) and name in users:
            return [RowError(
                row.number, "other_charge_item",
                f'ship method "{name}" would lose its other-charge item, but integration {", ".join(users[name])} '
                "puts freight in the Freight box through it: keep the item, or first set shipping.freight_as_line "
                "or deactivate the integration",
            )]
        return []

    return check


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
                Column("description", "A longer description.", LINES),
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
                Column("description", "What it is.", LINES),
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
