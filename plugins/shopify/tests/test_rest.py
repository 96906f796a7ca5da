"""The fake Shopify's REST Admin API for orders: the same orders as GraphQL, cursor paging with
``page_info``, filters, events, and REST's leaky bucket of 40 requests leaking 2 per second."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from ecom_shopify.fake import ShopifyFake

from .conftest import VirtualClock, graphql

V = "/admin/api/2025-07"


def rest(fake: ShopifyFake, token: str | None = None) -> httpx.Client:
    return httpx.Client(transport=fake.transport(), base_url="https://ecom-demo.myshopify.com",
                        headers={"X-Shopify-Access-Token": token or fake.token})


def links(response: httpx.Response) -> dict[str, str]:
    found = {}
    for part in response.headers.get("Link", "").split(","):
        if part.strip():
            url, rel = part.split(";")
            found[rel.strip().removeprefix("rel=").strip('"')] = url.strip(" <>")
    return found


def read_all(client: httpx.Client, url: str, params: dict | None = None) -> list[dict]:
    response = client.get(url, params=params)
    orders = []
    while True:
        assert response.status_code == 200, response.text
        orders += response.json()["orders"]
        if "next" not in links(response):
            return orders
        response = client.get(links(response)["next"])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


ORDER = """query($id: ID!) { order(id: $id) { id legacyResourceId name updatedAt createdAt displayFinancialStatus
  displayFulfillmentStatus tags email cancelledAt closedAt
  totalPriceSet { shopMoney { amount currencyCode } } subtotalPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } }
  lineItems(first: 20) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } variant { legacyResourceId } } }
  shippingAddress { city zip countryCodeV2 } customer { legacyResourceId } } }"""


def test_one_order_reads_the_same_through_graphql_and_rest(fake: ShopifyFake) -> None:
    client = rest(fake)
    for order in fake.store.all("Order")[:12]:
        view = graphql(fake, ORDER, {"id": order["id"]}).json()["data"]["order"]
        answer = client.get(f"{V}/orders/{view['legacyResourceId']}.json")
        assert answer.status_code == 200
        same = answer.json()["order"]
        assert (same["id"], same["admin_graphql_api_id"], same["name"]) == (int(view["legacyResourceId"]), view["id"], view["name"])
        assert instant(same["updated_at"]) == instant(view["updatedAt"]) and instant(same["created_at"]) == instant(view["createdAt"])
        assert same["total_price"] == view["totalPriceSet"]["shopMoney"]["amount"]
        assert same["total_price_set"]["shop_money"] == {"amount": view["totalPriceSet"]["shopMoney"]["amount"],
                                                         "currency_code": view["totalPriceSet"]["shopMoney"]["currencyCode"]}
        assert (same["subtotal_price"], same["total_tax"], same["total_discounts"]) == (
            view["subtotalPriceSet"]["shopMoney"]["amount"], view["totalTaxSet"]["shopMoney"]["amount"],
            view["totalDiscountsSet"]["shopMoney"]["amount"])
        assert same["tags"] == ", ".join(view["tags"]) and same["email"] == view["email"]
        assert (same["cancelled_at"] is None) == (view["cancelledAt"] is None) and (same["closed_at"] is None) == (view["closedAt"] is None)
        assert [(li["sku"], li["quantity"], li["price"], li["variant_id"]) for li in same["line_items"]] == [
            (li["sku"], li["quantity"], li["originalUnitPriceSet"]["shopMoney"]["amount"], int(li["variant"]["legacyResourceId"]))
            for li in view["lineItems"]["nodes"]]
        address = same["shipping_address"]
        assert (address["city"], address["zip"], address["country_code"]) == tuple(view["shippingAddress"].values())
        assert same["customer"] is None if view["customer"] is None else same["customer"]["id"] == int(view["customer"]["legacyResourceId"])
        money = {"PAID": "paid", "PENDING": "pending", "AUTHORIZED": "authorized", "PARTIALLY_PAID": "partially_paid",
                 "PARTIALLY_REFUNDED": "partially_refunded", "REFUNDED": "refunded", "VOIDED": "voided", "EXPIRED": "voided"}
        assert same["financial_status"] == money[view["displayFinancialStatus"]]
        lines = sum(Decimal(li["price"]) * li["quantity"] for li in same["line_items"])
        assert Decimal(same["total_line_items_price"]) == lines


def test_a_change_made_through_graphql_shows_in_rest(fake: ShopifyFake) -> None:
    order = next(o for o in fake.store.all("Order") if not o["closed"])
    number = order["legacyResourceId"]
    assert rest(fake).get(f"{V}/orders/{number}.json").json()["order"]["closed_at"] is None
    closed = graphql(fake, "mutation($id: ID!) { orderClose(input: {id: $id}) { order { closedAt } userErrors { message } } }",
                     {"id": order["id"]}).json()["data"]["orderClose"]["order"]["closedAt"]
    assert instant(rest(fake).get(f"{V}/orders/{number}.json").json()["order"]["closed_at"]) == instant(closed)
    assert int(number) in [o["id"] for o in read_all(rest(fake), f"{V}/orders.json", {"status": "closed", "limit": 250})]


def test_link_paging_reads_every_order_once_and_agrees_with_count(fake: ShopifyFake) -> None:
    client = rest(fake)
    orders = read_all(client, f"{V}/orders.json", {"status": "any", "limit": 7, "order": "updated_at asc"})
    seeded = {int(o["legacyResourceId"]) for o in fake.store.all("Order")}
    assert [o["id"] for o in orders if o["id"] in seeded] == [o["id"] for o in orders] and {o["id"] for o in orders} == seeded
    assert len(orders) == len(seeded) == client.get(f"{V}/orders/count.json", params={"status": "any"}).json()["count"]
    stamps = [(instant(o["updated_at"]), o["id"]) for o in orders]
    assert stamps == sorted(stamps)
    first = client.get(f"{V}/orders.json", params={"status": "any", "limit": 7, "order": "updated_at asc"})
    assert "previous" not in links(first)
    second = client.get(links(first)["next"])
    assert set(dict(parse_qsl(urlsplit(links(second)["next"]).query))) == {"limit", "page_info"}
    back = client.get(links(second)["previous"])
    assert [o["id"] for o in back.json()["orders"]] == [o["id"] for o in first.json()["orders"]]


def test_one_page_has_no_link_header(fake: ShopifyFake) -> None:
    answer = rest(fake).get(f"{V}/orders.json", params={"status": "any", "limit": 250})
    assert len(answer.json()["orders"]) == len(fake.store.all("Order")) and "Link" not in answer.headers


def test_page_info_may_come_with_limit_and_fields_only(fake: ShopifyFake) -> None:
    client = rest(fake)
    first = client.get(f"{V}/orders.json", params={"status": "any", "limit": 5, "fields": "id,name"})
    assert set(first.json()["orders"][0]) == {"id", "name"}
    token = dict(parse_qsl(urlsplit(links(first)["next"]).query))["page_info"]
    ok = client.get(f"{V}/orders.json", params={"page_info": token, "limit": 3, "fields": "id"})
    assert ok.status_code == 200 and len(ok.json()["orders"]) == 3 and set(ok.json()["orders"][0]) == {"id"}
    refused = client.get(f"{V}/orders.json", params={"page_info": token, "status": "any", "updated_at_min": "2026-01-01"})
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"status": "status cannot be passed when page_info is present.",
                                         "updated_at_min": "updated_at_min cannot be passed when page_info is present."}}
    forged = client.get(f"{V}/orders.json", params={"page_info": token[:-6] + "AAAAAA"})
    assert forged.status_code == 400 and "page_info" in forged.json()["errors"]


def test_filters_status_dates_ids_and_since_id(fake: ShopifyFake) -> None:
    client = rest(fake)
    everything = read_all(client, f"{V}/orders.json", {"status": "any", "limit": 250})
    parts = {s: {o["id"] for o in read_all(client, f"{V}/orders.json", {"status": s, "limit": 250})} for s in ("open", "closed", "cancelled")}
    assert sum(map(len, parts.values())) == len(everything) and all(parts.values())
    assert {o["id"] for o in read_all(client, f"{V}/orders.json", {"limit": 250})} == parts["open"]  # open is the default
    middle = sorted(o["updated_at"] for o in everything)[len(everything) // 2]
    later = read_all(client, f"{V}/orders.json", {"status": "any", "updated_at_min": middle})
    assert {o["id"] for o in later} == {o["id"] for o in everything if instant(o["updated_at"]) >= instant(middle)}
    assert client.get(f"{V}/orders/count.json", params={"status": "any", "updated_at_min": middle}).json()["count"] == len(later)
    local = middle[:19]  # no offset: read in the shop's time zone, which the answers' offsets are in
    assert client.get(f"{V}/orders/count.json", params={"status": "any", "updated_at_min": local}).json()["count"] == len(later)
    ids = sorted(o["id"] for o in everything)
    since = read_all(client, f"{V}/orders.json", {"status": "any", "since_id": ids[9], "limit": 4})
    assert [o["id"] for o in since] == ids[10:]  # since_id reads by id, ascending
    chosen = ",".join(str(i) for i in ids[:3])
    assert sorted(o["id"] for o in client.get(f"{V}/orders.json", params={"status": "any", "ids": chosen}).json()["orders"]) == ids[:3]
    assert len(client.get(f"{V}/orders.json", params={"status": "any", "limit": 900}).json()["orders"]) == min(250, len(ids))
    bad = client.get(f"{V}/orders.json", params={"status": "any", "updated_at_min": "yesterday"})
    assert bad.status_code == 400 and "updated_at_min" in bad.json()["errors"]


def test_events_follow_the_orders_dates(fake: ShopifyFake) -> None:
    client = rest(fake)
    closed = client.get(f"{V}/events.json", params={"filter": "Order", "verb": "closed", "limit": 250}).json()["events"]
    archived = [o for o in fake.store.all("Order") if o["closedAt"]]
    assert sorted(e["subject_id"] for e in closed) == sorted(int(o["legacyResourceId"]) for o in archived)
    assert all(e["subject_type"] == "Order" and e["verb"] == "closed" for e in closed)
    assert client.get(f"{V}/events.json", params={"filter": "Order", "verb": "destroy"}).json() == {"events": []}
    one = archived[0]["legacyResourceId"]
    verbs = {e["verb"] for e in client.get(f"{V}/orders/{one}/events.json").json()["events"]}
    assert {"placed", "closed"} <= verbs


def test_rest_errors_in_shopifys_shape(fake: ShopifyFake) -> None:
    refused = rest(fake, token="shpat_wrong").get(f"{V}/orders.json")
    assert refused.status_code == 401 and refused.json()["errors"].startswith("[API] Invalid API key or access token")
    missing = rest(fake).get(f"{V}/orders/1.json")
    assert missing.status_code == 404 and missing.json() == {"errors": "Not Found"}
    assert rest(fake).get(f"{V}/orders/1/events.json").status_code == 404
    no_scope = ShopifyFake(scopes={"write_products"})
    denied = rest(no_scope).get(f"{V}/orders.json")
    assert denied.status_code == 403 and "read_orders" in denied.json()["errors"]


def test_rest_leaky_bucket_of_40_leaking_2_per_second(fake: ShopifyFake, clock: VirtualClock) -> None:
    client = rest(fake)
    limits = [client.get(f"{V}/orders/count.json").headers["X-Shopify-Shop-Api-Call-Limit"] for _ in range(40)]
    assert limits == [f"{n}/40" for n in range(1, 41)]
    full = client.get(f"{V}/orders/count.json")
    assert full.status_code == 429 and full.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
    assert full.json() == {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}
    wait = float(full.headers["Retry-After"])
    assert 0 < wait <= 0.5
    clock.now += wait
    assert client.get(f"{V}/orders/count.json").status_code == 200
    clock.now += 20  # 40 leak away in 20 seconds
    assert client.get(f"{V}/orders/count.json").headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
    assert graphql(fake, "{ shop { name } }").json()["data"]  # GraphQL has its own bucket


def test_the_command_line_fake_serves_rest_and_logs_each_request(tmp_path) -> None:
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "ecom_shopify.fake", "--port", "0", "--orders", "9", "--log", str(log)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            token = proc.stdout.readline().rsplit("access token:", 1)[1].strip()
            url = proc.stdout.readline().split(" on ", 1)[1].split()[0]
            headers = {"X-Shopify-Access-Token": token}
            listed = httpx.get(f"{url}{V}/orders.json", params={"status": "any", "limit": 5}, headers=headers)
            assert listed.status_code == 200 and len(listed.json()["orders"]) == 5
            assert httpx.get(f"{url}{V}/orders.json", headers={"X-Shopify-Access-Token": "shpat_x"}).status_code == 401
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("GET", f"{V}/orders.json", "status=any&limit=5", 200), ("GET", f"{V}/orders.json", "", 401)]
    assert all(e["duration_ms"] >= 0 for e in entries) and token not in log.read_text()


@pytest.mark.parametrize(("version", "answered"), [("2025-07", "2026-01"), ("2026-07", "2026-07"), ("2026-10", "2026-10")])
def test_rest_answers_at_the_version_asked_or_a_retired_one_as_the_oldest_supported(
    fake: ShopifyFake, version: str, answered: str
) -> None:
    answer = rest(fake).get(f"/admin/api/{version}/orders/count.json", params={"status": "any"})
    assert answer.status_code == 200 and answer.headers["X-Shopify-API-Version"] == answered
