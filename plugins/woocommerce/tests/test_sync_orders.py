"""``ecom sync`` against a fake WooCommerce store that changes while the sync reads it.

The property: an order created or changed at any moment of a sync is imported by that sync or the
next one, and no order is skipped because another one moved; the watermark never passes the
store's own clock, whatever date an order claims. SQLite only: the driver is under test here.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from ecom import integrations
from ecom import models as m
from ecom.jobs import state
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings
from sqlmodel import select

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.seed import SHIPPING


@pytest.fixture
def store(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    """A fake store on a loopback port with an active integration ``woo`` in the back office."""
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=250, products=12, seed=17)
    with fake.serve() as url:
        monkeypatch.setenv("WOO_SECRET", fake.consumer_secret)
        added = ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--api-url", url,
                         "--username", fake.consumer_key, "--password-env", "WOO_SECRET")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus())
            settings = sample_settings().model_dump(mode="json")
            settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title} for _, title, _ in SHIPPING]
            settings["general"]["import_product_group"] = "Web"
            integrations.save_settings(session, integrations.get(session, "woo"), IntegrationSettings.model_validate(settings))
        assert ecom_cli("integration", "activate", "woo").exit_code == 0
        yield fake


def sync(ecom_cli) -> dict:
    result = ecom_cli("sync", "woo", "--phase", "import_orders", "--json")
    assert result.exit_code in (0, 5), result.output
    return json.loads(result.stdout)


def imported(ecom_db) -> list[str]:
    with ecom_db.session() as session:
        return list(session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")))


def listed(fake: WooCommerceFake) -> set[str]:
    """The orders the store lists (not trashed, not checkout drafts): each must be imported."""
    return {str(oid) for oid, o in fake.orders.items() if o["status"] not in ("trash", "checkout-draft")}


def oldest_change(fake: WooCommerceFake) -> int:
    return min((o for o in fake.orders.values() if o["status"] != "trash"), key=lambda o: (o["date_modified_gmt"], o["id"]))["id"]


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("after", [1, 2])
@pytest.mark.parametrize("change", ["edit the first order read", "edit the lowest id", "trash the lowest id", "create one"])
def test_an_order_changed_during_a_sync_is_imported_by_that_sync_or_the_next_and_none_is_skipped(
    ecom_db, ecom_cli, store, clock, change, after
):
    fake = store
    lowest = min(oid for oid, o in fake.orders.items() if o["status"] != "trash")
    clock.advance(5)

    def act() -> None:
        if change == "edit the first order read":  # the first order of a listing by modification date
            fake.edit_order(oldest_change(fake))
        elif change == "edit the lowest id":
            fake.edit_order(lowest)
        elif change == "trash the lowest id":
            fake.trash_order(lowest)
        else:
            fake.seed(orders=1, seed=99)
            fake.edit_order(max(fake.orders))  # new: changed now

    fake.during_listing(act, after=after)
    first = sync(ecom_cli)
    assert first["counts"]["import_orders"]["failed"] == 0, first["errors"]
    clock.advance(60)
    sync(ecom_cli)
    ids = imported(ecom_db)
    assert len(ids) == len(set(ids)), "no order imported twice"
    missing = listed(fake) - set(ids)
    assert not missing, f"never imported: {sorted(missing)}"


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_an_order_dated_a_year_ahead_does_not_hide_the_orders_after_it(ecom_db, ecom_cli, store, clock):
    """The store's clock runs 14 minutes behind ours (more than the overlap window, less than OAuth's
    15-minute window): the watermark follows the store's Date header, not our clock."""
    fake = store
    clock.advance(-14 * 60)
    future = next(o for o in fake.orders.values() if o["status"] == "processing")
    future["date_modified_gmt"] = (fake.now() + timedelta(days=400)).replace(tzinfo=None).isoformat()
    sync(ecom_cli)
    with ecom_db.session() as session:
        mark = state.get(session, integrations.get(session, "woo").id, "orders")
    assert mark == fake.now(), "the watermark stops at the store's clock when the read started"
    clock.advance(120)
    before = set(fake.orders)
    fake.seed(orders=5, seed=8)
    new = [oid for oid in fake.orders if oid not in before and fake.orders[oid]["status"] not in ("trash", "checkout-draft")]
    for oid in new:  # created now, by the store's clock
        fake.edit_order(oid)
    sync(ecom_cli)
    assert {str(oid) for oid in new} <= set(imported(ecom_db))
