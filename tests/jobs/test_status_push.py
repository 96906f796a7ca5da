"""Push order status: shipped with tracking, voided, closed, and the cart status after import."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.models import utcnow


def importable_orders(shop, n=10, seed=31):
    shop.fake.seed(orders=n, seed=seed)
    job = shop.sync()
    assert job.counts["import_orders"]["created"] > 2
    with shop.session() as session:
        return list(session.exec(select(m.Transaction, m.ExternalRef).join(m.ExternalRef, m.ExternalRef.local_id == m.Transaction.id).where(m.ExternalRef.kind == "order").order_by(m.Transaction.id)))


def test_a_shipped_order_gets_its_tracking_in_the_cart_once(shop):
    (txn, ref), *_ = importable_orders(shop)
    with shop.db.session() as session:
        row = session.get(m.Transaction, txn.id)
        row.shipped_at, row.tracking_number, row.carrier = utcnow(), "1ZTRACK0001", "UPS"
    job = shop.sync()
    assert job.counts["push_status"] == {"fetched": 1, "created": 0, "updated": 1, "skipped": 0, "failed": 0}
    assert "1ZTRACK0001" in shop.fake.tracking(ref.external_id)
    writes = len(shop.fake.writes())
    again = shop.sync()
    assert "push_status" not in again.counts  # nothing left to tell the cart
    assert len(shop.fake.writes()) == writes


def test_voided_and_closed_orders_are_pushed(shop):
    rows = [(t, r) for t, r in importable_orders(shop, seed=32) if shop.fake.order(int(r.external_id))["status"] == "paid"]
    (voided, voided_ref), (closed, closed_ref), *_ = rows
    with shop.db.session() as session:
        session.get(m.Transaction, voided.id).voided_at = utcnow()
        session.get(m.Transaction, closed.id).closed_at = utcnow()
    job = shop.sync()
    assert job.counts["push_status"]["updated"] == 2
    statuses = {shop.fake.order(int(voided_ref.external_id))["status"], shop.fake.order(int(closed_ref.external_id))["status"]}
    assert "cancelled" in statuses


def set_cart_status(shop, status):
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.preferences.cart_status_after_import = status
        integrations.save_settings(session, integration, settings)


def test_cart_status_after_import_is_set_once_per_order(shop):
    set_cart_status(shop, "on_hold")
    shop.fake.seed(orders=10, seed=33)
    job = shop.sync()
    created, pushed = job.counts["import_orders"]["created"], job.counts["push_status"]
    assert pushed["updated"] > 0 and pushed["updated"] + pushed["failed"] == created  # finished orders refuse it
    with shop.session() as session:
        refs = session.exec(select(m.ExternalRef).where(m.ExternalRef.kind == "order")).all()
    on_hold = [r for r in refs if shop.fake.order(int(r.external_id))["status"] == "on_hold"]
    assert len(on_hold) == pushed["updated"]
    assert "push_status" not in shop.sync().counts  # refused for good is reported once, not every run


def test_a_status_the_cart_does_not_have_is_refused_when_saved_in_words_listing_the_valid_ones(shop, ecom_cli):
    refused = ecom_cli("integration", "set", shop.name, "preferences.cart_status_after_import=on_hlod")
    assert refused.exit_code != 0
    assert "'on_hlod' is not a Test Cart order status (did you mean 'on_hold'?)" in refused.stderr
    assert "pending, on_hold, authorized, paid" in refused.stderr
    with shop.session() as session:
        assert integrations.load_settings(session, shop.integration(session)).preferences.cart_status_after_import is None
    assert ecom_cli("integration", "set", shop.name, "preferences.cart_status_after_import=on_hold").exit_code == 0


def test_a_bad_cart_status_in_an_applied_file_is_refused_too(shop, ecom_cli, tmp_path):
    exported = ecom_cli("integration", "export", shop.name)
    assert exported.exit_code == 0
    path = tmp_path / "shop.toml"
    path.write_text(exported.stdout.replace("[preferences]\n", "[preferences]\ncart_status_after_import = \"procesing\"\n", 1))
    applied = ecom_cli("integration", "apply", str(path))
    assert applied.exit_code != 0 and "'procesing' is not a Test Cart order status" in applied.stderr


def test_cart_status_after_import_never_touches_orders_imported_before(shop):
    old = [ref.external_id for _, ref in importable_orders(shop, n=8, seed=36)]
    before = {oid: shop.fake.order(int(oid))["status"] for oid in old}
    set_cart_status(shop, "on_hold")  # chosen after those orders were imported (as after an upgrade)
    writes = len(shop.fake.writes())
    shop.fake.seed(orders=3, seed=37)
    job = shop.sync()
    assert {oid: shop.fake.order(int(oid))["status"] for oid in old} == before
    touched = {w.path.rsplit("/", 1)[-1] for w in shop.fake.writes()[writes:] if w.method == "PATCH"}
    assert touched and not touched & set(old)
    assert job.counts["push_status"]["fetched"] == job.counts["import_orders"]["created"]


def test_cart_status_after_import_leaves_an_order_the_shop_moved_on_alone(shop):
    set_cart_status(shop, "on_hold")
    shop.fake.seed(orders=6, seed=38)
    moved: list[str] = []
    serve = shop.fake.app

    def shop_moves_on(environ, start_response):  # the merchant completes an order while the job runs
        asked = parse_qs(environ.get("QUERY_STRING", "")).get("ids")  # the driver reads the orders it will set, by id
        if environ["REQUEST_METHOD"] == "GET" and environ.get("PATH_INFO") == "/api/v1/orders" and asked and not moved:
            order = shop.fake.order(int(asked[0].split(",")[0]))
            order["status"], order["updated_at"] = "completed", (utcnow() + timedelta(seconds=5)).isoformat()
            moved.append(str(order["id"]))
        return serve(environ, start_response)

    shop.fake.app = shop_moves_on
    job = shop.sync()
    assert moved and shop.fake.order(int(moved[0]))["status"] == "completed"
    assert job.counts["push_status"]["skipped"] == 1
    with shop.session() as session:
        warned = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.phase == "push_status")).all()
    warned = [e for e in warned if e.level == m.EventLevel.WARNING]
    assert len(warned) == 1 and "changed in the cart since it was imported (now completed)" in warned[0].message
    assert "push_status" not in shop.sync().counts  # said once, not every run


def test_ship_void_and_close_from_the_cli_reach_the_cart(shop, ecom_cli):
    rows = [(t, r) for t, r in importable_orders(shop, seed=35) if shop.fake.order(int(r.external_id))["status"] == "paid"]
    (shipped, shipped_ref), (voided, voided_ref) = rows[0], rows[1]  # open orders: the cart lets them ship or cancel
    assert ecom_cli("orders", "ship", shipped.number, "--tracking", "1ZCLI", "--carrier", "UPS").exit_code == 0
    assert ecom_cli("orders", "void", voided.web_order_number).exit_code == 0  # the web order number works too
    refused = ecom_cli("orders", "ship", voided.number, "--tracking", "X", "--carrier", "UPS")
    assert refused.exit_code == 3 and "voided" in refused.stderr
    assert ecom_cli("orders", "ship", "NOPE-1", "--tracking", "X", "--carrier", "UPS").exit_code == 3
    job = shop.sync()
    assert job.counts["push_status"]["updated"] == 2
    assert shop.fake.tracking(shipped_ref.external_id) == ["1ZCLI"]
    assert shop.fake.order(int(voided_ref.external_id))["status"] == "cancelled"


def test_a_cart_status_saved_before_it_was_checked_stops_the_sync_instead_of_moving_orders(shop):
    shop.fake.seed(orders=4, seed=39)
    with shop.db.session() as session:  # stored by an older ecom, which did not check it
        integration = shop.integration(session)
        integration.settings = {**integration.settings, "preferences": {**integration.settings["preferences"], "cart_status_after_import": "procesing"}}
    job = shop.sync()
    with shop.session() as session:
        said = [e.message for e in session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id))]
    assert job.status == m.JobStatus.FAILED and any("'procesing' is not a Test Cart order status" in s for s in said)
    assert shop.fake.writes() == []
