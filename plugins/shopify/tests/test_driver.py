"""The driver against the fake Shopify: reads, pacing, writes, and what a re-run leaves alone."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ecom import AuthError, CartProduct, Connection, StatusUpdate, StockLevel, WebOrderStatus
from ecom.plugins import OPERATIONS, get_driver
from ecom.testing.drivers import drain, fake_connection
from ecom_shopify import api, missing_scopes, queries
from ecom_shopify.fake import ShopifyFake
from ecom_shopify.orders import BulkFile

from .conftest import VirtualClock

driver = get_driver("shopify")


def operations(fake: ShopifyFake, log: list[dict]) -> list[str]:
    return [entry["operation"] for entry in log]


@pytest.fixture
def sent(fake: ShopifyFake, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every GraphQL body the driver sends, recorded on the way into the fake."""
    log: list[dict] = []
    original = fake.graphql

    def recording(body: dict, base_url: str = "") -> dict:
        text = body.get("query") or ""
        log.append({"operation": text.split("(")[0].split("{")[0].split()[-1], **body})
        return original(body, base_url)

    monkeypatch.setattr(fake, "graphql", recording)
    return log


def with_options(connection: Connection, **options: object) -> Connection:
    return dataclasses.replace(connection, options={**connection.options, **options})


def since_middle(fake: ShopifyFake) -> datetime:
    stamps = sorted(o["updatedAt"] for o in fake.store.all("Order"))
    return datetime.fromisoformat(stamps[len(stamps) // 3].replace("Z", "+00:00"))


# -- Test Connection ------------------------------------------------------------------------------


def test_connection_reports_the_shop_and_names_missing_scopes(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, scopes={"read_orders", "write_products"})
    report = driver.call("test_connection", connection=fake_connection(shop), operations=frozenset(OPERATIONS))
    assert report.message == "Connected to ecom demo shop (ecom-demo.myshopify.com), Admin API 2026-07"
    assert report.details["scopes"] == "read_orders, read_products, write_products"
    assert "The access token lacks write_inventory, needed to push inventory." in report.warnings
    assert "The access token lacks read_all_orders, needed to fetch orders." in report.warnings
    assert not any("read_products" in w for w in report.warnings), "write_products grants read_products"


def test_missing_scopes_only_for_enabled_operations() -> None:
    assert missing_scopes({"read_orders", "read_all_orders"}, frozenset({"fetch_orders"})) == []
    assert missing_scopes(set(), frozenset({"push_status"})) == [
        "The access token lacks write_orders, needed to push status.",
        "The access token lacks write_merchant_managed_fulfillment_orders, needed to push status.",
    ]


def test_refused_token_is_an_auth_error_without_the_token(fake: ShopifyFake) -> None:
    bad = fake_connection(fake, valid=False)
    with pytest.raises(AuthError) as refused:
        driver.call("test_connection", connection=bad, operations=frozenset())
    assert "Invalid API key or access token" in str(refused.value) and refused.value.status == 401
    assert bad.password.get_secret_value() not in str(refused.value)


def test_a_missing_scope_at_read_time_is_an_auth_error(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, scopes={"read_products"})
    with pytest.raises(AuthError, match="read_orders"):
        drain(driver.call("fetch_orders", connection=fake_connection(shop), since=datetime(2026, 1, 1, tzinfo=UTC)))


# -- fetching orders ------------------------------------------------------------------------------


def test_incremental_fetch_pages_sorted_within_the_cost_limit(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    mark = since_middle(fake)
    fetched = drain(driver.call("fetch_orders", connection=connection, since=mark))
    expected = sorted((o["updatedAt"], o["id"]) for o in fake.store.all("Order") if o["updatedAt"] >= mark.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [(o.raw["updatedAt"], o.external_id) for o in fetched.records] == expected
    assert fetched.failures == [] and fetched.pages > 1
    assert operations(fake, sent)[0] == "OrdersCount" and set(operations(fake, sent)[1:]) == {"Orders"}
    firsts = [entry["variables"]["first"] for entry in sent[1:]]
    assert all(f * 187 + 2 <= 1000 for f in firsts), f"a page asked for more than the cost limit: {firsts}"
    assert all("query" in entry["variables"] and entry["variables"]["query"].startswith("updated_at:>=") for entry in sent[1:])


def test_page_size_shrinks_when_shopify_says_max_cost_exceeded(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    fetched = drain(driver.call("fetch_orders", connection=with_options(connection, page_size=40), since=since_middle(fake)))
    firsts = [entry["variables"]["first"] for entry in sent if entry["operation"] == "Orders"]
    assert firsts[:4] == [40, 20, 10, 5], "halved on MAX_COST_EXCEEDED until it fits"
    assert len(fetched.records) == len({o.external_id for o in fetched.records}) > 0


def test_orders_with_more_lines_than_a_page_are_completed(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    fetched = drain(driver.call("fetch_orders", connection=with_options(connection, line_page_size=1), since=since_middle(fake)))
    assert "OrderLines" in operations(fake, sent)
    for order in fetched.records:
        assert len(order.lines) == len(fake.order(order.external_id)["lineItems"])


def test_first_sync_uses_a_bulk_operation(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    fetched = drain(driver.call("fetch_orders", connection=connection, since=None))
    assert operations(fake, sent) == ["BulkRun", "BulkStatus"]
    assert sent[0]["variables"]["query"].lstrip().startswith("{\n  orders(sortKey: UPDATED_AT)")
    assert len(fetched.records) == 60 and fetched.pages == 1
    assert [o.updated_at for o in fetched.records] == sorted(o.updated_at for o in fetched.records)
    for order in fetched.records:
        assert len(order.lines) == len(fake.order(order.external_id)["lineItems"])
        assert len(order.shipping_lines) == 1
    assert fake.writes() == []


def test_large_incremental_pull_switches_to_bulk(fake: ShopifyFake, connection: Connection, sent: list[dict], clock: VirtualClock) -> None:
    fake.bulk_polls = 3
    fetched = drain(driver.call("fetch_orders", connection=with_options(connection, bulk_threshold=10, bulk_page_size=15),
                                since=since_middle(fake)))
    assert operations(fake, sent) == ["OrdersCount", "BulkRun", "BulkStatus", "BulkStatus", "BulkStatus"]
    assert clock.waits == [1.0, 2.0], "polls back off"
    assert fetched.pages == -(-len(fetched.records) // 15) and len(fetched.records) > 15


def test_bulk_with_nothing_to_read_yields_nothing(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock)
    assert drain(driver.call("fetch_orders", connection=fake_connection(shop), since=None)).records == []


def bulk_file(text: bytes, chunk: int) -> tuple[BulkFile, str | None]:
    """A BulkFile written as a download writes it, ``chunk`` bytes at a time."""
    result = BulkFile(io.BytesIO())
    for start in range(0, len(text), chunk):
        result.write(text[start : start + chunk])
    return result, result.finish()


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_a_bulk_file_puts_children_back_whatever_the_order_and_however_the_bytes_arrive(chunk: int) -> None:
    lines = [
        {"__typename": "LineItem", "id": "l2", "__parentId": "o2"},
        {"id": "o2", "updatedAt": "2026-01-02T00:00:00Z", "note": "line\nbreak é"},
        {"__typename": "ShippingLine", "id": "s1", "__parentId": "o1"},
        {"__typename": "LineItem", "id": "l1", "__parentId": "o1"},
        {"__typename": "LineItem", "id": "l3", "__parentId": "o2"},
        {"id": "o1", "updatedAt": "2026-01-01T00:00:00Z"},
    ]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    result, fault = bulk_file(text.rstrip(b"\n"), chunk)  # the last line may come without its newline
    assert fault is None
    orders = list(result.orders())
    assert [o["id"] for o in orders] == ["o1", "o2"]
    assert orders[0]["lineItems"]["nodes"] == [{"__typename": "LineItem", "id": "l1"}]
    assert orders[0]["shippingLines"]["nodes"] == [{"__typename": "ShippingLine", "id": "s1"}]
    assert [n["id"] for n in orders[1]["lineItems"]["nodes"]] == ["l2", "l3"] and orders[1]["shippingLines"]["nodes"] == []
    assert orders[1]["note"] == "line\nbreak é"


@pytest.mark.parametrize(("text", "fault"), [
    (b'{"id": "o1", "updatedAt": "2026-01-01T00:00:00Z"}\n{"id": "o2", "upda', "line 2 is not JSON, the file may be cut off"),
    (b"<html><body>Service Unavailable</body></html>\n", "line 1 is not JSON"),
    (b'{"id": "o1"}\n\n[1, 2]\n', "line 3 is not a JSON object"),
])
def test_a_bulk_file_cut_off_or_not_jsonl_says_which_line(text: bytes, fault: str) -> None:
    found = bulk_file(text, 5)[1]
    assert found is not None and found.startswith(fault), found


def test_a_bulk_file_written_again_from_the_start_forgets_the_first_attempt() -> None:
    result = BulkFile(io.BytesIO())
    result.write(b'{"id": "o9", "updatedAt": "2026-01-09T00:00:00Z"}\n{"id": "o1", "upd')  # a download cut off
    assert result.finish() is not None
    result.seek(0)
    result.truncate()
    result.write(b'{"id": "o1", "updatedAt": "2026-01-01T00:00:00Z"}\n')
    assert result.finish() is None
    assert [o["id"] for o in result.orders()] == ["o1"]


def test_pacing_under_the_standard_plan_never_throttles(clock: VirtualClock) -> None:
    shop = ShopifyFake(clock=clock, bucket=2000, restore_rate=100)
    shop.seed(orders=80, products=20, seed=5)
    fetched = drain(driver.call("fetch_orders", connection=fake_connection(shop), since=datetime(2026, 1, 1, tzinfo=UTC)))
    assert len(fetched.records) == 80
    assert clock.waits, "the bucket ran low: the driver must have waited"
    assert all(r.status == 200 for r in shop.requests)
    assert shop.bucket.available >= 0


def test_throttled_answer_is_retried_after_the_restore_time(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = ShopifyFake(clock=clock, bucket=1000, restore_rate=50)
    shop.seed(orders=5, seed=5)
    monkeypatch.setattr(api.CostPacer, "wait", lambda self: 0.0)  # a pacer that forgot to wait
    shop.bucket.take(900)
    fetched = drain(driver.call("fetch_orders", connection=fake_connection(shop), since=datetime(2026, 1, 1, tzinfo=UTC)))
    assert len(fetched.records) == 5
    assert len(clock.waits) >= 1 and all(w > 0 for w in clock.waits)


# -- pushing status -------------------------------------------------------------------------------


def open_order(fake: ShopifyFake, skip: int = 0) -> dict:
    found = [o for o in fake.store.all("Order") if not o["closed"] and not o["cancelledAt"]
             and any(fo["status"] == "OPEN" for fo in o["fulfillmentOrders"])]
    return found[skip]


def test_shipped_fulfils_with_tracking_once(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    order = open_order(fake)
    update = StatusUpdate(order_id=order["id"], kind="shipped", tracking_number="1Z999", carrier="UPS",
                          tracking_url="https://ups.example/1Z999")
    [result] = driver.call("push_status", connection=connection, updates=[update])
    assert result.ok and result.action == "updated" and result.external_id.startswith("gid://shopify/Fulfillment/")
    assert fake.tracking(order["id"]) == ["1Z999"] and order["displayFulfillmentStatus"] == "FULFILLED"
    tracking = order["fulfillments"][-1]["trackingInfo"][0]
    assert (tracking["company"], tracking["url"]) == ("UPS", "https://ups.example/1Z999")
    writes = len(fake.writes())
    [again] = driver.call("push_status", connection=connection, updates=[update])
    assert again.ok and again.action == "unchanged" and len(fake.writes()) == writes


def test_close_cancel_and_tag_with_a_result_per_order(fake: ShopifyFake, connection: Connection, clock: VirtualClock) -> None:
    to_close, to_cancel, to_tag = open_order(fake, 0), open_order(fake, 1), open_order(fake, 2)
    updates = [
        StatusUpdate(order_id=to_close["id"], kind="closed"),
        StatusUpdate(order_id=to_cancel["id"], kind="voided"),
        StatusUpdate(order_id=to_tag["legacyResourceId"], kind="cart_status", cart_status="imported"),
        StatusUpdate(order_id="gid://shopify/Order/1", kind="closed"),
        StatusUpdate(order_id="not-an-id", kind="closed"),
    ]
    results = driver.call("push_status", connection=connection, updates=updates)
    assert [r.ref for r in results] == [u.order_id for u in updates]
    assert [r.ok for r in results] == [True, True, True, False, False]
    assert "no order" in results[3].message
    assert to_close["closed"] and to_cancel["cancelledAt"] and "imported" in to_tag["tags"]
    assert clock.waits == [0.5, 1.0], "the cancellation job (done at its second poll) was polled until done"
    writes = len(fake.writes())
    again = driver.call("push_status", connection=connection, updates=updates[:3])
    assert [r.action for r in again] == ["unchanged"] * 3 and len(fake.writes()) == writes


def test_a_tag_is_not_added_to_an_order_whose_last_change_cannot_be_read(fake: ShopifyFake, connection: Connection) -> None:
    garbled, readable = open_order(fake, 0), open_order(fake, 1)
    garbled["updatedAt"] = "not a time"  # a cart's nonsense: whether the merchant changed it since is unknown
    imported = datetime(2100, 1, 1, tzinfo=UTC)
    updates = [StatusUpdate(order_id=o["id"], kind="cart_status", cart_status="imported", unchanged_since=imported)
               for o in (garbled, readable)]
    results = driver.call("push_status", connection=connection, updates=updates)
    assert [(r.ok, r.action) for r in results] == [(True, "unchanged"), (True, "updated")]
    assert "cannot be read" in results[0].message
    assert "imported" not in (garbled.get("tags") or []) and "imported" in readable["tags"]


def test_a_refused_fulfilment_is_that_orders_error_in_shopifys_words(fake: ShopifyFake, connection: Connection) -> None:
    order = open_order(fake)
    order["fulfillmentOrders"][0]["assignedLocation"]["location"] = {"id": "gid://shopify/Location/elsewhere"}
    order["fulfillmentOrders"].append({**order["fulfillmentOrders"][0], "id": "gid://shopify/FulfillmentOrder/404"})
    [result] = driver.call("push_status", connection=connection, updates=[StatusUpdate(order_id=order["id"], kind="shipped")])
    assert not result.ok and result.message == "fulfillment.lineItemsByFulfillmentOrder.1.fulfillmentOrderId: Fulfillment order does not exist."


def test_cancel_job_still_running_is_reported(fake: ShopifyFake, connection: Connection) -> None:
    fake.job_polls = 50
    order = open_order(fake)
    [result] = driver.call("push_status", connection=with_options(connection, cancel_polls=2),
                           updates=[StatusUpdate(order_id=order["id"], kind="voided")])
    assert result.ok and "still running" in result.message and order["cancelledAt"] is None


# -- pushing inventory ----------------------------------------------------------------------------


def tracked(fake: ShopifyFake, count: int) -> list[str]:
    return [s for s in fake.skus() if fake.stock(s) is not None][:count]


def test_inventory_goes_in_batches_with_one_key_each_and_null_change_from(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    skus = tracked(fake, 7)
    levels = [StockLevel(sku=s, quantity=100 + i) for i, s in enumerate(skus)]
    results = driver.call("push_inventory", connection=with_options(connection, inventory_batch=3), levels=levels)
    assert all(r.ok for r in results) and [fake.stock(s) for s in skus] == [100 + i for i in range(7)]
    batches = [entry for entry in sent if entry["operation"] == "SetQuantities"]
    assert [len(b["variables"]["input"]["quantities"]) for b in batches] == [3, 3, 1]
    assert len({b["variables"]["key"] for b in batches}) == 3
    assert all(q["changeFromQuantity"] is None and "changeFromQuantity" in q for b in batches for q in b["variables"]["input"]["quantities"])
    assert operations(fake, sent)[:2] == ["VariantsBySku", "Locations"]
    sent.clear()
    driver.call("push_inventory", connection=connection, levels=levels[:2])
    assert operations(fake, sent) == ["SetQuantities"], "SKUs and locations are resolved once and cached in refs"


def test_inventory_goes_to_the_location_named_by_name_or_id(fake: ShopifyFake, connection: Connection) -> None:
    sku = tracked(fake, 1)[0]
    east = next(loc for loc in fake.store.locations if loc["name"] == "East Warehouse")
    by_name, unknown = driver.call("push_inventory", connection=connection, levels=[
        StockLevel(sku=sku, quantity=321, location="East Warehouse"), StockLevel(sku=sku, quantity=1, location="Nowhere")])  # fmt: skip
    assert by_name.ok and fake.stock(sku, "East Warehouse") == 321
    (by_id,) = driver.call("push_inventory", connection=connection, levels=[StockLevel(sku=sku, quantity=7, location=east["id"])])
    assert by_id.ok and fake.stock(sku, "East Warehouse") == 7
    assert not unknown.ok and unknown.message == "Shopify has no location named 'Nowhere'"


def test_the_retired_locations_option_no_longer_maps_a_second_time(fake: ShopifyFake, connection: Connection) -> None:
    sku = tracked(fake, 1)[0]
    stale = with_options(connection, locations={"East Warehouse": "Nowhere"})
    (result,) = driver.call("push_inventory", connection=stale, levels=[StockLevel(sku=sku, quantity=55, location="East Warehouse")])
    assert result.ok and fake.stock(sku, "East Warehouse") == 55


def test_a_refused_quantity_fails_alone_and_the_rest_is_sent_again(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    skus = tracked(fake, 3)
    connection.refs.set("inventory_item", "GONE", "gid://shopify/InventoryItem/1")
    levels = [StockLevel(sku=skus[0], quantity=11), StockLevel(sku="GONE", quantity=1), StockLevel(sku=skus[1], quantity=12)]
    results = driver.call("push_inventory", connection=connection, levels=levels)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].message == "The specified inventory item could not be found."
    assert connection.refs.get("inventory_item", "GONE") is None, "a stale cached id is forgotten"
    assert (fake.stock(skus[0]), fake.stock(skus[1])) == (11, 12)
    assert operations(fake, sent).count("SetQuantities") == 2


# -- products -------------------------------------------------------------------------------------


def test_upsert_creates_then_updates_the_variant_only(fake: ShopifyFake, connection: Connection) -> None:
    new = CartProduct(sku="NEW-1", name="New Thing", price="9.99", weight="1.5", weight_unit="lb")
    [created] = driver.call("upsert_products", connection=connection, products=[new])
    assert created.ok and created.action == "created"
    multi = next(p for p in fake.store.all("Product") if len(p["variants"]) > 1)
    sku = multi["variants"][1]["sku"]
    [updated] = driver.call("upsert_products", connection=connection, products=[
        CartProduct(sku=sku, name=multi["title"], price="99.00", active=True)])
    assert updated.ok and updated.action == "updated" and updated.external_id == multi["variants"][1]["id"]
    assert [v["price"] for v in multi["variants"]][1] == "99.00" and len(multi["variants"]) > 1
    seen = fake.product("NEW-1")
    assert (seen.price, seen.weight, seen.weight_unit) == (Decimal("9.99"), Decimal("1.5"), "lb")


def test_upsert_failure_is_the_products_own(fake: ShopifyFake, connection: Connection) -> None:
    [result] = driver.call("upsert_products", connection=connection, products=[CartProduct(sku="X-1", name="  ")])
    assert not result.ok and result.ref == "X-1" and "Title can't be blank" in result.message


def test_fetch_products_reads_every_variant(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    fetched = drain(driver.call("fetch_products", connection=connection, since=None))
    assert sorted(p.sku for p in fetched.records) == fake.skus()
    assert fetched.failures == [] and fetched.pages >= 1
    product = fake.store.all("Product")[0]
    for _ in range(30):
        fake.store.add_variant(product, sku=None, title="extra")
    fetched = drain(driver.call("fetch_products", connection=connection, since=None))
    assert "ProductVariants" in operations(fake, sent)
    assert sum(1 for p in fetched.records if p.parent_id == product["id"]) == len(product["variants"])


def test_fetch_products_fits_the_query_cost_limit_the_first_time(fake: ShopifyFake, connection: Connection) -> None:
    answer, refused = fake.graphql, []

    def watched(body: dict, base_url: str = "") -> dict:
        result = answer(body, base_url)
        refused.extend(e for e in result.get("errors", []) if e.get("extensions", {}).get("code") == "MAX_COST_EXCEEDED")
        return result

    fake.graphql = watched  # type: ignore[method-assign]
    fetched = drain(driver.call("fetch_products", connection=connection, since=None))
    assert sorted(p.sku for p in fetched.records) == fake.skus()
    assert refused == []


def test_fetched_statuses_cover_the_table(fake: ShopifyFake, connection: Connection) -> None:
    fake.seed(orders=200, seed=11)
    statuses = {o.status for o in drain(driver.call("fetch_orders", connection=connection, since=None)).records}
    assert statuses == set(WebOrderStatus)


def test_documents_sent_are_the_declared_ones(fake: ShopifyFake, connection: Connection, sent: list[dict]) -> None:
    drain(driver.call("fetch_orders", connection=connection, since=since_middle(fake)))
    declared = set(queries.DOCUMENTS.values())
    assert all(entry["query"] in declared for entry in sent)
