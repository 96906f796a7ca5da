"""The back-office commands: ``ecom init``, ``ecom import``, ``ecom items list``, ``ecom orders``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlmodel import select

from ecom import db
from ecom.models import (
    Customer,
    CustomField,
    CustomFieldValue,
    Integration,
    Item,
    LineKind,
    Payment,
    PaymentMethod,
    ShipMethod,
    Term,
    Transaction,
    TransactionLine,
    TransactionType,
)

GOOD_ITEMS = "sku,name,group,type,price,active\nWID-1,Blue widget,Widgets,inventory,12.50,yes\nFREIGHT,Freight,,other_charge,0,yes\nOLD,Retired thing,Widgets,inventory,3,no\n"
BAD_ITEMS = (
    "sku,name,group,price\n"
    "NEW-1,Fine row,Widgets,1\n"
    ",Missing SKU,Widgets,2\n"
    "NEW-2,Unknown group,Gizmos,3\n"
    "NEW-3,Bad price,Widgets,twelve\n"
)


@pytest.fixture
def files(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def stocked(ecom_db, ecom_cli, files):
    """A database with item groups and three items, imported through the CLI."""
    assert ecom_cli("import", "item-groups", files("groups.csv", "name\nWidgets\n")).exit_code == 0
    result = ecom_cli("import", "items", files("items.csv", GOOD_ITEMS))
    assert result.exit_code == 0, result.output
    return ecom_db


def test_init_creates_ecom_db_in_the_working_folder_then_has_nothing_to_do(tmp_path, monkeypatch, ecom_cli) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    head = db.head_revision()
    first = ecom_cli("init")
    assert first.exit_code == 0
    assert first.stdout == f"Created the ecom database sqlite:///ecom.db at revision {head} (latest).\n"
    assert (tmp_path / "ecom.db").is_file()
    again = ecom_cli("init")
    assert again.stdout == f"The ecom database sqlite:///ecom.db is at revision {head} (latest): nothing to do.\n"


def test_init_on_a_database_url_hides_its_password(ecom_db, ecom_cli) -> None:
    result = ecom_cli("init")
    assert result.exit_code == 0
    assert db.display_url(ecom_db.url) in result.stdout
    assert "nothing to do" in result.stdout


def test_importing_a_good_file_twice_creates_then_changes_nothing(stocked, ecom_cli, files) -> None:
    again = ecom_cli("import", "items", files("items.csv", GOOD_ITEMS))
    assert again.exit_code == 0
    assert again.stdout == "items: 0 created, 0 updated, 3 unchanged (items.csv).\n"
    with stocked.session() as session:
        assert sorted(i.sku for i in session.exec(select(Item))) == ["FREIGHT", "OLD", "WID-1"]


def test_import_reports_created_and_updated(ecom_db, ecom_cli, files) -> None:
    first = ecom_cli("import", "locations", files("loc.csv", "name\nMain\n"))
    assert first.stdout == "locations: 1 created, 0 updated, 0 unchanged (loc.csv).\n"
    second = ecom_cli("import", "sales-reps", files("reps.csv", "name,email\nDana,dana@example.com\n"))
    assert second.exit_code == 0
    changed = ecom_cli("import", "sales-reps", files("reps.csv", "name,email\nDana,dana@shop.example\nLee,\n"), "--json")
    assert json.loads(changed.stdout) == {
        "kind": "sales-reps",
        "file": "reps.csv",
        "rows": 2,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
    }


def test_a_file_with_three_bad_rows_fails_names_all_three_and_changes_nothing(stocked, ecom_cli, files) -> None:
    before = ecom_cli("items", "list", "--json").stdout
    result = ecom_cli("import", "items", files("bad.csv", BAD_ITEMS))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: Nothing imported from bad.csv: 3 bad rows.",
        "  row 3, column sku: missing required value",
        '  row 4, column group: group "Gizmos" does not exist',
        '  row 5, column price: "twelve" is not a number',
    ]
    assert ecom_cli("items", "list", "--json").stdout == before
    with stocked.session() as session:
        assert session.exec(select(Item).where(Item.sku == "NEW-1")).first() is None


def test_an_unknown_header_column_is_named(ecom_db, ecom_cli, files) -> None:
    result = ecom_cli("import", "locations", files("loc.csv", "name,address\nMain,1 Road\n"))
    assert result.exit_code == 3
    assert 'unknown column "address" (column 2)' in result.stderr


def test_an_unknown_kind_is_a_usage_error(ecom_db, ecom_cli, files) -> None:
    result = ecom_cli("import", "widgets", files("w.csv", "name\n"))
    assert result.exit_code == 2
    assert "'widgets' is not one of" in result.stderr


def test_items_list_json_is_stable(stocked, ecom_cli) -> None:
    result = ecom_cli("items", "list", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {"active": True, "group": None, "name": "Freight", "price": "0", "sku": "FREIGHT", "type": "other_charge"},
        {"active": False, "group": "Widgets", "name": "Retired thing", "price": "3", "sku": "OLD", "type": "inventory"},
        {"active": True, "group": "Widgets", "name": "Blue widget", "price": "12.50", "sku": "WID-1", "type": "inventory"},
    ]


def test_items_list_is_an_aligned_table(stocked, ecom_cli) -> None:
    assert ecom_cli("items", "list").stdout.splitlines() == [
        "SKU      NAME           TYPE          GROUP    PRICE  ACTIVE",
        "FREIGHT  Freight        other_charge  -            0  yes",
        "OLD      Retired thing  inventory     Widgets      3  no",
        "WID-1    Blue widget    inventory     Widgets  12.50  yes",
    ]


def test_items_list_on_an_empty_database_says_how_to_fill_it(ecom_db, ecom_cli) -> None:
    assert ecom_cli("items", "list").stdout == "No items yet. Import some: ecom import items FILE.csv\n"
    assert ecom_cli("items", "list", "--json").stdout == "[]\n"


@pytest.fixture
def ordered(stocked, ecom_cli, files):
    """One web order turned into a sales order: lines, freight, tax, payment, hold, tracking."""
    for kind, text in (
        ("customers", "name,email\nJane Smith,jane@example.com\n"),
        ("ship-methods", "name,carrier,other_charge_item\nUPS Ground,UPS,FREIGHT\n"),
        ("payment-methods", "name\nCredit Card\n"),
        ("terms", "name,type\nPrepaid,credit_card\n"),
        ("custom-fields", "name\nWeb Order #\n"),
    ):
        assert ecom_cli("import", kind, files(f"{kind}.csv", text)).exit_code == 0
    stamp = dt.datetime(2024, 5, 2, 15, 30, tzinfo=dt.timezone.utc)
    with stocked.session() as session:
        one = lambda model, name: session.exec(select(model).where(model.name == name)).one()  # noqa: E731
        widget = session.exec(select(Item).where(Item.sku == "WID-1")).one()
        shop = Integration(name="my-shop", cart_kind="shopify")
        session.add(shop)
        session.flush()
        order = Transaction(
            type=TransactionType.SALES_ORDER, number="SO-1001", date=dt.date(2024, 5, 1),
            customer_id=one(Customer, "Jane Smith").id, status="open", hold=True, web_order_number="#1042",
            integration_id=shop.id, ship_method_id=one(ShipMethod, "UPS Ground").id,
            bill_name="Jane Smith", bill_line1="12 Elm St", bill_city="Albany", bill_state="NY",
            bill_postal_code="12207", bill_country="US", bill_email="jane@example.com",
            ship_name="Jane Smith", ship_line1="12 Elm St", ship_city="Albany", ship_state="NY",
            ship_postal_code="12207", ship_country="US",
            subtotal=Decimal("24.00"), freight=Decimal("5.00"), tax=Decimal("2.13"), total=Decimal("31.13"),
            tracking_number="1Z999", carrier="UPS", shipped_at=stamp, created_at=stamp, updated_at=stamp,
        )  # fmt: skip
        order.lines = [
            TransactionLine(line_no=1, item_id=widget.id, description="Blue widget", quantity=Decimal(2),
                            unit_price=Decimal("12.50"), amount=Decimal("25.00"), taxable=True),
            TransactionLine(line_no=2, kind=LineKind.DISCOUNT, description="Code SPRING", quantity=Decimal(1),
                            unit_price=Decimal("-1.00"), amount=Decimal("-1.00")),
        ]  # fmt: skip
        order.payments = [
            Payment(payment_method_id=one(PaymentMethod, "Credit Card").id, term_id=one(Term, "Prepaid").id,
                    amount=Decimal("31.13"), reference="ch_123"),
        ]  # fmt: skip
        order.custom_values = [CustomFieldValue(custom_field_id=one(CustomField, "Web Order #").id, value="#1042")]
        session.add(order)
        session.add(Transaction(number="SO-1000", date=dt.date(2024, 4, 30), customer_id=one(Customer, "Jane Smith").id,
                                total=Decimal("9.99"), created_at=stamp, updated_at=stamp))  # fmt: skip
    return stocked


def test_orders_list_json_is_stable(ordered, ecom_cli) -> None:
    result = ecom_cli("orders", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == ["SO-1000", "SO-1001"]
    assert rows[1] == {
        "currency": "USD",
        "customer": "Jane Smith",
        "date": "2024-05-01",
        "hold": True,
        "integration": "my-shop",
        "number": "SO-1001",
        "status": "open",
        "total": "31.13",
        "tracking_number": "1Z999",
        "type": "sales_order",
        "web_order_number": "#1042",
    }


def test_orders_list_is_an_aligned_table(ordered, ecom_cli) -> None:
    assert ecom_cli("orders", "list").stdout.splitlines() == [
        "NUMBER   TYPE         DATE        CUSTOMER    STATUS  HOLD  WEB ORDER      TOTAL",
        "SO-1000  sales order  2024-04-30  Jane Smith  open          -           9.99 USD",
        "SO-1001  sales order  2024-05-01  Jane Smith  open    hold  #1042      31.13 USD",
    ]


def test_orders_show_json_has_lines_freight_tax_payment_and_shipping(ordered, ecom_cli) -> None:
    result = ecom_cli("orders", "show", "SO-1001", "--json")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["lines"] == [
        {"amount": "25.00", "description": "Blue widget", "item_sales_tax": None, "kind": "item", "line_no": 1,
         "quantity": "2", "sku": "WID-1", "taxable": True, "unit_price": "12.50"},
        {"amount": "-1.00", "description": "Code SPRING", "item_sales_tax": None, "kind": "discount", "line_no": 2,
         "quantity": "1", "sku": None, "taxable": False, "unit_price": "-1.00"},
    ]  # fmt: skip
    assert shown["payments"] == [{"amount": "31.13", "payment_method": "Credit Card", "reference": "ch_123", "term": "Prepaid"}]
    assert {k: shown[k] for k in ("subtotal", "freight", "tax", "total", "currency")} == {
        "subtotal": "24.00", "freight": "5.00", "tax": "2.13", "total": "31.13", "currency": "USD",
    }  # fmt: skip
    assert {k: shown[k] for k in ("status", "hold", "web_order_number", "integration", "ship_method", "custom_fields")} == {
        "status": "open", "hold": True, "web_order_number": "#1042", "integration": "my-shop",
        "ship_method": "UPS Ground", "custom_fields": {"Web Order #": "#1042"},
    }  # fmt: skip
    assert (shown["tracking_number"], shown["carrier"], shown["shipped_at"]) == ("1Z999", "UPS", "2024-05-02T15:30:00+00:00")
    assert shown["bill_to"]["email"] == "jane@example.com"
    assert shown["ship_to"]["postal_code"] == "12207"
    assert sorted(shown) == sorted(
        "number type date customer accounting_customer status hold web_order_number integration location class ship_method "
        "sales_tax_code item_sales_tax bill_to ship_to lines subtotal freight tax total currency payments "
        "custom_fields tracking_number carrier shipped_at voided_at closed_at created_at".split()
    )


def test_orders_show_reads_like_the_order(ordered, ecom_cli) -> None:
    assert ecom_cli("orders", "show", "SO-1001").stdout.splitlines() == [
        "Sales order SO-1001  2024-05-01  open  ON HOLD",
        "Customer     Jane Smith",
        "Web order    #1042 (my-shop)",
        "Ship method  UPS Ground",
        "Bill to      Jane Smith, 12 Elm St, Albany, NY 12207, US",
        "Ship to      Jane Smith, 12 Elm St, Albany, NY 12207, US",
        "Web Order #  #1042",
        "Tracking     1Z999 (UPS), shipped 2024-05-02T15:30:00+00:00",
        "",
        "#  KIND      SKU    DESCRIPTION  QTY  PRICE  AMOUNT",
        "1  item      WID-1  Blue widget    2  12.50   25.00",
        "2  discount  -      Code SPRING    1  -1.00   -1.00",
        "",
        "Subtotal  24.00",
        "Freight    5.00",
        "Tax        2.13",
        "Total     31.13 USD",
        "Payment   31.13  Credit Card / Prepaid  ref ch_123",
    ]


def test_orders_show_an_unknown_number_says_so(ordered, ecom_cli) -> None:
    result = ecom_cli("orders", "show", "SO-9")
    assert result.exit_code == 3
    assert result.stderr == 'Error: No transaction numbered "SO-9" (see: ecom orders list).\n'
    by_web_number = ecom_cli("orders", "show", "#1042")
    assert by_web_number.stderr == 'Error: No transaction numbered "#1042" (web order #1042 is transaction SO-1001).\n'


def test_orders_list_on_an_empty_database(ecom_db, ecom_cli) -> None:
    assert ecom_cli("orders", "list", "--json").stdout == "[]\n"
    assert "No transactions yet" in ecom_cli("orders", "list").stdout


@pytest.mark.parametrize(
    "args",
    [("items", "list"), ("orders", "list"), ("orders", "show", "SO-1"), ("import", "locations", "FILE")],
    ids=lambda a: " ".join(a[:2]),
)
def test_commands_on_a_missing_database_say_to_run_init_in_one_line(tmp_path, monkeypatch, ecom_cli, files, args) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    args = tuple(files("loc.csv", "name\nMain\n") if a == "FILE" else a for a in args)
    result = ecom_cli(*args)
    assert result.exit_code == 3
    assert result.stderr == "Error: No ecom database at ecom.db: run `ecom init` to create it (or set ECOM_DATABASE_URL).\n"
    assert not (tmp_path / "ecom.db").exists()


def test_the_root_help_lists_the_back_office_commands(ecom_cli) -> None:
    out = ecom_cli("--help").stdout
    for command in ("init", "import", "items", "orders"):
        assert f"\n  {command} " in out
