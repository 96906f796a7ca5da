"""The fake store behaves as WooCommerce documents: auth both ways, paging, batches, errors, data.

These tests talk to the fake with a plain httpx client, not through the driver.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from ecom.http import OAuth1

from ecom_woocommerce import translate as tr
from ecom_woocommerce.fake import WooCommerceFake

from .conftest import Clock

HTTPS, HTTP = "https://shop.example.com", "http://127.0.0.1:8080"


def api(fake: WooCommerceFake, base: str = HTTPS, auth: object = "default") -> httpx.Client:
    if auth == "default":
        auth = (fake.consumer_key, fake.consumer_secret) if base.startswith("https") else OAuth1(fake.consumer_key, fake.consumer_secret)
    return httpx.Client(transport=fake.transport(), base_url=base + "/wp-json/wc/v3", auth=auth)


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["data"]["status"] == response.status_code, "WooCommerce repeats the status in data.status"
    return response.status_code, body["code"], body["message"]


# -- authentication over HTTPS ----------------------------------------------------------------------


def test_basic_auth_and_query_string_keys_over_https(fake):
    assert api(fake).get("/orders").status_code == 200
    keys = {"consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret}
    assert api(fake, auth=None).get("/orders", params=keys).status_code == 200


def test_a_wrong_secret_over_https_is_refused_in_woocommerces_words(fake):
    response = api(fake, auth=(fake.consumer_key, "cs_wrong")).get("/orders")
    assert error(response) == (401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    assert "consumer key in the username field" in response.headers["WWW-Authenticate"]


def test_an_unknown_key_over_https_is_anonymous_and_the_route_refuses_it(fake):
    assert error(api(fake, auth=("ck_nobody", "cs_x")).get("/orders")) == (
        401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    assert error(api(fake, auth=None).post("/products/batch", json={})) == (
        401, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")


def test_basic_auth_over_plain_http_is_not_accepted(fake):
    response = api(fake, HTTP, auth=(fake.consumer_key, fake.consumer_secret)).get("/orders")
    assert error(response)[1] == "woocommerce_rest_cannot_view"


# -- OAuth 1.0a over HTTP -------------------------------------------------------------------------------


def test_oauth_signed_requests_are_accepted_in_the_query_or_the_header(fake):
    assert api(fake, HTTP).get("/orders", params={"per_page": 5, "status": "any"}).status_code == 200
    signed = api(fake, HTTP).build_request("GET", "/orders")
    flow = OAuth1(fake.consumer_key, fake.consumer_secret).auth_flow(signed)
    url = next(flow).url
    params = dict(url.params)
    header = "OAuth " + ", ".join(f'{k}="{v}"' for k, v in params.items())
    bare = url.copy_with(query=None)
    assert api(fake, HTTP, auth=None).get(bare, headers={"Authorization": header}).status_code == 200


@pytest.mark.parametrize(
    ("key", "secret", "message"),
    [
        ("mine", "cs_wrong", "Invalid signature - provided signature does not match."),
        ("ck_nobody", "cs_x", "Consumer key is invalid."),
    ],
)
def test_oauth_refusals(fake, key, secret, message):
    auth = OAuth1(fake.consumer_key if key == "mine" else key, secret)
    assert error(api(fake, HTTP, auth=auth).get("/orders")) == (401, "woocommerce_rest_authentication_error", message)


def test_oauth_timestamp_must_be_within_fifteen_minutes(fake, clock: Clock):
    assert api(fake, HTTP).get("/orders").status_code == 200
    clock.advance(16 * 60)  # the store's clock runs ahead of ours: our timestamp is too old
    assert error(api(fake, HTTP).get("/orders"))[2] == "Invalid timestamp."
    clock.advance(-32 * 60)
    assert error(api(fake, HTTP).get("/orders"))[2] == "Invalid timestamp."


def test_oauth_nonce_cannot_be_used_twice(fake):
    request = api(fake, HTTP).build_request("GET", "/orders")
    url = next(OAuth1(fake.consumer_key, fake.consumer_secret).auth_flow(request)).url
    plain = api(fake, HTTP, auth=None)
    assert plain.get(url).status_code == 200
    assert error(plain.get(url)) == (401, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")


def test_oauth_with_missing_parameters_or_an_unknown_method(fake):
    plain = api(fake, HTTP, auth=None)
    assert error(plain.get("/orders", params={"oauth_consumer_key": fake.consumer_key, "oauth_nonce": "n"})) == (
        401, "woocommerce_rest_authentication_missing_parameter",
        "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method",
    )
    params = {"oauth_consumer_key": fake.consumer_key, "oauth_nonce": "n", "oauth_timestamp": "1",
              "oauth_signature": "x", "oauth_signature_method": "PLAINTEXT"}
    assert error(plain.get("/orders", params=params))[2] == "Invalid signature - signature method is invalid."


def test_a_read_only_key_may_read_but_not_write(fake):
    key, secret = fake.add_key("read")
    client = api(fake, auth=(key, secret))
    assert client.get("/orders").status_code == 200
    assert error(client.post("/orders/batch", json={})) == (
        401, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions.")


# -- paging ---------------------------------------------------------------------------------------------


def test_per_page_is_capped_at_100_with_wordpresss_error(fake):
    body = api(fake).get("/orders", params={"per_page": 101}).json()
    assert body == {
        "code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
        "data": {"status": 400, "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
                 "details": {"per_page": {"code": "rest_out_of_bounds",
                                          "message": "per_page must be between 1 (inclusive) and 100 (inclusive)", "data": None}}},
    }
    assert api(fake).get("/orders", params={"per_page": 0}).status_code == 400
    assert error(api(fake).get("/orders", params={"page": "two"}))[1] == "rest_invalid_param"


def test_paging_headers_and_links(fake):
    fake.seed(orders=250, seed=3)
    everything = [o for o in fake.orders.values() if o["status"] != "trash"]
    first = api(fake).get("/orders", params={"per_page": 100, "orderby": "id", "order": "asc"})
    assert first.headers["X-WP-Total"] == str(len(everything)) and first.headers["X-WP-TotalPages"] == "3"
    assert [o["id"] for o in first.json()] == sorted(o["id"] for o in everything)[:100]
    links = first.headers["Link"]
    assert 'rel="next"' in links and 'rel="prev"' not in links
    next_url = links.split(";")[0].strip("<>")
    assert dict(parse_qsl(urlsplit(next_url).query)) == {"per_page": "100", "orderby": "id", "order": "asc", "page": "2"}
    last = api(fake).get("/orders", params={"per_page": 100, "page": 3})
    assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
    assert len(last.json()) == len(everything) - 200
    assert api(fake).get("/orders", params={"per_page": 100, "page": 4}).json() == []


def test_modified_after_is_exclusive_and_read_in_gmt(fake):
    fake.seed(orders=3, seed=3)
    first, second, third = fake.orders.values()
    first.update(date_modified="2026-01-01T08:00:00", date_modified_gmt="2026-01-01T12:00:00")  # site time is GMT-4
    second.update(date_modified="2026-01-01T06:00:00", date_modified_gmt="2026-01-01T10:00:00")
    third.update(date_modified="2025-12-31T20:00:00", date_modified_gmt="2026-01-01T00:00:00")
    after = {"modified_after": "2026-01-01T07:00:00"}

    def ids(**params: str) -> set[int]:
        return {o["id"] for o in api(fake).get("/orders", params={**after, **params}).json()}

    assert ids(dates_are_gmt="true") == {first["id"], second["id"]}
    assert ids() == {first["id"]}, "without dates_are_gmt the site's own time is compared"
    assert ids(dates_are_gmt="true", modified_after="2026-01-01T10:00:00") == {first["id"]}, "exclusive"


def test_status_filter(fake):
    fake.seed(orders=60, seed=3)
    statuses = Counter(o["status"] for o in api(fake).get("/orders", params={"per_page": 100}).json())
    assert "trash" not in statuses and "checkout-draft" in statuses
    trashed = api(fake).get("/orders", params={"per_page": 100, "status": "trash"}).json()
    assert trashed and {o["status"] for o in trashed} == {"trash"}
    listed = api(fake).get("/orders", params={"status[]": ["completed", "trash"], "per_page": 100}).json()
    assert {o["status"] for o in listed} == {"completed", "trash"}
    assert "trash" not in {o["status"] for o in api(fake).get("/orders", params={"status": "any,trash", "per_page": 100}).json()}
    assert error(api(fake).get("/orders", params={"status": "shipped"}))[:2] == (400, "rest_invalid_param")


# -- batches, errors and state --------------------------------------------------------------------------


def test_batches_hold_at_most_100_objects(fake):
    fake.seed(orders=120, seed=3)
    ids = list(fake.orders)
    too_many = {"update": [{"id": i, "status": "completed"} for i in ids[:60]], "delete": ids[60:101]}
    assert error(api(fake).post("/orders/batch", json=too_many)) == (
        413, "woocommerce_rest_request_entity_too_large", "Unable to accept more than 100 items for this request.")
    ok = api(fake).post("/orders/batch", json={"update": [{"id": i, "status": "completed"} for i in ids[:100]]})
    assert ok.status_code == 200 and len(ok.json()["update"]) == 100


def test_a_batch_answers_each_object_in_order_with_its_own_error(fake):
    fake.seed(orders=3, seed=3)
    known = next(iter(fake.orders))
    body = api(fake).post("/orders/batch", json={"update": [{"id": 1, "status": "completed"}, {"id": known, "status": "completed"}]}).json()
    assert body["update"][0] == {"id": 1, "error": {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}}
    assert body["update"][1]["id"] == known and body["update"][1]["status"] == "completed"


def test_errors_have_woocommerces_shape(fake):
    assert error(api(fake).get("/nothing/here")) == (404, "rest_no_route", "No route was found matching the URL and request method.")
    assert error(api(fake).delete("/orders"))[1] == "rest_no_route"
    assert error(api(fake).get("/orders/424242")) == (404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    assert error(api(fake).get("/orders/424242/notes")) == (404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")


def test_injected_failures_come_in_woocommerces_shape(fake):
    fake.fail_next(429, retry_after=2)
    fake.fail_next(503)
    limited = api(fake).get("/orders")
    assert error(limited)[:2] == (429, "rest_too_many_requests") and limited.headers["Retry-After"] == "2"
    assert error(api(fake).get("/orders"))[:2] == (503, "internal_server_error")


def test_status_change_and_notes(fake):
    fake.seed(orders=8, seed=3)
    oid = next(i for i, o in fake.orders.items() if o["status"] == "processing")
    before = fake.orders[oid]["date_modified_gmt"]
    fake.clock.advance(60)  # type: ignore[attr-defined]
    updated = api(fake).put(f"/orders/{oid}", json={"status": "completed"}).json()
    assert updated["status"] == "completed" and updated["date_completed_gmt"] and updated["date_modified_gmt"] > before
    assert error(api(fake).put(f"/orders/{oid}", json={"status": "shipped"}))[:2] == (400, "rest_invalid_param")
    assert error(api(fake).post(f"/orders/{oid}/notes", json={}))[:2] == (400, "rest_missing_callback_param")
    note = api(fake).post(f"/orders/{oid}/notes", json={"note": "Shipped with UPS, tracking number 1Z9.", "customer_note": True})
    assert note.status_code == 201 and note.json()["customer_note"] is True
    notes = api(fake).get(f"/orders/{oid}/notes").json()
    assert [n["note"] for n in notes] == ["Shipped with UPS, tracking number 1Z9.", "Order status changed from Processing to Completed."]
    assert fake.tracking(str(oid)) == ["1Z9"]


def test_products_found_by_sku_include_variations(fake):
    fake.seed(products=12, seed=3)
    variation = next(iter(fake.variations.values()))
    simple = next(p for p in fake.products.values() if p["type"] == "simple")
    found = api(fake).get("/products", params={"sku": f"{simple['sku']},{variation['sku']}"}).json()
    by_sku = {p["sku"]: p for p in found}
    assert by_sku[variation["sku"]]["type"] == "variation" and by_sku[variation["sku"]]["parent_id"] == variation["parent_id"]
    assert by_sku[simple["sku"]]["type"] == "simple"
    assert {p["type"] for p in api(fake).get("/products", params={"per_page": 100}).json()} == {"simple", "variable"}


def test_stock_is_kept_only_while_managed_and_skus_are_unique(fake):
    fake.seed(products=4, seed=3)
    product = next(p for p in fake.products.values() if p["type"] == "simple")
    unmanaged = api(fake).put(f"/products/{product['id']}", json={"manage_stock": False, "stock_quantity": 9}).json()
    assert (unmanaged["manage_stock"], unmanaged["stock_quantity"]) == (False, None)
    managed = api(fake).put(f"/products/{product['id']}", json={"manage_stock": True, "stock_quantity": 0}).json()
    assert (managed["stock_quantity"], managed["stock_status"]) == (0, "outofstock")
    other = next(s for s in fake.skus() if s != product["sku"])
    clash = api(fake).post("/products", json={"name": "Copy", "sku": other}).json()
    assert clash["code"] == "product_invalid_sku" and clash["message"] == "Invalid or duplicated SKU."


# -- the seeded store -----------------------------------------------------------------------------------


def test_seeded_orders_are_realistic_and_add_up(fake):
    fake.seed(orders=400, products=20, seed=11)
    orders = list(fake.orders.values())
    statuses = Counter(o["status"] for o in orders)
    assert set(statuses) == {*tr.STATUSES}, "every status, trash and checkout drafts included"
    assert {o["customer_id"] == 0 for o in orders} == {True, False}, "guests and registered customers"
    assert {o["prices_include_tax"] for o in orders} == {True, False}
    assert any(o["coupon_lines"] for o in orders) and any(o["fee_lines"] for o in orders)
    assert len({o["shipping_lines"][0]["method_title"] for o in orders}) >= 4
    assert len({o["billing"]["country"] for o in orders}) >= 6 and any(not o["billing"]["first_name"].isascii() for o in orders)
    assert any(m["key"] == "is_vat_exempt" for o in orders for m in o["meta_data"])
    sold = set(fake.skus())
    for raw in orders:
        order = tr.translate_order(raw, tr.STATUSES)
        if order is None:
            continue
        assert {line.sku for line in order.lines} <= sold
        lines = sum(line.unit_price * line.quantity - line.discount for line in order.lines)
        rest = sum(s.price for s in order.shipping_lines) + sum(f.amount for f in order.fees)
        assert lines + rest + (0 if order.taxes_included else order.total_tax) == order.total, raw["id"]
        assert Decimal(raw["total_tax"]) == sum((t.amount for t in order.tax_lines), Decimal(0)), raw["id"]


def test_seeding_is_deterministic(clock):
    stores = [WooCommerceFake(clock=clock) for _ in range(2)]
    for store in stores:
        store.seed(orders=30, products=10, seed=5)
    first, second = ([json.dumps(o, sort_keys=True) for o in s.orders.values()] for s in stores)
    assert first == second and stores[0].skus() == stores[1].skus() and len(stores[0].skus()) == 10


def test_system_status_names_the_store(fake):
    status = api(fake).get("/system_status").json()
    assert status["environment"]["home_url"] == HTTPS and status["settings"]["currency"] == "USD"
