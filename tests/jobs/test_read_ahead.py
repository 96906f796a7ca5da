"""A fetch's pages are read ahead by a thread of their own (ecom.jobs.context.ReadAhead): the next
page is asked for while the job writes the last, in a bounded queue, errors come out where the
page would have, and stopping it closes the driver's generator."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import pytest

from ecom import http as ecom_http
from ecom.drivers import poll
from ecom.jobs.context import ReadAhead, ReadAheadStopped


class Source:
    """A driver's fetch as a generator that notes what was read, by which thread, and whether
    its cleanup ran."""

    def __init__(self, items: Iterator[object], fail_after: int | None = None) -> None:
        self.items, self.fail_after = items, fail_after
        self.read: list[object] = []
        self.threads: set[int] = set()
        self.closed = threading.Event()
        self.reading_second = threading.Event()

    def __call__(self) -> Iterator[object]:
        try:
            for n, item in enumerate(self.items):
                if n == 1:
                    self.reading_second.set()
                if self.fail_after is not None and n == self.fail_after:
                    raise ConnectionError(f"the cart went away after {n} pages")
                self.threads.add(threading.get_ident())
                self.read.append(item)
                yield item
        finally:
            self.closed.set()


def test_the_next_page_is_read_while_the_job_holds_the_last_one() -> None:
    source = Source(iter(["p1", "p2", "p3"]))
    pages = ReadAhead(source(), depth=1)
    assert next(pages) == "p1"
    # the job has not asked for p2 yet: only a reader of its own can be reading it now
    assert source.reading_second.wait(timeout=30), "p2 was not read ahead"
    assert list(pages) == ["p2", "p3"]
    assert source.closed.wait(timeout=30)
    assert source.threads and threading.get_ident() not in source.threads


def test_an_error_of_the_cart_comes_out_after_the_pages_read_before_it() -> None:
    source = Source(iter(["p1", "p2", "p3"]), fail_after=2)
    pages = ReadAhead(source(), depth=1)
    got = []
    with pytest.raises(ConnectionError, match="the cart went away after 2 pages"):
        for page in pages:
            got.append(page)
    assert got == ["p1", "p2"]
    assert source.closed.wait(timeout=30)
    assert list(pages) == []  # ended: nothing more, no second error


def test_closing_stops_an_endless_fetch_within_the_bound_and_closes_it() -> None:
    source = Source(itertools.count())
    pages = ReadAhead(source(), depth=2)
    assert [next(pages), next(pages)] == [0, 1]
    pages.close()
    assert source.closed.is_set()  # close returns once the reader has ended and closed the fetch
    # taken 2, at most 2 waiting in the queue and 1 in the reader's hands: never the whole source
    assert len(source.read) <= 5, len(source.read)
    with pytest.raises(StopIteration):
        next(pages)


def test_the_job_beats_while_it_waits_for_a_page_and_a_beat_that_raises_ends_the_wait() -> None:
    gate, beats = threading.Event(), []

    def slow() -> Iterator[str]:
        gate.wait(30)  # the cart is slow to answer
        yield "late"

    def beat() -> None:  # the job's heartbeat: the third finds the job cancelled
        beats.append(1)
        if len(beats) == 3:
            raise RuntimeError("job 7 was cancelled")

    pages = ReadAhead(slow(), waiting=beat, every=0.01)
    with pytest.raises(RuntimeError, match="cancelled"):
        next(pages)
    gate.set()
    pages.close()
    assert len(beats) == 3


def test_a_poll_inside_the_reader_ends_at_its_next_wait_once_the_job_stops_reading(monkeypatch) -> None:
    seen: list[BaseException] = []
    sleeping = threading.Event()

    def export() -> Iterator[str]:
        yield "p1"
        try:  # then a bulk export that never completes
            poll(lambda: "RUNNING", done=lambda s: False, what="the export", timeout=3600)
        except BaseException as exc:
            seen.append(exc)
            raise
        yield "p2"

    pages = ReadAhead(export(), depth=1)

    def sleep(seconds: float) -> None:  # a wait that lasts until the job stops reading
        sleeping.set()
        pages._stop.wait(30)  # noqa: SLF001

    monkeypatch.setattr(ecom_http, "default_sleep", sleep)
    assert next(pages) == "p1"
    assert sleeping.wait(30)
    pages.close()
    assert len(seen) == 1 and isinstance(seen[0], ReadAheadStopped), seen  # not a wait to the timeout
