"""Everything a phase of a running job needs, in one object."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ecom import models as m
from ecom.drivers import keeping_alive
from ecom.jobs.lifecycle import heartbeat
from ecom.jobs.log import JobLog
from ecom.plugins import Driver
from ecom.records import Connection
from ecom.settings import IntegrationSettings


@dataclass
class JobRun:
    session: Session
    job: m.Job
    integration: m.Integration
    settings: IntegrationSettings
    driver: Driver
    connection: Connection
    log: JobLog
    full: bool = False
    batch_size: int = 100

    @property
    def retry_of(self) -> int | None:
        """The job whose failed records this one runs again (``ecom jobs retry``), if any."""
        return self.job.options.get("retry_of")

    @property
    def integration_id(self) -> int:
        assert self.integration.id is not None
        return self.integration.id


class UnlockedDriver:
    """The integration's driver, called only between database transactions.

    Before each hook call, and before each page a fetch reads, the job's session commits (with the
    job's heartbeat): a job never holds a transaction (and SQLite's write lock, or an idle
    PostgreSQL transaction) while it waits on the cart, and a job that was taken over or cancelled
    stops there (:class:`~ecom.jobs.lifecycle.JobLostError`) instead of talking to the cart again.
    Inside a hook call the same beat runs before each wait of :func:`ecom.drivers.poll`, so a
    driver waiting on a cart's bulk export keeps the lease and stops when the job is cancelled.
    Everything else is the driver's (:class:`ecom.plugins.Driver`).
    """

    def __init__(self, driver: Driver, session: Session, job: m.Job) -> None:
        self._driver, self._session, self._job = driver, session, job

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def _commit(self) -> None:
        heartbeat(self._session, self._job)  # raises JobLostError if the job is no longer ours
        self._session.commit()

    def call(self, hook: str, **kwargs: Any) -> Any:
        self._commit()
        with keeping_alive(self._commit):
            result = self._driver.call(hook, **kwargs)
        return self._pages(result) if isinstance(result, Iterator) else result

    def _pages(self, pages: Iterator[Any]) -> Iterator[Any]:
        while True:
            self._commit()
            try:
                with keeping_alive(self._commit):
                    page = next(pages)
            except StopIteration:
                return
            yield page
