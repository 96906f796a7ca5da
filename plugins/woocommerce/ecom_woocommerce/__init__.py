"""ecom's WooCommerce driver: orders, order status, stock and products over the REST API v3.

The hooks live in :mod:`ecom_woocommerce.driver`, the entry point pluggy loads
(``[project.entry-points.ecom] woocommerce = "ecom_woocommerce.driver"``).
"""
