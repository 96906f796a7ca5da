"""``ecom sync`` against the fake Shopify: an order dated a year ahead does not hide later orders.

Shopify's answers carry no clock the driver reads, so the watermark stops at ecom's own clock when
the read started. SQLite only: the driver is under test here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ecom import integrations
from ecom import models as m
from ecom.jobs import state
from ecom.sample import sample_settings, seed_back_office, untracked_skus
from sqlmodel import select

from ecom_shopify.fake import ShopifyFake


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_an_order_dated_a_year_ahead_does_not_hide_the_orders_after_it(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = ShopifyFake(clock=clock, job_polls=2)
    fake.seed(orders=40, products=12, seed=5)
    opened = [o for o in fake.store.all("Order") if not o["closedAt"] and not o.get("cancelledAt")]
    opened[0]["updatedAt"] = stamp(datetime.now(UTC) + timedelta(days=400))
    with fake.serve() as url:
        monkeypatch.setenv("SHOPIFY_TOKEN", fake.token)
        added = ecom_cli("integration", "add", "shop", "--cart", "shopify", "--api-url", url, "--password-env", "SHOPIFY_TOKEN")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
            integrations.save_settings(session, integrations.get(session, "shop"), sample_settings())
        assert ecom_cli("integration", "activate", "shop").exit_code == 0
        started = datetime.now(UTC)
        first = ecom_cli("sync", "shop", "--phase", "import_orders", "--json")
        assert first.exit_code in (0, 5), first.output
        with ecom_db.session() as session:
            mark = state.get(session, integrations.get(session, "shop").id, "orders")
        assert started <= mark <= datetime.now(UTC), "the watermark stops at the moment the read started"

        known = {o["id"] for o in fake.store.all("Order")}
        fake.seed(orders=4, seed=6)
        new = [o for o in fake.store.all("Order") if o["id"] not in known and not o["closedAt"] and not o.get("cancelledAt")]
        for order in new:  # created now
            order["updatedAt"] = stamp(datetime.now(UTC))
        second = ecom_cli("sync", "shop", "--phase", "import_orders", "--json")
        assert second.exit_code in (0, 5), second.output
        assert json.loads(second.stdout)["counts"]["import_orders"]["fetched"] >= len(new)
    with ecom_db.session() as session:
        imported = set(session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")))
    assert new and {o["id"] for o in new} <= imported
