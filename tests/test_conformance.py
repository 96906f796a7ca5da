"""The driver conformance suite, run against the core's own test driver (Test Cart).

The same class a driver author gets from ``driver_conformance("shopify")``; here the driver is
registered by the test (``plugin=``), since the test cart has no entry point.
"""

from __future__ import annotations

import textwrap

import pytest

from ecom.testing import testcart
from ecom.testing.conformance import driver_conformance

pytest_plugins = ["pytester"]

TestTestCartConformance = driver_conformance("testcart", plugin=testcart)


def test_an_operation_the_driver_lacks_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    """A driver with only describe_cart and fake_cart: the suite skips the rest and says why.
    The driver is provided by overriding the ``cart_driver`` fixture, the other way in."""
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from ecom import hookimpl
            from ecom.plugins import get_driver
            from ecom.testing import testcart
            from ecom.testing.conformance import driver_conformance

            class ReadOnly:
                @hookimpl
                def describe_cart(self):
                    return testcart.INFO

                @hookimpl
                def fake_cart(self):
                    return testcart.fake_cart()

            class TestConformance(driver_conformance("testcart")):
                @pytest.fixture
                def cart_driver(self, ecom_plugins):
                    ecom_plugins.register(ReadOnly())
                    return get_driver("testcart", ecom_plugins.manager)
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=15)
    result.stdout.fnmatch_lines(["*the testcart driver does not implement test_connection*"])
    result.stdout.fnmatch_lines(["*the testcart driver does not implement push_inventory*"])


def test_a_broken_driver_fails_the_suite(pytester: pytest.Pytester) -> None:
    """The suite can fail: a driver that forgets archived orders and pushes no stock is caught."""
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from ecom import hookimpl
            from ecom.plugins import get_driver
            from ecom.records import PushResult
            from ecom.testing import testcart
            from ecom.testing.conformance import driver_conformance

            class Careless:
                describe_cart = staticmethod(hookimpl(testcart.describe_cart))
                fake_cart = staticmethod(hookimpl(testcart.fake_cart))

                @hookimpl
                def fetch_orders(self, connection, since):
                    for page in testcart.fetch_orders(connection=connection, since=since):
                        page.records = [o for o in page.records if not o.archived]
                        yield page

                @hookimpl
                def push_inventory(self, connection, levels):
                    return [PushResult(ref=level.sku, ok=True) for level in levels]

            class TestConformance(driver_conformance("testcart")):
                @pytest.fixture
                def cart_driver(self, ecom_plugins):
                    ecom_plugins.register(Careless())
                    return get_driver("testcart", ecom_plugins.manager)
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*orders fetched (* distinct), 120 seeded*", "*an unknown SKU must fail alone*"])
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 4
