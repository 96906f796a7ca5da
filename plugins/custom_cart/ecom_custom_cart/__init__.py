"""ecom's Custom Cart driver: any cart, through the ecom cart protocol or a mapping file.

The hooks live in :mod:`ecom_custom_cart.driver`, the entry point pluggy loads
(``[project.entry-points.ecom] custom_cart = "ecom_custom_cart.driver"``).
"""
