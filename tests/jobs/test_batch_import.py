"""Orders imported a batch at a time: the back office ends the same as with one order at a time,
and one order the database refuses fails alone, writing nothing."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.jobs import orders
from ecom.jobs.writer import lock_order

RULES = [("email", "address"), ("cart_id", "address"), ("company", "always_new"), ("name_postal", "address")]


def set_matching(shop, customer_match: str, ship_to_match: str) -> None:
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.preferences.customer_match = customer_match
        settings.preferences.ship_to_match = ship_to_match
        integrations.save_settings(session, integration, settings)


def back_office(shop) -> dict[str, list[tuple]]:
    """What an import left, by names (ids differ from one import to the next)."""
    customer, ship_to = m.Customer.__table__, m.ShipTo.__table__
    txn, ref = m.Transaction.__table__, m.ExternalRef.__table__
    with shop.db.engine.connect() as c:
        return {
            "customers": sorted(c.execute(sa.select(customer.c.name, customer.c.email, customer.c.company, customer.c.taxable))),
            "ship_tos": sorted(c.execute(
                sa.select(customer.c.name, ship_to.c.name, ship_to.c.line1, ship_to.c.postal_code).join(ship_to)
            )),
            "orders": sorted(c.execute(
                sa.select(txn.c.web_order_number, customer.c.name, ship_to.c.name, txn.c.total)
                .join(customer, customer.c.id == txn.c.customer_id)
                .outerjoin(ship_to, ship_to.c.id == txn.c.ship_to_id)
            )),
            "customer_bindings": sorted(c.execute(
                sa.select(ref.c.external_id, customer.c.name).join(customer, customer.c.id == ref.c.local_id)
                .where(ref.c.kind == "customer")
            )),
        }


def forget_imports(shop) -> None:
    """Delete what imports wrote, so the cart's orders import again into an empty back office."""
    with shop.db.engine.begin() as c:
        for model in (m.TransactionLine, m.Payment, m.CustomFieldValue, m.Transaction, m.ExternalRef, m.ShipTo,
                      m.Customer, m.FailedOrder):
            c.execute(sa.delete(model.__table__))


@pytest.mark.parametrize(("customer_match", "ship_to_match"), RULES)
def test_a_batch_imports_what_the_orders_imported_one_at_a_time_would(shop, monkeypatch, customer_match, ship_to_match):
    """Ten buyers over 48 orders, one page, one batch: a buyer's second order matches the customer
    (and ship-to) the first created in the same batch, by each matching rule, and new customers
    and ship-tos get the names they would get written one at a time."""
    set_matching(shop, customer_match, ship_to_match)
    shop.fake.seed(orders=48, seed=13)
    with monkeypatch.context() as one_at_a_time:
        # alone, in the order a batch writes its orders (by customer, lock_order)
        one_at_a_time.setattr(orders, "_batches", lambda records, size: ([records[p]] for p in lock_order(records)))
        alone = shop.sync(phases=["import_orders"], full=True)
    expected = back_office(shop)
    forget_imports(shop)
    together = shop.sync(phases=["import_orders"], full=True)
    assert together.counts["import_orders"] == alone.counts["import_orders"]
    assert together.counts["import_orders"]["created"] > 30
    assert back_office(shop) == expected


def test_a_new_buyers_orders_in_one_batch_share_one_customer(shop):
    shop.fake.seed(orders=48, seed=13)
    job = shop.sync(phases=["import_orders"])
    with shop.session() as session:
        rows = session.exec(
            select(m.Transaction.bill_email, m.Customer.email).join(m.Customer, m.Customer.id == m.Transaction.customer_id)
        ).all()
    buyers = {bill.lower() for bill, _ in rows}
    assert job.counts["import_orders"]["created"] == len(rows) > len(buyers) > 1
    assert all(bill == email for bill, email in rows)  # each order on its buyer's customer
    assert shop.count(m.Customer) == len(buyers)  # one customer per buyer, made by the first order


def test_orders_imported_before_in_a_batch_of_new_ones_are_skipped_and_the_new_ones_imported(shop):
    shop.fake.seed(orders=20, seed=14)
    first = shop.sync(phases=["import_orders"]).counts["import_orders"]
    shop.fake.seed(orders=20, seed=15)  # new orders of the same buyers, read in one batch with the old ones
    again = shop.sync(phases=["import_orders"], full=True).counts["import_orders"]
    assert again["fetched"] == 40 and again["failed"] == 0 and again["created"] > 10
    assert again["skipped"] >= first["created"]  # every order imported before
    with shop.session() as session:
        numbers = session.exec(select(m.Transaction.web_order_number)).all()
        emails = session.exec(select(m.Transaction.bill_email)).all()
    assert len(numbers) == len(set(numbers)) == first["created"] + again["created"]
    assert shop.count(m.Customer) == len({e.lower() for e in emails})  # old buyers matched, not made again


