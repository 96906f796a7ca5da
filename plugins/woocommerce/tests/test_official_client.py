"""A client nobody here wrote talks to the fake: WooCommerce's own Python library (``woocommerce``
on PyPI), which signs plain-HTTP requests with its own OAuth 1.0a code.

Skipped unless that package is installed (``pip install woocommerce``); it is not a dependency.
"""

from __future__ import annotations

import pytest

from ecom_woocommerce.fake import WooCommerceFake

woocommerce = pytest.importorskip("woocommerce", reason="WooCommerce's Python client is not installed (pip install woocommerce)")


def test_woocommerces_own_client_reads_and_writes_the_fake(clock):
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=30, products=6, seed=8)
    with fake.serve() as url:
        api = woocommerce.API(url=url, consumer_key=fake.consumer_key, consumer_secret=fake.consumer_secret, version="wc/v3", timeout=10)
        listed = api.get("orders", params={"per_page": 5, "status": "processing"})
        assert listed.status_code == 200 and {o["status"] for o in listed.json()} == {"processing"}
        oid = listed.json()[0]["id"]
        assert api.put(f"orders/{oid}", {"status": "completed"}).json()["status"] == "completed"
        assert api.post(f"orders/{oid}/notes", {"note": "Shipped with UPS, tracking number 1ZOWN."}).status_code == 201
        sku = fake.skus()[0]
        product, variation = fake._by_sku(sku)
        path = f"products/{product['id']}/variations/batch" if variation else "products/batch"
        batch = api.post(path, {"update": [{"id": (variation or product)["id"], "manage_stock": True, "stock_quantity": 42}]})
        assert batch.status_code == 200 and fake.stock(sku) == 42 and fake.tracking(str(oid)) == ["1ZOWN"]
        refused = woocommerce.API(url=url, consumer_key=fake.consumer_key, consumer_secret="cs_wrong", version="wc/v3").get("orders")
        assert (refused.status_code, refused.json()["message"]) == (401, "Invalid signature - provided signature does not match.")
