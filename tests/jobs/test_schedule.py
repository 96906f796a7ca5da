"""Schedules: next run times, what is due, and workers queueing each scheduled run once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.jobs import schedule, worker
from ecom.records import ConnectionReport
from ecom.settings import Schedule

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 28, 23, 40, tzinfo=UTC)  # a Saturday


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC) if day <= 30 else dt.datetime(2026, 12, day - 30, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"frequency": "minutes", "interval": 15}, [at(28, 23, 45), at(29, 0, 0), at(29, 0, 15)]),
        ({"frequency": "minutes", "interval": 45, "time": "00:10"}, [at(29, 0, 10), at(29, 0, 55), at(29, 1, 40)]),
        ({"frequency": "hourly", "interval": 2, "time": "00:30"}, [at(29, 0, 30), at(29, 2, 30), at(29, 4, 30)]),
        ({"frequency": "daily", "interval": 1, "time": "06:00"}, [at(29, 6), at(30, 6), at(31, 6)]),
        ({"frequency": "weekly", "interval": 1, "time": "07:30", "weekday": "monday"}, [at(30, 7, 30), at(37, 7, 30), at(44, 7, 30)]),
    ],
)
def test_next_run_times(settings, expected):
    assert schedule.next_runs(Schedule(enabled=True, **settings), NOW) == expected


def test_every_two_days_falls_on_the_same_days_whenever_it_is_computed():
    every_other = Schedule(enabled=True, frequency="daily", interval=2, time="06:00")
    runs = schedule.next_runs(every_other, NOW, 3)
    assert runs == schedule.next_runs(every_other, runs[0] - dt.timedelta(hours=1), 3)
    assert {(b - a).days for a, b in zip(runs, runs[1:])} == {2}


def test_a_disabled_schedule_has_no_runs():
    assert schedule.next_runs(Schedule(enabled=False), NOW) == []
    assert schedule.due_run(Schedule(enabled=False), None, NOW - dt.timedelta(days=1), NOW) is None


def test_only_the_latest_missed_run_is_due_and_only_once():
    hourly = Schedule(enabled=True, frequency="hourly", interval=1)
    started = NOW - dt.timedelta(hours=5)
    due = schedule.due_run(hourly, None, started, NOW)
    assert due == at(28, 23)
    assert schedule.due_run(hourly, due, started, NOW) is None
    assert schedule.due_run(hourly, None, NOW - dt.timedelta(minutes=10), NOW) is None  # started after the last slot


@pytest.fixture
def scheduled(shop):
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.schedule = Schedule(enabled=True, frequency="hourly", interval=1)
        integrations.save_settings(session, integration, settings)
    return shop


def jobs(shop) -> list[m.Job]:
    with shop.session() as session:
        return list(session.exec(select(m.Job).order_by(m.Job.id)))


def test_the_schedule_starts_with_a_successful_test_connection(scheduled):
    assert worker.enqueue_due(scheduled.db.engine, NOW) == []  # never tested: no scheduled job
    with scheduled.db.session() as session:
        integrations.record_test(integrations.get(session, scheduled.name), ConnectionReport(message="ok"), at=NOW - dt.timedelta(hours=3))
    (job_id,) = worker.enqueue_due(scheduled.db.engine, NOW)
    (job,) = jobs(scheduled)
    assert (job.id, job.trigger, job.status, job.options["scheduled_for"]) == (job_id, m.JobTrigger.SCHEDULE, m.JobStatus.QUEUED, at(28, 23).isoformat())


def test_a_scheduled_run_is_queued_once_however_many_workers_look(scheduled):
    with scheduled.db.session() as session:
        integrations.record_test(integrations.get(session, scheduled.name), ConnectionReport(message="ok"), at=NOW - dt.timedelta(hours=3))
    first = worker.enqueue_due(scheduled.db.engine, NOW)
    assert worker.enqueue_due(scheduled.db.engine, NOW) == []
    assert len(first) == 1 and len(jobs(scheduled)) == 1


def test_work_once_runs_the_queued_job(scheduled, monkeypatch):
    from ecom.jobs import runner

    scheduled.fake.seed(orders=8, seed=9)
    real = runner.run_job
    monkeypatch.setattr(worker, "run_job", lambda engine, job_id: real(engine, job_id, transport=scheduled.fake.transport()))
    with scheduled.db.session() as session:
        integrations.record_test(integrations.get(session, scheduled.name), ConnectionReport(message="ok"), at=NOW - dt.timedelta(hours=3))
    ran = worker.work_once(scheduled.db.engine, now=NOW)
    assert [j.trigger for j in ran] == [m.JobTrigger.SCHEDULE]
    assert ran[0].status.finished and ran[0].counts["import_orders"]["fetched"] == 8


def test_integration_show_lists_the_next_runs_once_tested(scheduled, ecom_cli):
    before = ecom_cli("integration", "show", scheduled.name)
    assert "after a successful Test Connection" in before.stdout
    with scheduled.db.session() as session:
        integrations.record_test(integrations.get(session, scheduled.name), ConnectionReport(message="ok"))
    shown = ecom_cli("integration", "show", scheduled.name, "--json")
    runs = [dt.datetime.fromisoformat(r) for r in __import__("json").loads(shown.stdout)["next_runs"]]
    assert len(runs) == 3 and all(r.minute == 0 and r.second == 0 for r in runs)  # hourly on the hour
    assert [(b - a) for a, b in zip(runs, runs[1:])] == [dt.timedelta(hours=1)] * 2
    assert runs[0] > m.utcnow()
