"""The fake Shopify behaves as the Admin API documents: auth, cost, throttling, bulk, errors."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from ecom_shopify.fake import ShopifyFake
from ecom_shopify.fake.bulk import flatten
from ecom_shopify import queries

from .conftest import VirtualClock, graphql

SHOP = "{ shop { name myshopifyDomain } }"


def test_a_bad_token_gets_shopifys_401(fake: ShopifyFake) -> None:
    response = graphql(fake, SHOP, token="shpat_wrong")
    assert response.status_code == 401
    assert response.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    assert "Shopify API Authentication" in response.headers["WWW-Authenticate"]


def test_every_answer_carries_its_cost_and_the_bucket(fake: ShopifyFake) -> None:
    body = graphql(fake, SHOP).json()
    assert body["data"]["shop"]["myshopifyDomain"] == "ecom-demo.myshopify.com"
    cost = body["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (1, 1)
    assert set(cost["throttleStatus"]) == {"maximumAvailable", "currentlyAvailable", "restoreRate"}


def test_requested_cost_follows_first_and_actual_cost_what_came_back(fake: ShopifyFake) -> None:
    query = "{ orders(first: 50, query: \"name:#1001\") { nodes { id customer { id } } } }"
    cost = graphql(fake, query).json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 50 * 2
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]


def test_a_query_over_the_single_query_limit_is_refused_before_running(fake: ShopifyFake) -> None:
    before = fake.bucket.available
    body = graphql(fake, queries.ORDERS, {"first": 100, "lines": 50}).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["message"].startswith(f"Query cost is {error['extensions']['cost']}, which exceeds the single query max cost limit (1000).")
    assert "data" not in body and fake.bucket.available == before


def test_an_empty_bucket_throttles_with_http_200_then_refills(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, bucket=1000, restore_rate=100)
    shop.seed(orders=20, seed=1)
    variables = {"first": 5, "lines": 10}
    first = graphql(shop, queries.ORDERS, variables)
    assert first.status_code == 200 and "data" in first.json()
    while "data" in (answer := graphql(shop, queries.ORDERS, variables)).json():
        pass
    body = answer.json()
    assert answer.status_code == 200
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED" and body["errors"][0]["message"] == "Throttled"
    cost = body["extensions"]["cost"]
    assert cost["actualQueryCost"] is None and cost["throttleStatus"]["currentlyAvailable"] < cost["requestedQueryCost"]
    clock.now += (cost["requestedQueryCost"] - cost["throttleStatus"]["currentlyAvailable"]) / 100 + 0.01
    assert "data" in graphql(shop, queries.ORDERS, variables).json()


def test_connections_need_first_or_last_and_at_most_250(fake: ShopifyFake) -> None:
    assert graphql(fake, "{ orders { nodes { id } } }").json()["errors"][0]["message"] == "you must provide one of first or last"
    assert "250" in graphql(fake, "{ products(first: 251) { nodes { id } } }").json()["errors"][0]["message"]


def test_cursor_paging_reaches_every_order_once(fake: ShopifyFake) -> None:
    seen, after = [], None
    while True:
        data = graphql(fake, "query($after: String) { orders(first: 7, after: $after, sortKey: UPDATED_AT) "
                             "{ pageInfo { hasNextPage endCursor } nodes { id updatedAt } } }", {"after": after}).json()["data"]["orders"]
        seen += data["nodes"]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len({o["id"] for o in seen}) == 60
    assert [o["updatedAt"] for o in seen] == sorted(o["updatedAt"] for o in seen)


def test_missing_scope_is_access_denied(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, scopes={"read_products"})
    [error] = graphql(shop, "{ orders(first: 1) { nodes { id } } }").json()["errors"]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert error["message"] == "Access denied for orders field. Required access: `read_orders` access scope."


def test_without_read_all_orders_only_the_last_60_days_show(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, scopes={"read_orders"})
    shop.seed(orders=5, seed=1)
    assert graphql(shop, "{ ordersCount { count } }").json()["data"]["ordersCount"]["count"] == 0


def test_bulk_query_runs_polls_and_serves_jsonl_by_parent_id(fake: ShopifyFake) -> None:
    run = graphql(fake, queries.BULK_RUN, {"query": queries.bulk_orders_query(None)}).json()["data"]["bulkOperationRunQuery"]
    assert run["userErrors"] == [] and run["bulkOperation"]["status"] == "CREATED"
    status = graphql(fake, queries.BULK_STATUS, {"id": run["bulkOperation"]["id"]}).json()["data"]["bulkOperation"]
    assert status["status"] == "COMPLETED" and int(status["rootObjectCount"]) == 60
    with httpx.Client(transport=fake.transport()) as client:
        lines = [json.loads(line) for line in client.get(status["url"]).text.splitlines()]
        assert client.get(status["url"].split("?")[0]).status_code == 403, "the file URL is signed"
    assert len(lines) == int(status["objectCount"])
    parents = {line["id"] for line in lines if "__parentId" not in line}
    children = [line for line in lines if "__parentId" in line]
    assert len(parents) == 60 and children and all(c["__parentId"] in parents for c in children)
    assert {c["__typename"] for c in children} == {"LineItem", "ShippingLine"}
    assert any(lines.index(c) < min(i for i, p in enumerate(lines) if p["id"] == c["__parentId"]) for c in children), (
        "with groupObjects false some child comes before its parent")


def test_bulk_flatten_groups_children_under_parents() -> None:
    data = {"orders": {"edges": [{"node": {"id": "o1", "lineItems": {"edges": [{"node": {"id": "l1"}}, {"node": {"id": "l2"}}]}}},
                                 {"node": {"id": "o2", "lineItems": {"edges": []}}}]}}
    lines, roots = flatten(data)
    assert roots == 2
    assert lines == [{"id": "o1"}, {"id": "l1", "__parentId": "o1"}, {"id": "l2", "__parentId": "o1"}, {"id": "o2"}]
    with pytest.raises(ValueError, match="connection"):
        flatten({"shop": {"name": "x"}})


def test_inventory_set_quantities_requires_idempotency_and_change_from(fake: ShopifyFake) -> None:
    sku = next(s for s in fake.skus() if fake.stock(s) is not None)
    item = fake.store.variant_by_sku(sku)["inventoryItem"]["id"]
    location = fake.store.locations[0]["id"]
    no_key = "mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }"
    base = {"name": "available", "reason": "correction", "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": 5}]}
    assert "idempotent" in graphql(fake, no_key, {"input": base}).json()["errors"][0]["message"]
    refused = graphql(fake, queries.SET_QUANTITIES, {"input": base, "key": "k1"}).json()["data"]["inventorySetQuantities"]
    assert refused["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED" and fake.stock(sku) != 5
    base["quantities"][0]["changeFromQuantity"] = None
    done = graphql(fake, queries.SET_QUANTITIES, {"input": base, "key": "k2"}).json()["data"]["inventorySetQuantities"]
    assert done["userErrors"] == [] and fake.stock(sku) == 5
    fake.store.levels[(item, location)]["available"] = 9
    replay = graphql(fake, queries.SET_QUANTITIES, {"input": base, "key": "k2"}).json()["data"]["inventorySetQuantities"]
    assert replay == done and fake.stock(sku) == 9, "a replayed key returns the first answer and changes nothing"
    base["quantities"][0]["changeFromQuantity"] = 3
    stale = graphql(fake, queries.SET_QUANTITIES, {"input": base, "key": "k3"}).json()["data"]["inventorySetQuantities"]
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE" and fake.stock(sku) == 9


def test_set_quantities_is_all_or_nothing(fake: ShopifyFake) -> None:
    tracked = [s for s in fake.skus() if fake.stock(s) is not None][:2]
    location = fake.store.locations[0]["id"]
    rows = [{"inventoryItemId": fake.store.variant_by_sku(s)["inventoryItem"]["id"], "locationId": location,
             "quantity": 77, "changeFromQuantity": None} for s in tracked]
    rows.append({"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": location, "quantity": 1, "changeFromQuantity": None})
    answer = graphql(fake, queries.SET_QUANTITIES, {"input": {"name": "available", "reason": "correction", "quantities": rows},
                                                    "key": "all-or-nothing"}).json()["data"]["inventorySetQuantities"]
    assert [e["field"] for e in answer["userErrors"]] == [["input", "quantities", "2", "inventoryItemId"]]
    assert answer["inventoryAdjustmentGroup"] is None and all(fake.stock(s) != 77 for s in tracked)


def test_rest_shop_and_access_scopes(fake: ShopifyFake) -> None:
    with httpx.Client(transport=fake.transport(), base_url="https://ecom-demo.myshopify.com",
                      headers={"X-Shopify-Access-Token": fake.token}) as client:
        assert client.get("/admin/api/2026-07/shop.json").json()["shop"]["myshopify_domain"] == "ecom-demo.myshopify.com"
        handles = {s["handle"] for s in client.get("/admin/oauth/access_scopes.json").json()["access_scopes"]}
        assert "write_inventory" in handles
        assert client.get("/admin/api/2026-07/nothing.json").json() == {"errors": "Not Found"}


def test_injected_failures_come_in_shopifys_error_shape(fake: ShopifyFake) -> None:
    fake.fail_next(429, retry_after=2)
    fake.fail_next(503)
    throttled, unavailable = graphql(fake, SHOP), graphql(fake, SHOP)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "2.0")
    assert throttled.json()["errors"].startswith("Exceeded 2 calls per second")
    assert unavailable.status_code == 503 and unavailable.json() == {"errors": "Unavailable Shop"}


def test_only_mutations_that_change_the_shop_are_writes(fake: ShopifyFake) -> None:
    graphql(fake, SHOP)
    graphql(fake, queries.BULK_RUN, {"query": queries.bulk_orders_query(None)})
    graphql(fake, queries.TAGS_ADD, {"id": fake.store.all("Order")[0]["id"], "tags": ["imported"]})
    assert [r.write for r in fake.requests] == [False, False, True]


def test_seed_is_deterministic_realistic_and_adds_up(clock: VirtualClock) -> None:
    one, two = ShopifyFake(clock=clock), ShopifyFake(clock=clock)
    one.seed(orders=200, products=30, seed=9)
    two.seed(orders=200, products=30, seed=9)
    assert one.skus() == two.skus() and len(one.skus()) == 30
    orders = one.store.all("Order")
    assert [o["totalPriceSet"] for o in orders] == [o["totalPriceSet"] for o in two.store.all("Order")]
    assert {o["displayFinancialStatus"] for o in orders} >= {"PAID", "PENDING", "AUTHORIZED", "REFUNDED", "VOIDED"}
    assert any(o["closed"] for o in orders) and any(o["cancelledAt"] for o in orders)
    assert any(o["displayFulfillmentStatus"] == "ON_HOLD" for o in orders)
    assert any(o["customer"] is None for o in orders) and any(o["taxExempt"] for o in orders)
    assert any(o["taxesIncluded"] for o in orders) and any(o["shippingAddress"]["countryCodeV2"] != "US" for o in orders)
    assert any(not o["billingAddress"]["firstName"].isascii() for o in orders)
    assert any(len(o["lineItems"]) >= 3 for o in orders) and any(o["discountCodes"] for o in orders)
    for order in orders:
        money = lambda bag: Decimal(bag["shopMoney"]["amount"])  # noqa: E731
        lines = sum(money(li["originalUnitPriceSet"]) * li["quantity"] - money(li["totalDiscountSet"]) for li in order["lineItems"])
        shipping = sum(money(s["originalPriceSet"]) for s in order["shippingLines"])
        tax = Decimal("0") if order["taxesIncluded"] else money(order["totalTaxSet"])
        assert lines + shipping + tax == money(order["totalPriceSet"]), order["name"]


def test_fake_serves_on_a_loopback_port(fake: ShopifyFake) -> None:
    with fake.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(f"{url}/admin/api/2026-07/graphql.json", json={"query": SHOP},
                              headers={"X-Shopify-Access-Token": fake.token}, timeout=10)
    assert response.json()["data"]["shop"]["name"] == "ecom demo shop"
