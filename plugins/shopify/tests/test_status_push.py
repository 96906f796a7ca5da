"""Status push and test orders through ``ecom sync`` against a fake Shopify on a loopback port.

An order Shopify holds is an error saying why and who holds it, kept and shipped on the sync after
the hold is released, never "updated"; a fulfillment or cancellation whose answer was lost is a
success when the retry finds it done; the tag after import goes only on orders this job imported
and still as imported; test orders are skipped (with a note) unless the integration imports them.
"""

from __future__ import annotations

import json

import pytest
import tomli_w
from ecom import StatusUpdate
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office, untracked_skus
from sqlmodel import select

from ecom_shopify import status
from ecom_shopify.api import Shopify
from ecom_shopify.fake import ShopifyFake

NAME = "shop"


def sync(ecom_cli) -> dict:
    result = ecom_cli("sync", NAME, "--json")
    assert result.exit_code in (0, 5), result.output  # 5: the job kept record errors
    return json.loads(result.stdout)


@pytest.fixture
def shop(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    """A served fake shop of 40 orders and an active integration that pushes order status."""
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = ShopifyFake(clock=clock, job_polls=0)
    fake.seed(orders=40, products=20, seed=41)
    with fake.serve() as url:
        monkeypatch.setenv("SHOPIFY_TOKEN", fake.token)
        added = ecom_cli("integration", "add", NAME, "--cart", "shopify", "--api-url", url, "--password-env", "SHOPIFY_TOKEN")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
        settings = sample_settings().model_dump(mode="json", by_alias=True, exclude_none=True)
        settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title}
                                           for title in ("Standard (3-5 days)", "Express", "Free shipping")]
        settings["general"]["update_order_status"] = True
        path = tmp_path / "shop.toml"
        path.write_text(tomli_w.dumps({"name": NAME, "cart": "shopify", "active": True, **settings}))
        applied = ecom_cli("integration", "apply", str(path))
        assert applied.exit_code == 0, applied.output
        yield fake


def imported(ecom_db) -> dict[str, str]:
    """Cart order id → back-office transaction number, for every imported order."""
    with ecom_db.session() as session:
        return dict(session.exec(select(m.ExternalRef.external_id, m.Transaction.number)
                                 .join(m.Transaction, m.Transaction.id == m.ExternalRef.local_id)
                                 .where(m.ExternalRef.kind == "order")).all())


def open_order(fake: ShopifyFake, ecom_db, skip: tuple[str, ...] = ()) -> tuple[str, str]:
    """An imported order Shopify would fulfil now: its id and back-office number."""
    for gid, number in imported(ecom_db).items():
        order = fake.order(gid)
        if gid not in skip and not order["cancelledAt"] and all(fo["status"] == "OPEN" for fo in order["fulfillmentOrders"]):
            return gid, number
    raise AssertionError("no open order")


def events(ecom_db, job_id: int, level: m.EventLevel) -> list[m.JobEvent]:
    with ecom_db.session() as session:
        return list(session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job_id, m.JobEvent.level == level)))


def test_an_order_shopify_holds_is_an_error_saying_why_and_ships_once_released(shop, ecom_db, ecom_cli):
    fake = shop
    sync(ecom_cli)
    gid, number = open_order(fake, ecom_db)
    fake.hold(gid, "INCORRECT_ADDRESS", notes="Customer to confirm the street", app="Address Validator")
    assert ecom_cli("orders", "ship", number, "--tracking", "1ZHELD01", "--carrier", "UPS").exit_code == 0
    held = sync(ecom_cli)
    assert held["counts"]["push_status"]["updated"] == 0 and held["counts"]["push_status"]["failed"] == 1
    [error] = [e for e in events(ecom_db, held["id"], m.EventLevel.ERROR) if e.phase == "push_status"]
    assert "on hold" in error.message and "Customer to confirm the street" in error.message
    assert "held by Address Validator" in error.message and "next sync" in error.message
    assert fake.tracking(gid) == []
    assert sync(ecom_cli)["counts"]["push_status"]["failed"] == 1, "kept, and tried again"
    fake.release(gid)
    shipped = sync(ecom_cli)
    assert shipped["counts"]["push_status"]["updated"] == 1
    assert fake.tracking(gid) == ["1ZHELD01"]


