"""The core's driver conformance suite, run against the fake WooCommerce store."""

from ecom.testing.conformance import driver_conformance

TestConformance = driver_conformance("woocommerce")
