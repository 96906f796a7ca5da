"""ecom's WooCommerce driver: orders, order status, stock and products over the REST API v3.

The hooks live in :mod:`ecom_woocommerce.driver`; this module is the entry point pluggy loads
(``[project.entry-points.ecom] woocommerce = "ecom_woocommerce"``).
"""

from ecom_woocommerce.driver import (
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