REFUSED_EMAIL = "refused.buyer@example.org"


@pytest.fixture
def refusing_trigger(shop):
    """A database that refuses the transaction of one order (by its web order number), as a
    database refuses a row (a constraint, a trigger, a full column): the statement fails."""
    number = {"value": None}

    def refuse(web_order_number: str) -> None:
        number["value"] = web_order_number
        with shop.db.engine.begin() as c:
            if shop.db.backend == "sqlite":
                c.exec_driver_sql(
                    "CREATE TRIGGER refuse_one BEFORE INSERT ON transactions "
                    f"WHEN NEW.web_order_number = '{web_order_number}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
                )
            else:
                c.exec_driver_sql(
                    "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.web_order_number = '{web_order_number}' THEN RAISE EXCEPTION 'refused by the test trigger'; "
                    "END IF; RETURN NEW; END $$"
                )
                c.exec_driver_sql("CREATE TRIGGER refuse_one BEFORE INSERT ON transactions FOR EACH ROW EXECUTE FUNCTION refuse_one()")

    def allow() -> None:
        with shop.db.engine.begin() as c:
            c.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_one" + ("" if shop.db.backend == "sqlite" else " ON transactions"))
            if shop.db.backend != "sqlite":
                c.exec_driver_sql("DROP FUNCTION IF EXISTS refuse_one()")

    refuse.allow = allow  # type: ignore[attr-defined]
    yield refuse
    allow()  # the shared PostgreSQL database outlives the test


def test_an_order_the_database_refuses_fails_alone_and_writes_nothing(shop, refusing_trigger):
    shop.fake.seed(orders=30, seed=16)
    model = next(o for o in shop.fake.orders.values() if o["status"] == "paid" and not o["archived_at"])
    refused = copy.deepcopy(model)  # a new buyer's order, in the middle of the batch
    refused["id"] = max(shop.fake.orders) + 1
    refused["number"] = f"TC-{refused['id']}"
    refused["customer"].update(id=None, email=REFUSED_EMAIL, first_name="Refused", last_name="Buyer", company=None)
    refused["billing_address"].update(email=REFUSED_EMAIL, first_name="Refused", last_name="Buyer", company=None)
    refused["shipping_address"].update(first_name="Refused", last_name="Buyer", company=None, address1="1 Refused Rd")
    shop.fake.orders[refused["id"]] = refused
    refusing_trigger(refused["number"])

    job = shop.sync(phases=["import_orders"])
    counts = job.counts["import_orders"]
    assert counts["fetched"] == 31 and counts["failed"] == 1 and counts["created"] > 20
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent.record_ref, m.JobEvent.message).where(m.JobEvent.level == m.EventLevel.ERROR)).all()
        numbers = set(session.exec(select(m.Transaction.web_order_number)))
        bound = set(session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")))
        emails = set(session.exec(select(m.Customer.email)))
        streets = set(session.exec(select(m.ShipTo.line1)))
    assert errors == [(refused["number"], "could not be written: refused by the test trigger")]
    assert refused["number"] not in numbers and str(refused["id"]) not in bound
    assert len(numbers) == len(bound) == counts["created"]  # every other order of its batch
    assert REFUSED_EMAIL not in emails and "1 Refused Rd" not in streets  # its new customer and ship-to went with it

    refusing_trigger.allow()
    retried = shop.sync(phases=["import_orders"]).counts["import_orders"]
    assert retried["created"] == 1 and retried["failed"] == 0  # kept aside, imported once the database takes it


def test_a_text_no_database_can_store_fails_its_order_by_name_and_the_batch_imports(shop):
    """A NUL character in a cart's text (PostgreSQL refuses it in any text column, SQLite would keep
    it) never reaches the database: that order fails naming the field, the rest of its batch imports."""
    shop.fake.seed(orders=30, seed=16)
    bad = shop.fake.order(next(iter(shop.fake.orders)))
    bad["billing_address"]["last_name"] = "Smith\x00DROP"
    job = shop.sync(phases=["import_orders"])
    counts = job.counts["import_orders"]
    assert counts["failed"] == 1 and counts["created"] + counts["skipped"] == 29
    with shop.session() as session:
        [event] = session.exec(select(m.JobEvent).where(m.JobEvent.level == m.EventLevel.ERROR)).all()
        numbers = session.exec(select(m.Transaction.web_order_number)).all()
    assert event.record_ref == bad["number"]
    assert "billing last_name 'Smith\\x00DROP': holds a NUL character" in event.message
    assert bad["number"] not in numbers and len(numbers) == counts["created"]
