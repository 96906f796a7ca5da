"""A fake WooCommerce store for tests, the conformance suite and ``ecom demo``.

In process: ``WooCommerceFake().transport()`` (an httpx transport). On a loopback port:
``python -m ecom_woocommerce.fake --port 8081``. What it serves, and the WooCommerce documents it
follows, are listed in :mod:`ecom_woocommerce.fake.server`.
"""

from ecom_woocommerce.fake.server import WooCommerceFake, WooError

__all__ = ["WooCommerceFake", "WooError"]
