"""Fixtures for the Custom Cart driver's tests: the protocol's reference server and connections to it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from ecom.records import Connection

from ecom_custom_cart.fake import CustomCartFake

BASE = "https://shop.example.com/ecom"


@pytest.fixture
def fake() -> CustomCartFake:
    return CustomCartFake()


def wired(fake: CustomCartFake, transport: Any = None, **options: Any) -> Connection:
    connection = fake.connection(BASE)
    return dataclasses.replace(connection, transport=transport or fake.transport(), options={**connection.options, **options})


@pytest.fixture
def connection(fake: CustomCartFake) -> Connection:
    """A connection to the reference server, in process, with its bearer token."""
    return wired(fake)


@pytest.fixture(autouse=True)
def no_sleeping(ecom_http_sleeps: list[float]) -> list[float]:
    """Retries wait without sleeping; the waits asked for are in the list."""
    return ecom_http_sleeps
