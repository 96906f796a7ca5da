"""A cart that fails, times out and throttles; a malformed order among many; retrying what failed."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlmodel import select

from ecom import models as m
from ecom.jobs import lifecycle
from ecom.jobs.runner import run_job


class FlakyNetwork(httpx.BaseTransport):
    """Between ecom and the fake: one request in ten answered 5xx by the cart, one in thirteen timing
    out, and every 12th starting a burst of three 429s (with Retry-After). A fixed pattern, not
    chance, so the test always meets every kind of failure."""

    def __init__(self, fake) -> None:
        self.fake, self.inner = fake, fake.transport()
        self.count = self.timeouts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if self.count % 12 == 0:
            self.fake.fail_next(429, times=3, retry_after=1)
        elif self.count % 10 == 3:
            self.fake.fail_next((500, 502, 503, 504)[self.count % 4])
        elif self.count % 13 == 6:
            self.timeouts += 1
            raise httpx.ReadTimeout("the cart did not answer in time", request=request)
        return self.inner.handle_request(request)


def sync(shop, transport, **options):
    with shop.session() as session:
        job = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options=options)
    return run_job(shop.db.engine, job.id, transport=transport)


def test_a_flaky_throttling_cart_still_gets_every_good_order_imported_once(shop, ecom_http_sleeps):
    shop.fake.seed(orders=600, seed=41)
    network = FlakyNetwork(shop.fake)
    job = sync(shop, network)
    assert job.status in (m.JobStatus.SUCCEEDED, m.JobStatus.SUCCEEDED_WITH_ERRORS)
    assert network.timeouts > 0, (network.count, network.timeouts)
    assert any(r.status == 429 for r in shop.fake.requests)
    assert any(r.status >= 500 for r in shop.fake.requests)
    assert 1 in ecom_http_sleeps or any(w >= 1 for w in ecom_http_sleeps)  # Retry-After honoured

    clean = sync(shop, shop.fake.transport(), full=True)  # a calm cart, everything read again
    assert clean.counts["import_orders"]["created"] == 0, "the flaky run dropped orders"
    with shop.session() as session:
        numbers = session.exec(select(m.Transaction.web_order_number)).all()
    counts = job.counts["import_orders"]
    assert len(numbers) == len(set(numbers)) == counts["created"]
    assert counts["fetched"] == 600 and counts["created"] + counts["skipped"] + counts["failed"] == 600


def test_one_malformed_order_among_a_thousand_is_one_error_naming_it(shop):
    shop.fake.seed(orders=1000, seed=42)
    bad = shop.fake.orders[sorted(shop.fake.orders)[500]]
    bad["total"] = "twelve dollars"
    job = shop.sync(phases=["import_orders"])
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR)).all()
    assert [e.record_ref for e in errors] == [bad["number"]]
    assert "total" in errors[0].message
    counts = job.counts["import_orders"]
    archived = sum(1 for o in shop.fake.orders.values() if o.get("archived_at"))
    assert counts["fetched"] == 1000 and counts["failed"] == 1
    assert counts["created"] == 1000 - 1 - counts["skipped"] and counts["skipped"] >= archived


def test_jobs_retry_imports_the_failed_orders_once_their_cause_is_fixed(shop, ecom_cli):
    shop.fake.seed(orders=30, seed=43)
    victims = [o for o in shop.fake.orders.values() if not o.get("archived_at") and o["status"] == "paid"][:2]
    for victim in victims:
        victim["items"][0]["sku"] = "LATE-SKU"
    failed = shop.sync(phases=["import_orders"])
    assert failed.counts["import_orders"]["failed"] == 2
    with shop.db.session() as session:  # the merchant adds the missing item
        session.add(m.Item(sku="LATE-SKU", name="Late arrival"))
    reads = len(shop.fake.requests)
    result = ecom_cli("jobs", "retry", str(failed.id))
    assert result.exit_code == 0, result.output
    assert len(shop.fake.requests) == reads  # from the kept copies: the cart is not read again
    with shop.session() as session:
        retry = session.exec(select(m.Job).order_by(m.Job.id.desc())).first()
        imported = set(session.exec(select(m.Transaction.web_order_number)))
    assert retry.options["retry_of"] == failed.id and retry.counts["import_orders"]["created"] == 2
    assert {v["number"] for v in victims} <= imported


def test_a_job_whose_worker_went_silent_past_the_lease_is_taken_over(shop, monkeypatch):
    monkeypatch.setenv("ECOM_JOB_LEASE_SECONDS", "60")
    with shop.db.session() as session:
        stuck = lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={})
        stuck.status, stuck.worker = m.JobStatus.RUNNING, "another-host:4242"
        stuck.heartbeat_at = m.utcnow() - dt.timedelta(seconds=30)
    with shop.session() as session:
        assert lifecycle.stale_reason(session.get(m.Job, stuck.id)) is None  # still inside its lease
        assert "has not been heard from since" in lifecycle.stale_reason(session.get(m.Job, stuck.id), m.utcnow() + dt.timedelta(minutes=2))
    with shop.db.session() as session:
        session.get(m.Job, stuck.id).heartbeat_at = m.utcnow() - dt.timedelta(seconds=90)
    job = shop.sync()
    assert job.status.finished
    with shop.session() as session:
        old = session.get(m.Job, stuck.id)
        notes = session.exec(select(m.JobEvent.message).where(m.JobEvent.job_id == stuck.id)).all()
    assert old.status is m.JobStatus.FAILED and any("abandoned" in n for n in notes)
