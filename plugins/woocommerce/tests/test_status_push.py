"""Status push through ``ecom sync`` against a fake store on a loopback port: never twice, never
behind the admin's back.

A tracking note whose answer was lost, or whose job was killed mid-batch, is not posted again (the
customer would get the email twice); the cart status after import is a WooCommerce status, set only
on the orders the job imported, and never on one the shop changed since.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from ecom import integrations
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings
from sqlmodel import select

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.seed import SHIPPING

NOTES = r"/orders/\d+/notes"


def sync(ecom_cli) -> dict:
    result = ecom_cli("sync", "woo", "--json")
    assert result.exit_code in (0, 5), result.output  # 5: the job kept record errors
    return json.loads(result.stdout)


@pytest.fixture
def store(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    """A served fake store with 30 orders, and an integration ``woo`` that pushes status."""
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=30, products=10, seed=17)
    with fake.serve() as url:
        monkeypatch.setenv("WOO_SECRET", fake.consumer_secret)
        added = ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--api-url", url,
                         "--username", fake.consumer_key, "--password-env", "WOO_SECRET")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus())
            settings = sample_settings().model_dump(mode="json")
            settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title} for _, title, _ in SHIPPING]
            settings["general"]["update_order_status"] = True
            integrations.save_settings(session, integrations.get(session, "woo"), IntegrationSettings.model_validate(settings))
        assert ecom_cli("integration", "activate", "woo").exit_code == 0
        yield fake


def ship(ecom_db, ecom_cli, fake: WooCommerceFake, count: int) -> list[str]:
    """Ship ``count`` imported open orders in the back office (``ecom orders ship``); their cart ids."""
    with ecom_db.session() as session:
        rows = session.exec(select(m.Transaction.number, m.ExternalRef.external_id)
                            .join(m.ExternalRef, m.ExternalRef.local_id == m.Transaction.id)
                            .where(m.ExternalRef.kind == "order").order_by(m.Transaction.id)).all()
    rows = [(n, oid) for n, oid in rows if fake.orders[int(oid)]["status"] in ("processing", "on-hold", "pending")][:count]
    assert len(rows) == count
    for number, oid in rows:
        assert ecom_cli("orders", "ship", number, "--tracking", f"1ZT{oid}", "--carrier", "UPS").exit_code == 0
    return [oid for _, oid in rows]


def tracking_notes(fake: WooCommerceFake, oid: str) -> int:
    return sum(f"1ZT{oid}" in n["note"] for n in fake.notes[int(oid)])


def test_a_tracking_note_whose_answer_was_lost_is_not_posted_again(store, ecom_db, ecom_cli):
    fake = store
    sync(ecom_cli)
    [oid] = ship(ecom_db, ecom_cli, fake, 1)
    fake.lose_answers("POST", NOTES)  # WooCommerce saves the note, then answers 500
    first = sync(ecom_cli)
    assert first["counts"]["push_status"]["failed"] == 1
    assert tracking_notes(fake, oid) == 1
    again = sync(ecom_cli)
    assert again["counts"]["push_status"] == {"fetched": 1, "created": 0, "updated": 1, "skipped": 0, "failed": 0}
    assert tracking_notes(fake, oid) == 1, "the customer got the tracking email twice"
    assert "push_status" not in sync(ecom_cli)["counts"]


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_a_job_killed_during_the_push_sends_no_note_twice(store, ecom_db, ecom_cli):
    fake = store
    sync(ecom_cli)
    shipped = ship(ecom_db, ecom_cli, fake, 12)
    fake.latency = 0.05
    code = "import sys; from ecom.cli import main; sys.argv = ['ecom', *sys.argv[1:]]; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "sync", "woo", "--phase", "push_status"], env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while sum(tracking_notes(fake, oid) for oid in shipped) < 4 and proc.poll() is None:
        assert time.monotonic() < deadline, "the push made no progress"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    noted = [oid for oid in shipped if tracking_notes(fake, oid)]
    assert 4 <= len(noted) < len(shipped), "killed mid-batch"
    fake.latency = 0.0
    again = sync(ecom_cli)
    assert {oid: tracking_notes(fake, oid) for oid in shipped} == dict.fromkeys(shipped, 1)
    # each order was recorded as its own answer came, not at the end of the batch: only the rest
    # (and at most the one whose answer was on its way) is sent again
    assert again["counts"]["push_status"]["fetched"] <= len(shipped) - len(noted) + 1


def test_cart_status_after_import_is_a_woocommerce_status_set_only_on_new_orders(store, ecom_db, ecom_cli):
    fake = store
    refused = ecom_cli("integration", "set", "woo", "preferences.cart_status_after_import=procesing")
    assert refused.exit_code != 0 and "'procesing' is not a WooCommerce order status (did you mean 'processing'?)" in refused.stderr
    sync(ecom_cli)
    before = {oid: dict(order) for oid, order in fake.orders.items()}
    assert ecom_cli("integration", "set", "woo", "preferences.cart_status_after_import=on-hold").exit_code == 0
    fake.seed(orders=8, seed=18)
    job = sync(ecom_cli)
    with ecom_db.session() as session:
        new = [int(oid) for oid in session.exec(select(m.ExternalRef.external_id).where(m.ExternalRef.kind == "order")) if int(oid) not in before]
    assert new and job["counts"]["push_status"]["updated"] == len(new) == job["counts"]["import_orders"]["created"]
    assert all(fake.orders[oid]["status"] == "on-hold" for oid in new)
    assert {oid: fake.orders[oid]["status"] for oid in before} == {oid: o["status"] for oid, o in before.items()}
