"""A client nobody here wrote talks to the fake: Shopify's own Python library (``ShopifyAPI`` on
PyPI), at the newest API version it knows (2024-10 in 12.7.0, long retired: Shopify answers it as
the oldest supported version), over a loopback port.

Skipped unless that package is installed (``pip install 'ecom-shopify[clients]'``).
"""

from __future__ import annotations

import json

import pytest

from ecom_shopify.fake import ShopifyFake

shopify = pytest.importorskip("shopify", reason="Shopify's Python library is not installed (pip install 'ecom-shopify[clients]')")

ORDERS = """query($after: String) { orders(first: 25, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { id name totalPriceSet { shopMoney { amount } } } } }"""


def test_shopifys_own_library_reads_exactly_the_seeded_orders(clock) -> None:
    fake = ShopifyFake(clock=clock)
    fake.seed(orders=60, seed=12)
    versions = [v for v in shopify.ApiVersion.versions if v != "unstable"]
    version = max(versions)
    session = shopify.Session("ecom-demo.myshopify.com", version, fake.token)
    with fake.serve() as url:
        shopify.ShopifyResource.activate_session(session)
        try:
            shopify.ShopifyResource.site = f"{url}/admin/api/{version}"  # the loopback fake, not the shop's host
            assert shopify.Shop.current().myshopify_domain == "ecom-demo.myshopify.com"
            seen, after = [], None
            while True:
                page = json.loads(shopify.GraphQL().execute(ORDERS, {"after": after}))["data"]["orders"]
                seen += page["nodes"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
        finally:
            shopify.ShopifyResource.clear_session()
    held = {o["id"]: o for o in fake.store.all("Order")}
    assert len(seen) == len(held) == 60 and {o["id"] for o in seen} == set(held)
    assert all(o["name"] == held[o["id"]]["name"] for o in seen)
    assert [r.path for r in fake.requests][:1] == [f"/admin/api/{version}/shop.json"]
