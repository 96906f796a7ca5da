"""The table models: exact decimals, UTC datetimes, and the constraints the database must enforce."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from ecom import models
from ecom.models import (
    BomLine,
    Customer,
    ExternalRef,
    Integration,
    Item,
    ItemType,
    Job,
    JobEvent,
    JobStatus,
    Location,
    PurchaseOrderLine,
    Stock,
    TermType,
    Transaction,
    TransactionLine,
)

REQUIRED_NAMES = (
    "Item ItemGroup Location Stock BomLine PurchaseOrderLine ItemVendor Customer ShipTo SalesTaxCode "
    "ItemSalesTax ShipMethod PaymentMethod Term TransactionClass SalesRep CustomerType Discount "
    "CustomField Transaction TransactionLine Payment CustomFieldValue Integration ExternalRef Job "
    "JobEvent ItemType TermType TransactionType JobStatus"
).split()


def test_the_names_the_rest_of_ecom_relies_on_exist() -> None:
    missing = [name for name in REQUIRED_NAMES if not hasattr(models, name)]
    assert missing == []


def test_no_table_model_inherits_from_another_table_model() -> None:
    tables = [cls for cls in vars(models).values() if isinstance(cls, type) and getattr(cls, "__table__", None) is not None]
    assert len(tables) == len(models.BACK_OFFICE_TABLES) + len(models.ENGINE_TABLES)
    for cls in tables:
        parents = [base for base in cls.__mro__[1:] if getattr(base, "__table__", None) is not None]
        assert parents == [], f"{cls.__name__} inherits from the table model {parents[0].__name__}"


def test_every_table_has_a_docstring() -> None:
    for cls in (*models.BACK_OFFICE_TABLES, *models.ENGINE_TABLES):
        assert cls.__doc__ and cls.__doc__.strip(), cls.__name__


def test_decimals_come_back_exactly(ecom_db) -> None:
    values = [Decimal("0.08875"), Decimal("12.50"), Decimal("-3"), Decimal("12345678901234567890.123456789")]
    with ecom_db.session() as session:
        for n, value in enumerate(values):
            session.add(Item(sku=f"S{n}", name="x", price=value))
    with ecom_db.session() as session:
        prices = [item.price for item in session.exec(select(Item).order_by(Item.sku))]
    assert prices == values
    assert [str(p) for p in prices][:2] == ["0.08875", "12.50"]


def test_a_float_is_refused_for_money(ecom_db) -> None:
    with pytest.raises(StatementError, match="must be a Decimal, not the float 9.99"):
        with ecom_db.session() as session:
            session.add(Item(sku="F", name="float", price=9.99))


def test_datetimes_are_stored_in_utc_and_read_back_aware(ecom_db) -> None:
    new_york = dt.timezone(dt.timedelta(hours=-5))
    with ecom_db.session() as session:
        integration = Integration(name="shop", cart_kind="testcart")
        session.add(integration)
        session.flush()
        session.add(Job(integration_id=integration.id, started_at=dt.datetime(2024, 3, 1, 7, 30, tzinfo=new_york)))
    with ecom_db.session() as session:
        job = session.exec(select(Job)).one()
    assert job.started_at == dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone.utc)
    assert job.started_at.utcoffset() == dt.timedelta(0)
    assert job.created_at.tzinfo is not None


def test_a_naive_datetime_is_refused(ecom_db) -> None:
    with pytest.raises(StatementError, match="has no timezone"):
        with ecom_db.session() as session:
            integration = Integration(name="shop", cart_kind="testcart")
            session.add(integration)
            session.flush()
            session.add(Job(integration_id=integration.id, started_at=dt.datetime(2024, 3, 1, 7, 30)))


def test_enums_are_stored_as_their_values(ecom_db) -> None:
    with ecom_db.session() as session:
        session.add(Item(sku="N", name="not stocked", type=ItemType.NON_INVENTORY))
    with ecom_db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT type FROM items")).scalar_one() == "non_inventory"
    with ecom_db.session() as session:
        assert session.exec(select(Item)).one().type is ItemType.NON_INVENTORY


def _integration(session, name: str = "shop") -> Integration:
    integration = Integration(name=name, cart_kind="testcart")
    session.add(integration)
    session.flush()
    return integration


def test_the_database_allows_one_binding_per_integration_kind_and_external_id(ecom_db) -> None:
    with ecom_db.session() as session:
        shop, other = _integration(session), _integration(session, "other")
        session.add(ExternalRef(integration_id=shop.id, kind="order", external_id="1001", local_id=1))
        session.add(ExternalRef(integration_id=shop.id, kind="customer", external_id="1001", local_id=2))
        session.add(ExternalRef(integration_id=other.id, kind="order", external_id="1001", local_id=3))
        shop_id = shop.id
    with pytest.raises(IntegrityError):
        with ecom_db.session() as session:
            session.add(ExternalRef(integration_id=shop_id, kind="order", external_id="1001", local_id=9))
    with ecom_db.session() as session:
        assert len(session.exec(select(ExternalRef)).all()) == 3


@pytest.mark.parametrize("first", [JobStatus.QUEUED, JobStatus.RUNNING])
@pytest.mark.parametrize("second", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_the_database_allows_one_unfinished_job_per_integration(ecom_db, first, second) -> None:
    with ecom_db.session() as session:
        shop_id = _integration(session).id
        session.add(Job(integration_id=shop_id, status=first))
    with pytest.raises(IntegrityError):
        with ecom_db.session() as session:
            session.add(Job(integration_id=shop_id, status=second))


def test_finished_jobs_do_not_block_a_new_one(ecom_db) -> None:
    with ecom_db.session() as session:
        shop, other = _integration(session), _integration(session, "other")
        for status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.SUCCEEDED_WITH_ERRORS, JobStatus.QUEUED):
            session.add(Job(integration_id=shop.id, status=status))
        session.add(Job(integration_id=other.id, status=JobStatus.RUNNING))
        session.flush()
        running = session.exec(select(Job).where(Job.integration_id == shop.id, Job.status == JobStatus.QUEUED)).one()
        running.status = JobStatus.SUCCEEDED
        session.flush()
        session.add(Job(integration_id=shop.id, status=JobStatus.QUEUED))
    with ecom_db.session() as session:
        assert len(session.exec(select(Job)).all()) == 6


def test_job_counts_changed_in_place_are_saved(ecom_db) -> None:
    with ecom_db.session() as session:
        session.add(Job(integration_id=_integration(session).id))
    with ecom_db.session() as session:
        job = session.exec(select(Job)).one()
        job.counts["orders"] = 3
    with ecom_db.session() as session:
        assert session.exec(select(Job)).one().counts == {"orders": 3}


def test_foreign_keys_are_enforced(ecom_db) -> None:
    with pytest.raises(IntegrityError):
        with ecom_db.session() as session:
            session.add(Stock(item_id=999, location_id=999, on_hand=Decimal(1)))


def test_deleting_a_transaction_deletes_its_lines_and_an_integration_its_jobs(ecom_db) -> None:
    with ecom_db.session() as session:
        customer = Customer(name="Jane")
        session.add(customer)
        session.flush()
        order = Transaction(number="SO-1", date=dt.date(2024, 1, 2), customer_id=customer.id)
        order.lines = [TransactionLine(line_no=1, description="a"), TransactionLine(line_no=2, description="b")]
        session.add(order)
        integration = _integration(session)
        session.add(Job(integration_id=integration.id))
        session.flush()
        session.add(JobEvent(job_id=session.exec(select(Job)).one().id, message="order 1001: no SKU"))
    with ecom_db.engine.begin() as connection:  # straight SQL: the database cascades, not the ORM
        connection.execute(sa.text("DELETE FROM transactions"))
        connection.execute(sa.text("DELETE FROM integrations"))
    with ecom_db.session() as session:
        assert session.exec(select(TransactionLine)).all() == []
        assert session.exec(select(Job)).all() == []
        assert session.exec(select(JobEvent)).all() == []


def test_a_bom_pair_is_unique(ecom_db) -> None:
    with ecom_db.session() as session:
        kit, part = Item(sku="KIT", name="kit", type=ItemType.KIT), Item(sku="P", name="part")
        session.add_all([kit, part])
        session.flush()
        session.add(BomLine(assembly_id=kit.id, component_id=part.id, quantity=Decimal(2)))
        ids = kit.id, part.id
    with pytest.raises(IntegrityError):
        with ecom_db.session() as session:
            session.add(BomLine(assembly_id=ids[0], component_id=ids[1], quantity=Decimal(1)))


def test_derived_quantities_and_flags() -> None:
    assert Stock(item_id=1, location_id=1, on_hand=Decimal(5), committed=Decimal(7)).available == Decimal(-2)
    line = PurchaseOrderLine(po_number="PO1", item_id=1, location_id=1, ordered=Decimal(10), received=Decimal(12))
    assert line.open_quantity == Decimal(0)
    line.received = Decimal(4)
    assert line.open_quantity == Decimal(6)
    assert not TermType.ACCOUNTS_RECEIVABLE.records_payment
    assert TermType.CREDIT_CARD.records_payment
    assert [s for s in JobStatus if not s.finished] == [JobStatus.QUEUED, JobStatus.RUNNING]
    assert ItemType.KIT.has_components and not ItemType.INVENTORY.has_components


def test_the_unfinished_job_index_is_partial_on_both_databases() -> None:
    index = next(i for i in Job.__table__.indexes if i.name == "uq_jobs_one_unfinished_per_integration")
    assert index.unique
    assert str(index.dialect_options["sqlite"]["where"]) == "status IN ('queued', 'running')"
    assert str(index.dialect_options["postgresql"]["where"]) == "status IN ('queued', 'running')"


def test_location_names_are_unique(ecom_db) -> None:
    with ecom_db.session() as session:
        session.add(Location(name="Main"))
    with pytest.raises(IntegrityError):
        with ecom_db.session() as session:
            session.add(Location(name="Main"))
    assert SQLModel.metadata.tables["locations"].c.name.unique
