"""The core's driver conformance suite, run against the ecom cart protocol's reference server."""

from ecom.testing.conformance import driver_conformance

TestConformance = driver_conformance("custom_cart")
