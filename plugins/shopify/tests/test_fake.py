"""The fake Shopify behaves as the Admin API documents: auth, cost, throttling, bulk, errors."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from ecom import CartProduct
from ecom_shopify.fake import SUPPORTED_VERSIONS, ShopifyFake, search
from ecom_shopify.fake.bulk import flatten
from ecom_shopify.fake.resolvers import matches
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


# -- issue 12: answering like Shopify's Admin API to any client -------------------------------------


def test_every_supported_version_is_served_and_a_retired_one_as_the_oldest(fake: ShopifyFake) -> None:
    with httpx.Client(transport=fake.transport(), base_url="https://ecom-demo.myshopify.com",
                      headers={"X-Shopify-Access-Token": fake.token}) as client:
        for version in SUPPORTED_VERSIONS:
            answer = client.get(f"/admin/api/{version}/shop.json")
            assert answer.status_code == 200 and answer.headers["X-Shopify-API-Version"] == version
        for retired in ("2025-07", "2024-10", "2019-04"):
            answer = client.post(f"/admin/api/{retired}/graphql.json", json={"query": SHOP})
            assert answer.json()["data"]["shop"]["name"] == fake.store.shop["name"]
            assert answer.headers["X-Shopify-API-Version"] == min(SUPPORTED_VERSIONS), retired
        assert client.get("/admin/api/latest/shop.json").status_code == 404


def test_a_bulk_operation_reads_the_same_however_it_is_polled(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, bulk_polls=2)
    shop.seed(orders=5, seed=1)
    run = graphql(shop, queries.BULK_RUN, {"query": queries.bulk_orders_query(None)}).json()["data"]["bulkOperationRunQuery"]
    gid = run["bulkOperation"]["id"]
    by_node = "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status url } } }"
    assert graphql(shop, by_node, {"id": gid}).json()["data"]["node"]["status"] == "RUNNING"
    assert graphql(shop, "{ currentBulkOperation { id status } }").json()["data"]["currentBulkOperation"] == {
        "id": gid, "status": "COMPLETED"}
    polled = graphql(shop, queries.BULK_STATUS, {"id": gid}).json()["data"]["bulkOperation"]
    node = graphql(shop, by_node, {"id": gid}).json()["data"]["node"]
    assert polled["status"] == node["status"] == "COMPLETED" and node["url"] == polled["url"]


def _search(shop: ShopifyFake, search: str) -> set[str]:
    body = graphql(shop, "query($q: String) { orders(first: 250, query: $q) { nodes { id } } }", {"q": search}).json()
    assert "errors" not in body, body
    return {n["id"] for n in body["data"]["orders"]["nodes"]}


def test_search_ranges_connectives_and_negation_on_orders(fake: ShopifyFake) -> None:
    orders = sorted(fake.store.all("Order"), key=lambda o: o["updatedAt"])
    low, high = orders[10]["updatedAt"], orders[40]["updatedAt"]
    between = {o["id"] for o in orders if low <= o["updatedAt"] < high}
    assert 0 < len(between) < len(orders)
    assert _search(fake, f"updated_at:>='{low}' AND updated_at:<'{high}'") == between
    assert _search(fake, f'updated_at:>="{low}" updated_at:<"{high}"') == between, "AND is implied"
    assert _search(fake, f"-updated_at:<'{low}' NOT updated_at:>='{high}'") == between
    first, second = orders[0], orders[1]
    assert _search(fake, f"id:{first['legacyResourceId']} OR id:{second['legacyResourceId']}") == {first["id"], second["id"]}
    assert _search(fake, f"(id:{first['legacyResourceId']} OR id:{second['legacyResourceId']}) -id:{first['legacyResourceId']}") == {
        second["id"]}
    everyone = {o["id"] for o in orders}
    assert _search(fake, f"NOT id:{first['legacyResourceId']}") == everyone - {first["id"]}


@pytest.mark.parametrize(("search", "expected"), [
    ("", True), ("Blue", True), ("blue shirt", True), ("blue pants", False), ("pants OR shirt", True),
    ("title:'Blue Shirt'", True), ('title:"blue shirt"', True), ("title:Blue*", True), ("title:Red*", False),
    ("-title:Red*", True), ("NOT title:Blue*", False), ("tag:sale AND sku:BS-1", True), ("tag:sale AND sku:BS-2", False),
    ("tag:sale sku:BS-2 OR sku:BS-1", True), ("tag:sale (sku:BS-2 OR title:Red*)", False),
    ("updated_at:>'2026-03-01T00:00:00Z' updated_at:<='2026-03-02T00:00:00Z'", True),
    ("updated_at:<2026-03-01", False), ("created_at:>='2026-04-01'", False), ("unknown_filter:x", True),
    ("title:(unclosed", False), ("AND OR", True), ("-", False), ("((blue)", True), (")blue", True),
])
def test_search_syntax(search: str, expected: bool) -> None:
    item = {"title": "Blue Shirt", "sku": "BS-1", "tags": ["Sale"], "updatedAt": "2026-03-01T12:00:00Z",
            "createdAt": "2026-03-01T10:00:00Z", "legacyResourceId": "7"}
    assert matches(search, item) is expected


def test_search_parser_reads_the_documented_grammar() -> None:
    assert search.parse("-first_name:Bob AND orders_count:>3 orders_count:<=4") == ("and", [
        ("not", ("term", "first_name", "=", "Bob")), ("term", "orders_count", ">", "3"), ("term", "orders_count", "<=", "4")])
    assert search.parse("state:enabled OR state:disabled") == ("or", [
        ("term", "state", "=", "enabled"), ("term", "state", "=", "disabled")])
    assert search.parse("(" * 5000 + "a") == ("term", None, "=", "(" * 5000 + "a"), "nonsense is free text, not a crash"
    assert search.parse("NOT (a OR 'b c')") == ("not", ("or", [("term", None, "=", "a"), ("term", None, "=", "b c")]))


def test_access_scopes_list_the_read_scope_each_write_scope_grants(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, scopes={"write_orders", "read_locations"})
    with httpx.Client(transport=shop.transport(), base_url="https://ecom-demo.myshopify.com",
                      headers={"X-Shopify-Access-Token": shop.token}) as client:
        handles = [s["handle"] for s in client.get("/admin/oauth/access_scopes.json").json()["access_scopes"]]
    assert handles == ["read_locations", "read_orders", "write_orders"]
    app = graphql(shop, "{ currentAppInstallation { accessScopes { handle } } }").json()["data"]["currentAppInstallation"]
    assert [s["handle"] for s in app["accessScopes"]] == handles


def test_fields_the_fake_holds_no_data_for_answer_empty_values_of_their_type(fake: ShopifyFake) -> None:
    query = """{ orders(first: 2) { nodes { id additionalFees { id } discountApplications(first: 5) { nodes { index } }
                 lineItems(first: 5) { nodes { id duties { id } } } fulfillmentOrders(first: 1) { nodes {
                 assignedLocation { location { id address { address1 countryCode } } } } } } }
               customers(first: 3) { nodes { id } pageInfo { hasNextPage } } }"""
    body = graphql(fake, query).json()
    assert "errors" not in body, body
    order = body["data"]["orders"]["nodes"][0]
    assert order["additionalFees"] == [] and order["discountApplications"]["nodes"] == []
    assert all(line["duties"] == [] for line in order["lineItems"]["nodes"]) and order["lineItems"]["nodes"]
    [held] = order["fulfillmentOrders"]["nodes"]
    assert held["assignedLocation"]["location"]["address"] == {"address1": None, "countryCode": None}
    assert body["data"]["customers"] == {"nodes": [], "pageInfo": {"hasNextPage": False}}


def test_a_product_exported_twice_is_updated_the_second_time(fake: ShopifyFake) -> None:
    from ecom.testing.drivers import fake_connection
    from ecom_shopify import upsert_products

    connection = fake_connection(fake)
    before = len(fake.store.all("Product"))
    [created] = upsert_products(connection, [CartProduct(sku="TWICE-1", name="First name", price="5.00", active=True)])
    [updated] = upsert_products(connection, [CartProduct(sku="TWICE-1", name="Second name", price="6.50", active=False)])
    assert (created.action, updated.action) == ("created", "updated") and updated.external_id == created.external_id
    seen = fake.product("TWICE-1")
    assert (seen.name, seen.price, seen.active) == ("Second name", Decimal("6.50"), False)
    assert len(fake.store.all("Product")) == before + 1
