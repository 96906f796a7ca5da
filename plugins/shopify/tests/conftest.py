"""Fixtures for the Shopify driver's tests: a fake shop wired in process, and a virtual clock.

The virtual clock stands for time in both the fake's leaky bucket and the driver's pacer; every
wait the HTTP helper (or the driver's polling) asks for moves it forward instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ecom.http
import ecom_shopify.api
from ecom import Connection
from ecom.testing.drivers import fake_connection
from ecom_shopify.fake import ShopifyFake


class VirtualClock:
    """Seconds that pass only when someone waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualClock]:
    virtual = VirtualClock()
    monkeypatch.setattr(ecom.http, "default_sleep", virtual.sleep)
    monkeypatch.setattr(ecom_shopify.api, "monotonic", virtual)
    yield virtual


@pytest.fixture
def fake(clock: VirtualClock) -> ShopifyFake:
    """A fake shop with 40 SKUs and 60 orders, on the virtual clock."""
    shop = ShopifyFake(clock=clock, job_polls=2)
    shop.seed(orders=60, products=40, seed=3)
    return shop


@pytest.fixture
def connection(fake: ShopifyFake) -> Connection:
    return fake_connection(fake)


def graphql(fake: ShopifyFake, query: str, variables: dict | None = None, token: str | None = None):
    """POST a GraphQL body to the fake through httpx, as any client would; returns the response."""
    import httpx

    with httpx.Client(transport=fake.transport(), base_url="https://ecom-demo.myshopify.com") as client:
        return client.post(
            "/admin/api/2026-07/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token or fake.token},
        )
