"""The core's driver conformance suite, run against the fake WooCommerce store.

One check is expected to fail: the suite wants every web order status reachable from some cart
status, but WooCommerce has no status meaning "Approved" (the issue's table maps its seven
statuses to the other five; SPEC §2 asks a driver to map its statuses *to* the six, not onto all of
them). Strict, so the day the core relaxes the check this marker must go.
"""

import pytest
from ecom.testing.conformance import driver_conformance

TestConformance = driver_conformance("woocommerce")
TestConformance.test_describe_cart_is_complete = pytest.mark.xfail(
    reason="WooCommerce has no order status meaning Approved; reported to the core", strict=True
)(TestConformance.test_describe_cart_is_complete)
