"""ecom's Custom Cart driver: any cart, through the ecom cart protocol or a mapping file.

The hooks live in :mod:`ecom_custom_cart.driver`; this module is the entry point pluggy loads
(``[project.entry-points.ecom] custom_cart = "ecom_custom_cart"``).
"""

from ecom_custom_cart.driver import (
    describe_cart,
    fake_cart,
    fetch_orders,
    fetch_orders_by_id,
    fetch_products,
    push_inventory,
    push_status,
    test_connection,
    upsert_products,
)

__all__ = [
    "describe_cart", "fake_cart", "fetch_orders", "fetch_orders_by_id", "fetch_products", "push_inventory", "push_status",
    "test_connection", "upsert_products",
]
