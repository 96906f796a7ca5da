"""Migrations: the migrated schema is the models' schema, and an upgrade never loses a row."""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel, select

from ecom import db
from ecom.errors import ConfigError
from ecom.models import Item, Transaction, TransactionLine
from ecom.testing.database import provision

ROOT = Path(__file__).resolve().parents[1]


EXPRESSION_INDEXES = {"ix_customers_lower_email", "ix_customers_lower_company", "ix_customers_lower_name"}


def _not_an_expression_index(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic cannot compare expression indexes (SQLite does not even reflect them): checked below."""
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_the_migrated_schema_is_the_models_schema(ecom_db) -> None:
    with ecom_db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _not_an_expression_index}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "models and migrations differ; write a revision (docs/database.md)"


def test_the_expression_indexes_of_the_models_are_in_the_migrated_database(ecom_db) -> None:
    modelled = {ix.name for table in SQLModel.metadata.tables.values() for ix in table.indexes if ix.expressions and not all(isinstance(e, sa.Column) for e in ix.expressions)}
    assert modelled == EXPRESSION_INDEXES
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index'" if ecom_db.backend == "sqlite"
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'customers'"
    )
    with ecom_db.engine.connect() as connection:
        present = {row[0] for row in connection.exec_driver_sql(query)}
    assert EXPRESSION_INDEXES <= present


def test_revisions_form_one_line_starting_with_the_back_office_then_the_engine() -> None:
    scripts = ScriptDirectory.from_config(db.alembic_config())
    assert len(scripts.get_heads()) == 1
    order = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    assert order[:2] == ["0001", "0002"]
    assert order[-1] == db.head_revision()
    for earlier, later in zip(order, order[1:], strict=False):
        assert scripts.get_revision(later).down_revision == earlier


def test_revisions_are_frozen_history_and_do_not_import_the_models() -> None:
    for path in sorted((db.MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text()
        assert "import ecom" not in text and "from ecom" not in text, f"{path.name} imports ecom"


def test_the_migrations_ship_in_the_package() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ecom"]
    package = db.MIGRATIONS.parent
    needed = [db.MIGRATIONS / "env.py", db.MIGRATIONS / "script.py.mako", *(db.MIGRATIONS / "versions").glob("*.py")]
    for path in needed:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not in the package data"


def _rows(engine: sa.Engine, tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of ``tables`` (name -> columns), in id order."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name, columns in tables.items():
            table = metadata.tables[name]
            query = sa.select(*(table.c[c] for c in columns)).order_by(table.c.id)
            found[name] = [tuple(row) for row in connection.execute(query)]
    return found


def _fill_revision_0001(engine: sa.Engine) -> None:
    """A small but complete back office, written with the 0001 schema."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    t = metadata.tables
    now = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    with engine.begin() as c:
        c.execute(t["item_groups"].insert(), [{"id": 1, "name": "Widgets"}])
        c.execute(t["locations"].insert(), [{"id": 1, "name": "Main"}, {"id": 2, "name": "Store"}])
        c.execute(t["classes"].insert(), [{"id": 1, "name": "Web"}])
        c.execute(t["sales_reps"].insert(), [{"id": 1, "name": "Dana", "email": "dana@example.com"}])
        c.execute(t["customer_types"].insert(), [{"id": 1, "name": "Retail"}])
        c.execute(t["sales_tax_codes"].insert(), [{"id": 1, "name": "Tax", "taxable": True}])
        c.execute(t["item_sales_taxes"].insert(), [{"id": 1, "name": "NY", "rate": "0.08875"}])
        c.execute(t["payment_methods"].insert(), [{"id": 1, "name": "Card"}])
        c.execute(t["terms"].insert(), [{"id": 1, "name": "Prepaid", "term_type": "credit_card"}])
        c.execute(t["custom_fields"].insert(), [{"id": 1, "name": "Web Order #", "applies_to": "transaction"}])
        item = {"group_id": 1, "type": "inventory", "weight": None, "taxable": True, "active": True, "description": None}
        c.execute(
            t["items"].insert(),
            [
                {**item, "id": 1, "sku": "WID-1", "name": "Widget", "price": "12.50"},
                {**item, "id": 2, "sku": "KIT", "name": "Kit", "price": "20.00", "type": "kit"},
                {**item, "id": 3, "sku": "FREIGHT", "name": "Freight", "price": "0", "type": "other_charge"},
            ],
        )
        c.execute(t["stock"].insert(), [{"id": 1, "item_id": 1, "location_id": 1, "on_hand": "40", "committed": "5"}])
        c.execute(t["bom_lines"].insert(), [{"id": 1, "assembly_id": 2, "component_id": 1, "quantity": "2"}])
        c.execute(
            t["purchase_order_lines"].insert(),
            [{"id": 1, "po_number": "PO-1", "item_id": 1, "location_id": 2, "ordered": "10", "received": "4"}],
        )
        c.execute(t["item_vendors"].insert(), [{"id": 1, "item_id": 1, "vendor": "Acme", "quantity": "100"}])
        c.execute(
            t["customers"].insert(),
            [
                {
                    "id": 1, "name": "Jane Smith", "email": "jane@example.com", "company": None, "phone": None,
                    "first_name": "Jane", "last_name": "Smith", "customer_type_id": 1, "sales_rep_id": 1,
                    "sales_tax_code_id": 1, "item_sales_tax_id": 1, "taxable": True,
                }
            ],
        )  # fmt: skip
        c.execute(t["ship_tos"].insert(), [{"id": 1, "customer_id": 1, "name": "Home", "line1": "12 Elm St", "city": "Albany"}])
        c.execute(t["ship_methods"].insert(), [{"id": 1, "name": "UPS Ground", "carrier": "UPS", "other_charge_item_id": 3}])
        c.execute(t["discounts"].insert(), [{"id": 1, "name": "Web", "item_id": None, "description": None}])
        c.execute(
            t["transactions"].insert(),
            [
                {
                    "id": 1, "type": "sales_order", "number": "SO-1", "date": dt.date(2024, 5, 1), "customer_id": 1,
                    "ship_to_id": 1, "status": "open", "hold": True, "web_order_number": "#1001", "location_id": 1,
                    "class_id": 1, "ship_method_id": 1, "sales_tax_code_id": 1, "item_sales_tax_id": 1,
                    "bill_name": "Jane Smith", "ship_name": "Jane Smith", "subtotal": "25.00", "freight": "5.00",
                    "tax": "2.22", "total": "32.22", "currency": "USD", "tracking_number": "1Z9", "carrier": "UPS",
                    "shipped_at": now, "created_at": now, "updated_at": now,
                }
            ],
        )  # fmt: skip
        line = {"transaction_id": 1, "kind": "item", "taxable": True, "item_sales_tax_id": 1}
        c.execute(
            t["transaction_lines"].insert(),
            [
                {**line, "id": 1, "line_no": 1, "item_id": 1, "description": "Widget", "quantity": "2", "unit_price": "12.50", "amount": "25.00"},
                {**line, "id": 2, "line_no": 2, "item_id": None, "description": "Coupon", "quantity": "1", "unit_price": "-1", "amount": "-1", "kind": "discount"},
            ],
        )  # fmt: skip
        c.execute(
            t["payments"].insert(),
            [{"id": 1, "transaction_id": 1, "payment_method_id": 1, "term_id": 1, "amount": "32.22", "reference": "ch_1"}],
        )
        c.execute(t["custom_field_values"].insert(), [{"id": 1, "transaction_id": 1, "custom_field_id": 1, "value": "#1001"}])


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ecom_init_upgrades_a_0001_database_without_losing_a_row(request, backend, ecom_cli, monkeypatch) -> None:
    url = provision(request, backend, migrated=False)
    assert db.upgrade(url, "0001") == "0001"
    engine = db.make_engine(url)
    try:
        _fill_revision_0001(engine)
        metadata = sa.MetaData()
        metadata.reflect(engine)
        tables = {name: [c.name for c in table.columns] for name, table in metadata.tables.items() if name != "alembic_version"}
        before = _rows(engine, tables)
    finally:
        engine.dispose()
    assert all(before.values()), "every table of revision 0001 gets a row"

    monkeypatch.setenv(db.ENV_VAR, url)
    result = ecom_cli("init")
    assert result.exit_code == 0, result.output
    assert f"from revision 0001 to {db.head_revision()} (latest)" in result.stdout

    engine = db.make_engine(url)
    try:
        assert _rows(engine, tables) == before
        with db.session(engine) as session:
            order = session.exec(select(Transaction)).one()
            assert order.integration_id is None
            assert [(ln.line_no, ln.amount) for ln in order.lines] == [(1, 25), (2, -1)]
            assert order.shipped_at == dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
            assert session.exec(select(Item.price).where(Item.sku == "WID-1")).one() == 12.5
            assert len(session.exec(select(TransactionLine)).all()) == 2
    finally:
        engine.dispose()


def test_a_database_can_go_down_to_nothing_and_back_up(request) -> None:
    url = provision(request, "sqlite", migrated=False)
    db.upgrade(url)
    engine = db.make_engine(url, for_migrations=True)
    try:
        with engine.begin() as connection:
            command.downgrade(db.alembic_config(url, connection), "base")
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()
    assert db.upgrade(url) == db.head_revision()


def test_a_failed_upgrade_changes_nothing(request) -> None:
    url = provision(request, "sqlite", migrated=False)
    db.upgrade(url, "0001")
    path = db.sqlite_path(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # a table the engine revision wants to create, in the way
        connection.exec_driver_sql("CREATE TABLE job_events (id INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(ConfigError, match="Cannot migrate the database .*job_events already exists"):
        db.upgrade(url)
    engine = sa.create_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert "integrations" not in names and "jobs" not in names
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
    finally:
        engine.dispose()
    assert path.exists()
