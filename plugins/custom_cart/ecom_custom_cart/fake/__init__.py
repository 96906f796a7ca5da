"""The reference server of the ecom cart protocol (:mod:`ecom_custom_cart.fake.server`)."""

from ecom_custom_cart.fake.server import CustomCartFake

__all__ = ["CustomCartFake"]
