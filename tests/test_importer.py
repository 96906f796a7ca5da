"""CSV import: every list importable, references resolved, all or nothing, never a duplicate."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from ecom import importer
from ecom.errors import ConfigError
from ecom.importer import KINDS, SPECS, example_files, import_csv
from ecom.models import (
    BomLine,
    Customer,
    CustomerType,
    Item,
    ItemGroup,
    ItemSalesTax,
    ItemType,
    Location,
    SalesTaxCode,
    ShipMethod,
    ShipTo,
    Stock,
    Term,
    TermType,
)

ROOT = Path(__file__).resolve().parents[1]
ISSUE_KINDS = (
    "items stock boms purchase-orders item-vendors customers ship-methods payment-methods terms sales-tax-codes "
    "item-sales-taxes locations item-groups classes sales-reps customer-types discounts ship-tos custom-fields"
).split()


def load(ecom_db, kind: str, text: str):
    with ecom_db.session() as session:
        return import_csv(session, kind, io.StringIO(text), name=f"{kind}.csv")


def rejected(ecom_db, kind: str, text: str) -> list[str]:
    """The lines of the error an import raises (after the first)."""
    with pytest.raises(ConfigError) as caught:
        load(ecom_db, kind, text)
    return [line.strip() for line in str(caught.value).splitlines()[1:]]


def load_examples(ecom_db, until: str | None = None) -> None:
    for kind, text in example_files():
        if kind == until:
            return
        load(ecom_db, kind, text)


def test_every_kind_the_issue_names_has_a_spec() -> None:
    assert sorted(KINDS) == sorted(ISSUE_KINDS)


def test_every_kind_is_importable_from_its_documented_example_and_reimport_changes_nothing(ecom_db) -> None:
    first = {}
    for kind, text in example_files():
        first[kind] = load(ecom_db, kind, text)
    for kind, result in first.items():
        expected = len(SPECS[kind].example) - 1
        assert (result.created, result.updated, result.unchanged) == (expected, 0, 0), kind
        with ecom_db.session() as session:
            assert len(session.exec(select(SPECS[kind].model)).all()) == expected, kind
    for kind, text in example_files():
        again = load(ecom_db, kind, text)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(SPECS[kind].example) - 1), kind


def test_references_are_resolved_by_name_and_sku(ecom_db) -> None:
    load_examples(ecom_db)
    with ecom_db.session() as session:
        ids = {item.sku: item.id for item in session.exec(select(Item))}
        widget = session.exec(select(Item).where(Item.sku == "WID-1")).one()
        assert session.get(ItemGroup, widget.group_id).name == "Widgets"
        bom = session.exec(select(BomLine)).one()
        assert (bom.assembly_id, bom.component_id, bom.quantity) == (ids["WID-KIT"], ids["WID-1"], Decimal(2))
        ups = session.exec(select(ShipMethod).where(ShipMethod.name == "UPS Ground")).one()
        assert ups.other_charge_item_id == ids["FREIGHT"]
        jane = session.exec(select(Customer).where(Customer.name == "Jane Smith")).one()
        assert session.get(CustomerType, jane.customer_type_id).name == "Web"
        assert session.get(SalesTaxCode, jane.sales_tax_code_id).name == "Tax"
        assert session.get(ItemSalesTax, jane.item_sales_tax_id).rate == Decimal("0.08875")
        home = session.exec(select(ShipTo)).one()
        assert (home.customer_id, home.city, home.postal_code) == (jane.id, "Albany", "12207")
        assert {(s.item_id, s.on_hand, s.committed) for s in session.exec(select(Stock))} == {
            (ids["WID-1"], Decimal(40), Decimal(5)),
            (ids["WID-1"], Decimal(3), Decimal(0)),
        }
        assert session.exec(select(Term).where(Term.name == "Net 30")).one().term_type is TermType.ACCOUNTS_RECEIVABLE


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_row(ecom_db) -> None:
    load(ecom_db, "item-groups", "name\nWidgets\n")
    lines = rejected(
        ecom_db,
        "items",
        "sku,name,group,price,type,taxable\n"
        "OK-1,Fine,Widgets,1.00,inventory,yes\n"
        ",No SKU,,2,,\n"
        "B-2,Bad,Gadgets,abc,gizmo,maybe\n"
        "OK-1,Again,,3,,\n",
    )
    assert lines == [
        "row 3, column sku: missing required value",
        'row 4, column group: group "Gadgets" does not exist',
        'row 4, column price: "abc" is not a number',
        'row 4, column type: "gizmo" is not one of: inventory, assembly, kit, non_inventory, service, other_charge, discount',
        'row 4, column taxable: "maybe" is not yes or no (write true/false, yes/no or 1/0)',
        'row 5, column sku: sku "OK-1" is already on row 2',
    ]
    with ecom_db.session() as session:
        assert session.exec(select(Item)).all() == []


def test_the_error_counts_bad_rows_and_names_the_file(ecom_db) -> None:
    with pytest.raises(ConfigError, match=r"^Nothing imported from locations\.csv: 2 bad rows\.\n"):
        load(ecom_db, "locations", "name\nA\nA\nA\n")


def test_unknown_duplicate_and_missing_header_columns_are_named(ecom_db) -> None:
    lines = rejected(ecom_db, "items", "SKU,Colour,price,Price\nA,red,1,1\n")
    assert lines == [
        'unknown column "Colour" (column 2)',
        'column "Price" appears twice',
        'missing required column "name"',
        "items columns: sku, name, description, group, type, price, weight, taxable, active",
    ]


def test_header_names_ignore_case_spaces_and_hyphens(ecom_db) -> None:
    load(ecom_db, "customers", "Name,First Name,last-name\nJane Smith,Jane,Smith\n")
    with ecom_db.session() as session:
        jane = session.exec(select(Customer)).one()
    assert (jane.first_name, jane.last_name) == ("Jane", "Smith")


def test_reimporting_updates_in_place_by_key(ecom_db) -> None:
    load(ecom_db, "items", "sku,name,price\nA,Alpha,1.00\nB,Beta,2.00\n")
    result = load(ecom_db, "items", "sku,name,price\nA,Alpha,1.50\nB,Beta,2.00\nC,Gamma,3\n")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    with ecom_db.session() as session:
        assert [(i.sku, i.price) for i in session.exec(select(Item).order_by(Item.sku))] == [
            ("A", Decimal("1.50")),
            ("B", Decimal("2.00")),
            ("C", Decimal("3")),
        ]


def test_a_column_left_out_is_left_alone_and_an_empty_cell_means_the_default(ecom_db) -> None:
    load(ecom_db, "item-groups", "name\nWidgets\n")
    load(ecom_db, "items", "sku,name,group,price,taxable\nA,Alpha,Widgets,5,no\n")
    load(ecom_db, "items", "sku,name,taxable\nA,Alpha renamed,\n")
    with ecom_db.session() as session:
        item = session.exec(select(Item)).one()
    assert (item.name, item.price, item.taxable, item.group_id is not None) == ("Alpha renamed", Decimal(5), True, True)
    assert item.type is ItemType.INVENTORY


def test_rates_are_fractions_or_percentages(ecom_db) -> None:
    load(ecom_db, "item-sales-taxes", "name,rate\nNY,8.875%\nCA,0.0725\n")
    with ecom_db.session() as session:
        rates = {t.name: t.rate for t in session.exec(select(ItemSalesTax))}
    assert rates == {"NY": Decimal("0.08875"), "CA": Decimal("0.0725")}
    assert rejected(ecom_db, "item-sales-taxes", "name,rate\nTX,8.25\n") == [
        "row 2, column rate: 8.25 is more than 1: write a rate as a fraction (0.08875) or a percentage (8.875%)"
    ]


def test_choices_accept_spaces_and_case(ecom_db) -> None:
    load(ecom_db, "items", "sku,name,type\nS,Setup,Non-Inventory\nT,Ship,other charge\n")
    with ecom_db.session() as session:
        assert {i.sku: i.type for i in session.exec(select(Item))} == {"S": ItemType.NON_INVENTORY, "T": ItemType.OTHER_CHARGE}


def test_a_reference_with_the_wrong_case_gets_a_hint(ecom_db) -> None:
    load(ecom_db, "item-groups", "name\nWidgets\n")
    assert rejected(ecom_db, "items", "sku,name,group\nA,Alpha,widgets\n") == [
        'row 2, column group: group "widgets" does not exist (did you mean "Widgets"?)'
    ]


def test_item_references_must_have_the_right_type(ecom_db) -> None:
    load(ecom_db, "items", "sku,name,type\nWID,Widget,inventory\nKIT,Kit,kit\nDISC,Discount,discount\n")
    assert rejected(ecom_db, "ship-methods", "name,other_charge_item\nUPS,WID\n") == [
        'row 2, column other_charge_item: item "WID" is of type inventory, not other_charge'
    ]
    assert rejected(ecom_db, "boms", "assembly,component,quantity\nWID,KIT,1\n") == [
        'row 2, column assembly: item "WID" is of type inventory, not assembly or kit'
    ]
    assert rejected(ecom_db, "discounts", "name,item\nSale,KIT\n") == [
        'row 2, column item: item "KIT" is of type kit, not discount'
    ]


def test_nested_boms_are_allowed_and_loops_are_refused(ecom_db) -> None:
    load(ecom_db, "items", "sku,name,type\nPART,Part,inventory\nSUB,Sub,assembly\nTOP,Top,assembly\n")
    load(ecom_db, "boms", "assembly,component,quantity\nSUB,PART,3\nTOP,SUB,2\n")
    assert rejected(ecom_db, "boms", "assembly,component,quantity\nSUB,TOP,1\nTOP,TOP,1\n") == [
        'row 2, column component: item "TOP" contains "SUB" through its own bill of materials (a loop)',
        'row 3, column component: item "TOP" cannot be a component of itself',
    ]
    assert rejected(ecom_db, "boms", "assembly,component,quantity\nTOP,PART,0\n") == [
        "row 2, column quantity: 0 must be greater than 0"
    ]


def test_row_numbers_are_the_spreadsheets_even_with_blank_lines_and_multiline_cells(ecom_db) -> None:
    text = 'sku,name,description,price\nA,Alpha,"two\nlines",1\n\nB,Beta,,x\n'
    assert rejected(ecom_db, "items", text) == ['row 4, column price: "x" is not a number']


def test_a_row_with_more_cells_than_the_header_is_refused(ecom_db) -> None:
    assert rejected(ecom_db, "locations", "name\nA,B\nC,\n") == ["row 2: 2 cells, but the header names 1 columns"]
    with ecom_db.session() as session:
        assert session.exec(select(Location)).all() == []


def test_a_short_row_leaves_the_missing_cells_empty(ecom_db) -> None:
    load(ecom_db, "sales-reps", "name,email\nDana\n")
    assert rejected(ecom_db, "terms", "name,type\nNet 30\n") == ["row 2, column type: missing required value"]


def test_files_are_read_as_utf8_with_or_without_a_bom(ecom_db, tmp_path) -> None:
    path = tmp_path / "groups.csv"
    path.write_bytes("\ufeffname\nCafé\n".encode())
    with ecom_db.session() as session:
        result = import_csv(session, "item-groups", path)
    assert (result.source, result.created) == ("groups.csv", 1)
    path.write_bytes("name\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match='groups.csv: it is not UTF-8 text'):
        with ecom_db.session() as session:
            import_csv(session, "item-groups", path)


def test_an_empty_file_is_refused(ecom_db) -> None:
    with pytest.raises(ConfigError, match="the file is empty"):
        load(ecom_db, "items", "")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="Unknown import kind 'widgets': use one of locations, item-groups, "):
        importer.get_spec("widgets")


def test_every_spec_column_sets_a_real_attribute_and_keys_are_columns() -> None:
    for spec in SPECS.values():
        for column in spec.columns:
            assert column.target in spec.model.model_fields, f"{spec.kind}.{column.name}"
        assert set(spec.key) <= {c.name for c in spec.columns}, spec.kind
        header = spec.example[0].split(",")
        assert all(c.name in header for c in spec.columns if c.required), spec.kind


def test_the_csv_import_doc_matches_the_specs() -> None:
    doc = (ROOT / "docs" / "csv-import.md").read_text()
    assert doc == importer.render_docs(), f"docs/csv-import.md is out of date: run `{importer.DOC_COMMAND}`"
