"""The Custom Cart's mapping mode: a cart with its own JSON REST API, reached through a TOML file.

:class:`CartMapping` reads and checks the file (:mod:`.mapping`); :class:`MappedCart` runs it as
the driver hooks (:mod:`.cart`); field expressions are Jinja2 in a bounded sandbox
(:mod:`ecom.sandbox`). The file's reference is ``docs/custom-cart-mapping.md``.
"""

from ecom_custom_cart.declarative.cart import MappedCart
from ecom_custom_cart.declarative.mapping import CartMapping

__all__ = ["CartMapping", "MappedCart"]
