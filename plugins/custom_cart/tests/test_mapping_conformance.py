"""The core's driver conformance suite in mapping mode: the driver, through the shipped example
mapping (docs/custom-cart-mapping-example.toml), against the fake legacy shop instead of the
protocol's reference server. The suite's fixtures are overridden, not the core; so is its clock
test, which expects a fake on real time where the legacy shop keeps its own clock (``now``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from ecom.fake import FakeCart
from ecom.plugins import Driver
from ecom.records import Connection
from ecom.testing.conformance import driver_conformance
from ecom.testing.drivers import FAKE_BASE_URL, fake_connection

from ecom_custom_cart.legacy_fake import LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


def mapped(connection: Connection) -> Connection:
    options = {**connection.options, "mode": "mapping", "mapping": EXAMPLE.read_text(encoding="utf-8"), "mapping_source": EXAMPLE.name}
    return dataclasses.replace(connection, options=options)


class TestMappingConformance(driver_conformance("custom_cart")):
    @pytest.fixture
    def cart_fake(self) -> FakeCart:
        return LegacyShopFake()

    @pytest.fixture
    def connection(self, cart_fake: FakeCart) -> Connection:
        return mapped(fake_connection(cart_fake, FAKE_BASE_URL))

    @pytest.fixture
    def bad_connection(self, cart_fake: FakeCart) -> Connection:
        return mapped(fake_connection(cart_fake, FAKE_BASE_URL, valid=False))

    def test_fetch_orders_says_the_carts_clock_or_nothing(self, cart_driver: Driver, cart_fake: LegacyShopFake, connection: Connection) -> None:
        cart_fake.seed(orders=3, products=self.seed_products, seed=7)
        first = next(iter(cart_driver.call("fetch_orders", connection=connection, since=None)))
        assert first.read_at == cart_fake.now and first.read_at.tzinfo is not None, "read_at is the shop's Date header"
