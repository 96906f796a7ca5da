"""What a driver's tests need around its fake cart: a connection wired to the fake, pages
drained into one result, and HTTP retries that wait without sleeping.

The fixture :func:`ecom_http_sleeps` is part of ecom's pytest plugin, so any test can use it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import ecom.http
from ecom.fake import FakeCart
from ecom.records import Connection, Page, RecordFailure

#: The base URL the fakes answer at in process (no request leaves the process).
FAKE_BASE_URL = "https://fake-cart.test"


def fake_connection(fake: FakeCart, base_url: str = FAKE_BASE_URL, *, valid: bool = True) -> Connection:
    """The fake's connection settings (accepted ones, or refused ones with ``valid=False``),
    with the fake's in-process transport, so the driver's requests reach the fake."""
    return dataclasses.replace(fake.connection(base_url, valid=valid), transport=fake.transport())


@dataclass
class Fetched:
    """Everything a fetch yielded: its records, its failures, and how many pages it took."""

    records: list[Any] = field(default_factory=list)
    failures: list[RecordFailure] = field(default_factory=list)
    pages: int = 0


def drain(pages: Iterable[Page[Any]] | Iterator[Page[Any]]) -> Fetched:
    """Read a fetch to the end."""
    fetched = Fetched()
    for page in pages:
        fetched.pages += 1
        fetched.records.extend(page.records)
        fetched.failures.extend(page.failures)
    return fetched


@pytest.fixture
def ecom_http_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make :mod:`ecom.http` wait without sleeping; every wait it asked for is in the list."""
    waits: list[float] = []
    monkeypatch.setattr(ecom.http, "default_sleep", waits.append)
    return waits
