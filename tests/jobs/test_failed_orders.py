"""Orders that fail to import are kept aside, tried again by id, and never hold the watermark back;
a cart id reused for another order is an error; no order's date moves the watermark past the read."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from sqlmodel import select

from ecom import models as m
from ecom.jobs import state
from ecom.models import JobStatus
from ecom.plugins import Driver
from ecom.testing.testcart_seed import stamp


def open_orders(shop, n: int) -> list[dict]:
    found = [o for o in shop.fake.orders.values() if not o.get("archived_at") and o["status"] in ("paid", "pending")]
    return sorted(found, key=lambda o: o["updated_at"])[:n]


def break_orders(shop, n: int) -> list[dict]:
    """``n`` orders with a line no mapping knows: they fail until LATE-SKU exists."""
    victims = open_orders(shop, n)
    for victim in victims:
        victim["items"][0]["sku"] = "LATE-SKU"
    return victims


def kept(shop) -> list[m.FailedOrder]:
    with shop.session() as session:
        return list(session.exec(select(m.FailedOrder).order_by(m.FailedOrder.id)))


def watermark(shop) -> dt.datetime | None:
    with shop.session() as session:
        return state.get(session, shop.integration(session).id, "orders")


def order_reads(shop) -> list[str]:
    return [r.query for r in shop.fake.requests if r.method == "GET" and r.path == "/api/v1/orders"]


def imported_numbers(shop) -> set[str]:
    with shop.session() as session:
        return set(session.exec(select(m.Transaction.web_order_number)))


def test_a_failing_order_is_kept_aside_with_its_copy_and_the_watermark_moves_past_it(shop):
    shop.fake.seed(orders=40, seed=11)
    (victim,) = break_orders(shop, 1)  # the oldest change: it used to pin the watermark
    job = shop.sync(phases=["import_orders"])
    assert job.status is JobStatus.SUCCEEDED_WITH_ERRORS and job.counts["import_orders"]["failed"] == 1
    (row,) = kept(shop)
    assert (row.external_id, row.number, row.attempts) == (str(victim["id"]), victim["number"], 1)
    assert "LATE-SKU" in row.error and row.payload["external_id"] == str(victim["id"]) and row.job_id == job.id
    assert watermark(shop) > dt.datetime.fromisoformat(victim["updated_at"])


def test_kept_aside_orders_are_asked_for_by_id_each_sync_and_import_once_the_mapping_is_fixed(shop, ecom_cli):
    shop.fake.seed(orders=120, seed=12)
    victims = break_orders(shop, 5)
    shop.sync(phases=["import_orders"])
    reads = len(order_reads(shop))
    again = shop.sync(phases=["import_orders"])
    counts = again.counts["import_orders"]
    assert counts["retried"] == 5 and counts["failed"] == 5 and counts["created"] == 0
    asked = order_reads(shop)[reads:]
    assert [q for q in asked if "ids=" in q] and len([q for q in asked if "ids=" in q]) == 1, "one request for 5 ids"
    assert len(asked) <= 2, f"the re-sync read {len(asked)} pages: only the overlap and the kept-aside orders"
    assert {row.attempts for row in kept(shop)} == {2}

    listed = json.loads(ecom_cli("orders", "failed", "--integration", "shop", "--json").stdout)
    assert sorted(r["number"] for r in listed) == sorted(v["number"] for v in victims)
    assert all("LATE-SKU" in r["error"] and r["attempts"] == 2 for r in listed)

    with shop.db.session() as session:  # the merchant adds the missing item: no --full needed
        session.add(m.Item(sku="LATE-SKU", name="Late arrival"))
    fixed = shop.sync(phases=["import_orders"])
    assert fixed.counts["import_orders"]["created"] == 5 and fixed.counts["import_orders"]["failed"] == 0
    assert {v["number"] for v in victims} <= imported_numbers(shop)
    assert kept(shop) == []
    assert json.loads(ecom_cli("orders", "failed", "--json").stdout) == []


def test_jobs_retry_still_imports_from_the_copies_and_clears_them(shop, ecom_cli):
    shop.fake.seed(orders=30, seed=13)
    victims = break_orders(shop, 2)
    failed = shop.sync(phases=["import_orders"])
    with shop.db.session() as session:
        session.add(m.Item(sku="LATE-SKU", name="Late arrival"))
    reads = len(shop.fake.requests)
    result = ecom_cli("jobs", "retry", str(failed.id))
    assert result.exit_code == 0, result.output
    assert len(shop.fake.requests) == reads, "from the kept copies: the cart is not read"
    assert {v["number"] for v in victims} <= imported_numbers(shop) and kept(shop) == []


def test_a_dismissed_order_is_not_tried_again_until_the_cart_changes_it(shop, ecom_cli):
    shop.fake.seed(orders=30, seed=14)
    (victim,) = break_orders(shop, 1)
    shop.sync(phases=["import_orders"])
    (row,) = kept(shop)
    dismissed = ecom_cli("orders", "dismiss", str(row.id), "--json")
    assert dismissed.exit_code == 0, dismissed.output
    assert json.loads(dismissed.stdout)["number"] == victim["number"] and json.loads(dismissed.stdout)["dismissed_at"]
    assert json.loads(ecom_cli("orders", "failed", "--json").stdout) == []
    twice = ecom_cli("orders", "dismiss", str(row.id))
    assert twice.exit_code != 0 and "dismissed already" in twice.output

    reads = len(order_reads(shop))
    quiet = shop.sync(phases=["import_orders"])
    assert quiet.status is JobStatus.SUCCEEDED and quiet.counts["import_orders"]["failed"] == 0
    assert not [q for q in order_reads(shop)[reads:] if "ids=" in q], "a dismissed order is not asked for"

    victim["updated_at"] = stamp(dt.datetime.now(dt.UTC))  # the merchant edits it in the cart
    back = shop.sync(phases=["import_orders"])
    assert back.counts["import_orders"]["failed"] == 1
    (row,) = kept(shop)
    assert row.dismissed_at is None and row.attempts == 2


def test_a_kept_aside_order_the_cart_no_longer_has_is_an_error_saying_so(shop):
    shop.fake.seed(orders=30, seed=15)
    (victim,) = break_orders(shop, 1)
    shop.sync(phases=["import_orders"])
    del shop.fake.orders[victim["id"]]
    job = shop.sync(phases=["import_orders"])
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR)).all()
    assert [e.record_ref for e in errors] == [victim["number"]]
    assert "no longer returns" in errors[0].message and "ecom orders dismiss" in errors[0].message
    assert len(kept(shop)) == 1


def test_without_fetch_orders_by_id_the_kept_copies_are_tried(shop, monkeypatch):
    shop.fake.seed(orders=30, seed=16)
    victims = break_orders(shop, 2)
    shop.sync(phases=["import_orders"])
    real = Driver.implements
    monkeypatch.setattr(Driver, "implements", lambda self, hook: hook != "fetch_orders_by_id" and real(self, hook))
    with shop.db.session() as session:
        session.add(m.Item(sku="LATE-SKU", name="Late arrival"))
    copies_read = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "failed_orders.payload" in statement and statement.lstrip().upper().startswith("SELECT"):
            copies_read.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", note)
    try:
        job = shop.sync(phases=["import_orders"])
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", note)
    assert job.counts["import_orders"]["retried"] == 2 and job.counts["import_orders"]["created"] == 2
    assert len(copies_read) == 1  # both copies in one query, not one a row
    assert {v["number"] for v in victims} <= imported_numbers(shop) and kept(shop) == []


def test_a_cart_id_reused_for_another_order_is_an_error_naming_both_orders(shop):
    shop.fake.seed(orders=20, seed=17)
    shop.sync(phases=["import_orders"])
    first, second = open_orders(shop, 2)
    old_numbers = first["number"], second["number"]
    now = stamp(dt.datetime.now(dt.UTC))
    first.update(number="TC-REUSED-1", updated_at=now)  # another order number under the same id
    second.update(updated_at=now, total="999.99", customer={**second["customer"], "id": 987654, "email": "other@example.com"})
    job = shop.sync(phases=["import_orders"])
    assert job.counts["import_orders"]["failed"] == 2
    with shop.session() as session:
        errors = {e.record_ref: e.message for e in session.exec(
            select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR))}
        transactions = dict(session.exec(select(m.Transaction.web_order_number, m.Transaction.number)).all())
    assert old_numbers[0] in errors["TC-REUSED-1"] and transactions[old_numbers[0]] in errors["TC-REUSED-1"]
    assert str(first["id"]) in errors["TC-REUSED-1"]
    assert "999.99" in errors[old_numbers[1]] and transactions[old_numbers[1]] in errors[old_numbers[1]]
    assert {row.number for row in kept(shop)} == {"TC-REUSED-1", old_numbers[1]}


def test_an_order_dated_a_year_ahead_does_not_hide_the_orders_after_it(shop):
    shop.fake.seed(orders=20, seed=18)
    future = open_orders(shop, 1)[0]
    future["updated_at"] = stamp(dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    before = dt.datetime.now(dt.UTC)
    shop.sync(phases=["import_orders"])
    assert watermark(shop) <= dt.datetime.now(dt.UTC) and watermark(shop) >= before - dt.timedelta(seconds=1)
    known = set(shop.fake.orders)
    shop.fake.seed(orders=5, seed=19)
    new = [o for oid, o in shop.fake.orders.items() if oid not in known and not o.get("archived_at")]
    for order in new:  # created now
        order["updated_at"] = stamp(dt.datetime.now(dt.UTC))
    job = shop.sync(phases=["import_orders"])
    assert job.counts["import_orders"]["failed"] == 0
    assert {o["number"] for o in new} <= imported_numbers(shop)


def test_a_job_reads_the_kept_copies_only_when_it_needs_them(shop):
    """Every job starts by listing the orders kept aside; their copies (a whole order each) are
    read only for an order tried from its copy, so many kept aside do not fill the job's memory."""
    import sqlalchemy as sa

    shop.fake.seed(orders=20, seed=11)
    break_orders(shop, 3)
    shop.sync(phases=["import_orders"])
    with shop.session() as session:
        listed = state.failed_orders(session, shop.integration(session).id)
        assert len(listed) == 3
        assert all("payload" in sa.inspect(row).unloaded for row in listed.values())
        row = next(iter(listed.values()))
        assert row.payload["external_id"] == row.external_id  # still there when asked for
