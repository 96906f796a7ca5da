"""A Test Cart whose answers are not what its API sends (issue 17.5): the core's HTTP helper retries
them for every driver, and a request that never gets a usable answer fails its phase in words
while the job's other phases run."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ecom import models as m


@pytest.mark.parametrize("kind", ["cut_off", "html", "empty"])
def test_an_answer_that_is_not_json_is_retried_and_the_sync_succeeds(shop, kind, ecom_http_sleeps):
    shop.fake.seed(orders=30, seed=3)
    shop.fake.garble_next(kind, times=4)
    job = shop.sync()
    assert job.status == m.JobStatus.SUCCEEDED, job.counts
    assert len(ecom_http_sleeps) >= 4, "each spoiled answer was waited for and retried"
    assert job.counts["import_orders"]["fetched"] == 30


def test_a_request_that_never_gets_a_usable_answer_is_an_error_and_the_other_phases_run(shop, ecom_http_sleeps):
    shop.fake.seed(orders=30, seed=3)
    shop.fake.garble_next("cut_off", times=5)  # the five attempts of the first order page
    job = shop.sync()
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR)).all()
    assert job.status == m.JobStatus.FAILED
    assert [(e.phase, e.rule) for e in errors] == [("import_orders", None)], [e.message for e in errors]
    assert "GET /orders?" in errors[0].message and "failed after 5 attempts: HTTP 200 with an answer that is not JSON, or cut off" in errors[0].message
    assert "push_inventory" in job.counts, "the inventory phase still ran"


def test_an_api_url_saved_before_the_rules_stops_the_job_in_words_before_any_request(shop):
    """Plain HTTP to another machine, written behind ecom's back (or saved by an older version)."""
    with shop.session() as session:
        integration = shop.integration(session)
        integration.api_url = "http://testcart.example"
        session.add(integration)
        session.commit()
    job = shop.sync()
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR)).all()
    assert job.status == m.JobStatus.FAILED
    assert [e.rule for e in errors] == [None], [e.message for e in errors]  # not "[bug] internal error"
    assert "the job stopped: The API URL 'http://testcart.example/api/v1' is plain HTTP to another machine" in errors[0].message
    assert shop.fake.requests == []