def test_a_fulfillment_or_cancellation_whose_answer_was_lost_is_a_success_not_a_failure(shop, ecom_db, ecom_cli):
    fake = shop
    sync(ecom_cli)
    to_ship, ship_number = open_order(fake, ecom_db)
    to_void, void_number = open_order(fake, ecom_db, skip=(to_ship,))
    assert ecom_cli("orders", "ship", ship_number, "--tracking", "1ZLOST01", "--carrier", "UPS").exit_code == 0
    assert ecom_cli("orders", "void", void_number).exit_code == 0
    fake.lose_answers("fulfillmentCreate")  # Shopify fulfils, the answer is lost; the retry meets a closed fulfillment order
    fake.lose_answers("orderCancel")  # Shopify cancels, the answer is lost; the retry is told "already been cancelled"
    job = sync(ecom_cli)
    assert job["counts"]["push_status"]["failed"] == 0, job.get("errors")
    assert job["counts"]["push_status"]["updated"] == 2
    assert fake.tracking(to_ship) == ["1ZLOST01"] and fake.order(to_void)["cancelledAt"]
    assert "push_status" not in sync(ecom_cli)["counts"]


def test_the_tag_after_import_goes_only_on_orders_this_job_imported(shop, ecom_db, ecom_cli):
    fake = shop
    sync(ecom_cli)
    before = set(imported(ecom_db))
    assert ecom_cli("integration", "set", NAME, "preferences.cart_status_after_import=ecom-imported").exit_code == 0
    known = {o["id"] for o in fake.store.all("Order")}
    fake.seed(orders=6, seed=42)
    for order in fake.store.all("Order"):
        if order["id"] not in known:
            fake.store.touch(order)  # new orders: changed after the watermark
    job = sync(ecom_cli)
    new = set(imported(ecom_db)) - before
    assert new and job["counts"]["push_status"]["updated"] == len(new)
    assert {gid for gid in imported(ecom_db) if "ecom-imported" in fake.order(gid)["tags"]} == new


def test_test_orders_are_skipped_with_a_note_unless_the_integration_imports_them(shop, ecom_db, ecom_cli):
    fake = shop
    tests = [o for o in fake.store.all("Order") if not o["closed"] and not o["cancelledAt"]][-4:]
    for order in tests[:2]:
        order["test"] = True
    job = sync(ecom_cli)
    assert not {o["id"] for o in tests[:2]} & set(imported(ecom_db))
    notes = [e for e in events(ecom_db, job["id"], m.EventLevel.WARNING) if e.phase == "import_orders" and "test order" in e.message]
    assert sorted(e.record_ref for e in notes) == sorted(o["name"] for o in tests[:2])
    assert "import_test_orders" in notes[0].message
    assert ecom_cli("integration", "set", NAME, "preferences.import_test_orders=true").exit_code == 0
    for order in tests[:2]:
        fake.store.touch(order)
    sync(ecom_cli)
    assert {o["id"] for o in tests[:2]} <= set(imported(ecom_db))


def test_shipping_an_order_cancelled_in_shopify_is_an_error_not_already_fulfilled(shop, ecom_db, ecom_cli):
    fake = shop
    sync(ecom_cli)
    gid, number = open_order(fake, ecom_db)
    fake.store.start_cancel(gid, "CUSTOMER", restock=True, refund=False, polls=0)  # the merchant cancels it in Shopify
    assert ecom_cli("orders", "ship", number, "--tracking", "1ZGONE01", "--carrier", "UPS").exit_code == 0
    job = sync(ecom_cli)
    assert job["counts"]["push_status"]["failed"] == 1 and job["counts"]["push_status"]["updated"] == 0
    [error] = [e for e in events(ecom_db, job["id"], m.EventLevel.ERROR) if e.phase == "push_status"]
    assert "cancelled in Shopify" in error.message and error.record_ref


def test_the_status_read_of_a_large_batch_stays_under_the_query_cost_limit(fake, connection):
    orders = [o for o in fake.store.all("Order") if not o["closed"]][:40]
    updates = [StatusUpdate(order_id=o["id"], number=o["name"], kind="shipped", tracking_number="1ZBIG") for o in orders]
    with Shopify(connection) as shop:
        results = status.push(shop, updates)  # ten fulfillment orders an order at most, each with its holds
    assert len(results) == 40 and not [r for r in results if "cost" in (r.message or "")]
