"""When an integration's jobs run by themselves: its schedule as a recurrence rule.

Frequencies (``schedule.frequency``) are every *interval* minutes, hours, days or weeks, at the
schedule's time of day (UTC). The same schedule gives the same times on every machine: minutes and
hours count from the time of day each day, as cron's ``*/N`` does (every 45 minutes from 00:10 runs
at 00:10, 00:55, ... and again from 00:10 the next day); days and weeks count from Monday
2024-01-01, so every 2 days at 06:00 falls on the same days everywhere, and weekly runs fall on the
chosen weekday. Recurrence rules come from ``dateutil.rrule``.
"""

from __future__ import annotations

import datetime as dt

from dateutil import rrule

from ecom.settings import WEEKDAYS, Schedule

ANCHOR = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # a Monday
FREQ = {"minutes": rrule.MINUTELY, "hourly": rrule.HOURLY, "daily": rrule.DAILY, "weekly": rrule.WEEKLY}


def rule(schedule: Schedule, around: dt.datetime) -> rrule.rrule:
    """The schedule's recurrence, started early enough to answer questions about ``around``."""
    at = schedule.time or dt.time(0, 0)
    start = ANCHOR.replace(hour=at.hour, minute=at.minute)
    if schedule.frequency in ("minutes", "hourly"):  # a grid per day: start the day before
        day = (around - dt.timedelta(days=1)).date()
        start = dt.datetime.combine(day, dt.time(at.hour, at.minute), tzinfo=dt.UTC)
        step = dt.timedelta(minutes=schedule.interval) if schedule.frequency == "minutes" else dt.timedelta(hours=schedule.interval)
        per_day = -(-dt.timedelta(days=1) // step)  # runs in one day, rounded up
        return _union(
            [
                rrule.rrule(FREQ[schedule.frequency], interval=schedule.interval, dtstart=start + dt.timedelta(days=d), count=per_day)
                for d in range(4)  # the day before, today, and enough days after for next_runs
            ]
        )
    if schedule.frequency == "weekly":
        day = WEEKDAYS.index(schedule.weekday or "monday")
        return rrule.rrule(rrule.WEEKLY, interval=schedule.interval, dtstart=start, byweekday=day)
    return rrule.rrule(FREQ[schedule.frequency], interval=schedule.interval, dtstart=start)


def _union(rules: list[rrule.rrule]) -> rrule.rruleset:
    union = rrule.rruleset()
    for r in rules:
        union.rrule(r)
    return union


def next_runs(schedule: Schedule, after: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The next ``count`` run times strictly after ``after`` (empty when scheduling is off)."""
    if not schedule.enabled:
        return []
    recurrence, runs, moment = rule(schedule, after), [], after
    for _ in range(count):
        moment = recurrence.after(moment, inc=False)
        if moment is None:
            break
        runs.append(moment)
    return runs


def due_run(schedule: Schedule, last: dt.datetime | None, since: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """The latest run time that is due at ``now`` and was not run yet, or None.

    ``last`` is the last run time already handled; ``since`` is when the schedule started (the
    successful Test Connection). Missed runs are not run one by one: only the latest is due.
    """
    if not schedule.enabled:
        return None
    latest = rule(schedule, now).before(now, inc=True)
    if latest is None or latest <= max(last or since, since):
        return None
    return latest


def upcoming_runs(schedule: Schedule, tested_at: dt.datetime | None, count: int = 3) -> list[dt.datetime]:
    """An integration's next ``count`` runs; none until a successful Test Connection (at
    ``tested_at``) starts its schedule. ``ecom integration show`` and the web admin show these."""
    if tested_at is None:
        return []
    return next_runs(schedule, max(dt.datetime.now(dt.UTC), tested_at), count)


def next_runs_text(schedule: Schedule, tested_at: dt.datetime | None, runs: list[dt.datetime]) -> list[str] | str:
    """The next runs in words: the times, or why there are none."""
    if not schedule.enabled:
        return "scheduling is off (schedule.enabled)"
    if tested_at is None:
        return "after a successful Test Connection"
    return [f"{run:%Y-%m-%d %H:%M} UTC" for run in runs]
