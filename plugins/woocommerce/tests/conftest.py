"""Fixtures for the WooCommerce driver's tests: a fake store, connections to it, payloads."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from ecom.records import Connection

from ecom_woocommerce.fake import WooCommerceFake

HERE = Path(__file__).resolve().parent
#: the shared reference schemas live next to the repository: <repo>/../shared/reference
REFERENCE = HERE.parents[2].parent / "shared" / "reference"


class Clock:
    """The fake store's clock: real time, moved on by hand (no test sleeps)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def payload(name: str) -> dict[str, Any]:
    return json.loads((HERE / "fixtures" / name).read_text())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> WooCommerceFake:
    return WooCommerceFake(clock=clock)


def wired(fake: WooCommerceFake, base_url: str, **options: Any) -> Connection:
    connection = fake.connection(base_url)
    return dataclasses.replace(connection, transport=fake.transport(), options={**connection.options, **options})


@pytest.fixture
def https(fake: WooCommerceFake) -> Connection:
    """A connection to the fake over HTTPS (Basic auth), in process."""
    return wired(fake, "https://shop.example.com")


@pytest.fixture
def loopback(fake: WooCommerceFake) -> Connection:
    """A connection to the fake over plain HTTP on loopback (OAuth 1.0a), in process."""
    return wired(fake, "http://127.0.0.1:8080")


@pytest.fixture(autouse=True)
def no_sleeping(ecom_http_sleeps: list[float]) -> list[float]:
    """Retries wait without sleeping; the waits asked for are in the list."""
    return ecom_http_sleeps
