"""Everything a phase of a running job needs, in one object."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ecom import models as m
from ecom.drivers import keeping_alive
from ecom.jobs.lifecycle import heartbeat
from ecom.jobs.log import JobLog
from ecom.plugins import Driver
from ecom.records import Connection, Page, joined_pages
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

    Before each hook call, and before each page a fetch hands over, the job's session commits
    (with the job's heartbeat): a job never holds a transaction (and SQLite's write lock, or an
    idle PostgreSQL transaction) while it waits on the cart, and a job that was taken over or
    cancelled stops there (:class:`~ecom.jobs.lifecycle.JobLostError`) instead of taking another
    page. Inside a hook call the same beat runs before each wait of :func:`ecom.drivers.poll`, so
    a driver waiting on a cart's bulk export keeps the lease and stops when the job is cancelled.
    Everything else is the driver's (:class:`ecom.plugins.Driver`).

    The pages of a fetch are read ahead (:class:`ReadAhead`, ``read_ahead`` pages at most): the
    cart is asked for the next page while the job writes the last one, so a sync takes about the
    longer of reading and writing rather than their sum. While the job waits for a page it beats
    every ``beat_every`` seconds (the session is the job thread's alone), and a cancelled job stops
    the reader at its next :func:`ecom.drivers.poll` wait.
    """

    #: pages read ahead of the job (0: each page is asked for only when the job wants it)
    read_ahead = 1
    #: seconds between the job's beats while it waits for a page read ahead
    beat_every = 2.0

    def __init__(self, driver: Driver, session: Session, job: m.Job) -> None:
        self._driver, self._session, self._job = driver, session, job
        self._beaten = time.monotonic()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def _commit(self) -> None:
        heartbeat(self._session, self._job)  # raises JobLostError if the job is no longer ours
        self._session.commit()
        self._beaten = time.monotonic()

    def _beat_when_due(self) -> None:
        """Beat between the pages joined into one (nothing written in between): every ``beat_every`` seconds."""
        if time.monotonic() - self._beaten >= self.beat_every:
            self._commit()

    def call(self, hook: str, **kwargs: Any) -> Any:
        result = self._unlocked_call(hook, kwargs)
        return self._pages(result) if isinstance(result, Iterator) else result

    def fetch(self, hook: str, *, at_least: int, **kwargs: Any) -> Iterator[Page[Any]]:
        """The pages of fetch hook ``hook``, joined until each holds at least ``at_least`` records
        (:func:`~ecom.records.joined_pages`; joined as they are read ahead, so the next batch is
        read while the job writes the last one)."""
        pages = self._unlocked_call(hook, kwargs)
        return self._pages(joined_pages(pages, at_least, between=None if self.read_ahead else self._beat_when_due))

    def _unlocked_call(self, hook: str, kwargs: dict[str, Any]) -> Any:
        self._commit()
        with keeping_alive(self._commit):
            return self._driver.call(hook, **kwargs)

    def _pages(self, pages: Iterator[Any]) -> Iterator[Any]:
        if not self.read_ahead:
            while True:
                self._commit()
                try:
                    with keeping_alive(self._commit):
                        page = next(pages)
                except StopIteration:
                    return
                yield page
        reader = ReadAhead(pages, self.read_ahead, name=f"ecom-job-{self._job.id}-pages",
                           waiting=self._commit, every=self.beat_every)
        try:
            while True:
                self._commit()
                try:
                    page = next(reader)
                except StopIteration:
                    return
                yield page
        finally:
            reader.close()


class ReadAheadStopped(Exception):
    """Ends a driver's wait (:func:`ecom.drivers.poll`) in a reader the job no longer reads."""


class ReadAhead(Iterator[Any]):
    """The items of ``source``, read by a thread of their own up to ``depth`` items ahead.

    The thread is the only one to touch ``source`` (a driver's generator: its HTTP client, its
    temporary files), and closes it when it ends. An exception it meets is raised here, where the
    item would have been. :meth:`close` stops it: it takes no further item (at most the one it is
    reading finishes; a :func:`ecom.drivers.poll` inside it ends at its next wait) and closes
    ``source``. Memory stays bounded: at most ``depth`` items wait. While the caller waits for an
    item, ``waiting()`` runs every ``every`` seconds (the job's beat: it raises to give up).
    """

    _END = object()

    def __init__(self, source: Iterator[Any], depth: int = 1, *, name: str = "ecom-read-ahead",
                 waiting: Callable[[], None] | None = None, every: float = 2.0) -> None:
        self._source, self._waiting, self._every = source, waiting, every
        self._queue: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._read, name=name, daemon=True)
        self._thread.start()

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        while True:
            try:
                item, error = self._queue.get(timeout=self._every if self._waiting else None)
                break
            except queue.Empty:
                self._waiting()  # type: ignore[misc]
        if error is not None:
            self._done = True
            raise error
        if item is self._END:
            self._done = True
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop reading; return once the thread has ended (after the item it is reading, if any)."""
        self._stop.set()
        self._done = True
        while self._thread.is_alive():
            try:  # make room, so a thread waiting to hand over an item sees the stop
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def _read(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    with keeping_alive(self._still_wanted):
                        item = next(self._source)
                except StopIteration:
                    self._hand_over((self._END, None))
                    return
                self._hand_over((item, None))
        except BaseException as exc:  # noqa: BLE001 - raised again in the job's thread
            self._hand_over((None, exc))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def _still_wanted(self) -> None:
        if self._stop.is_set():
            raise ReadAheadStopped("the job stopped reading")

    def _hand_over(self, entry: tuple[Any, BaseException | None]) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.05)
                return
            except queue.Full:
                continue
