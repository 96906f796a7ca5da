"""The driver's operations against the fake store: requests made, results per record, errors."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from ecom.errors import AuthError, ConfigError, RetryableError
from ecom.plugins import get_driver
from ecom.records import CartProduct, Page, StatusUpdate, StockLevel, WebOrderStatus
from ecom.testing.drivers import drain

from ecom_woocommerce import driver
from ecom_woocommerce.fake import WooCommerceFake, WooError

from .conftest import HERE, wired


def reads(fake: WooCommerceFake, path: str = "/wp-json/wc/v3/orders") -> list[dict[str, str]]:
    return [dict(parse_qsl(r.query)) for r in fake.requests if r.path == path and r.method == "GET"]


# -- describing the cart --------------------------------------------------------------------------------


def test_describe_cart_names_the_cart_and_its_fields():
    info = get_driver("woocommerce").info
    assert (info.kind, info.title) == ("woocommerce", "WooCommerce")
    assert "consumer key (ck_" in info.fields.username and "consumer secret (cs_" in info.fields.password
    assert info.statuses["trash"] == "archived" and info.statuses["checkout-draft"] == "not imported"


def test_the_readme_documents_the_status_table():
    readme = (HERE.parent / "README.md").read_text()
    for status, target in driver.describe_cart().statuses.items():
        shown = target.label if isinstance(target, WebOrderStatus) else target
        assert f"| `{status}`" in readme and shown in readme.split(f"| `{status}`", 1)[1].split("\n", 1)[0], status


# -- Test Connection ---------------------------------------------------------------------------------------


def test_connection_reports_the_store(fake, https, loopback):
    fake.seed(orders=12, seed=1)
    for connection, how in ((https, "HTTP Basic over HTTPS"), (loopback, "OAuth 1.0a (HMAC-SHA256) over HTTP")):
        report = driver.test_connection(connection=connection, operations=frozenset({"fetch_orders"}))
        listed = str(sum(o["status"] != "trash" for o in fake.orders.values()))
        assert report.message == f"Connected to Fake WooCommerce: WooCommerce lists {listed} orders."
        assert report.details == {"orders": listed, "authentication": how} and report.warnings == []
    assert fake.writes() == [], "reading only: no write probe"


def test_connection_refused_in_woocommerces_words(fake, https, loopback):
    for connection, words in ((https, "Consumer secret is invalid."), (loopback, "Invalid signature - provided signature does not match.")):
        bad = dataclasses.replace(connection, password=type(connection.password)("cs_wrong"))
        with pytest.raises(AuthError, match=words) as refused:
            driver.test_connection(connection=bad, operations=frozenset())
        assert refused.value.status == 401 and "cs_wrong" not in str(refused.value)


def test_connection_warns_when_the_key_cannot_write(fake):
    key, secret = fake.add_key("read")
    connection = dataclasses.replace(wired(fake, "https://shop.example.com"), username=key,
                                     password=type(wired(fake, "https://x").password)(secret))
    report = driver.test_connection(connection=connection, operations=frozenset({"fetch_orders", "push_inventory"}))
    assert report.warnings == [
        "This key cannot write (push_inventory will fail): The API key provided does not have write permissions. "
        "(HTTP 401 on POST /products/batch)"
    ]
    assert [r.path for r in fake.requests if r.method == "POST"] == ["/wp-json/wc/v3/products/batch"]


def test_connection_to_plain_http_elsewhere_is_refused_before_any_request(fake):
    connection = dataclasses.replace(wired(fake, "http://shop.example.com"), options={})
    with pytest.raises(ConfigError, match="plain HTTP"):
        driver.test_connection(connection=connection, operations=frozenset())
    assert fake.requests == []


# -- reading orders ------------------------------------------------------------------------------------------


def test_fetch_orders_reads_by_id_in_pages_that_overlap_by_one_then_reads_the_trash(fake, https):
    fake.seed(orders=430, seed=1)
    fetched = drain(driver.fetch_orders(connection=https, since=None))
    trashed = sum(o["status"] == "trash" for o in fake.orders.values())
    drafts = sum(o["status"] == "checkout-draft" for o in fake.orders.values())
    assert len(fetched.records) == 430 and fetched.failures == [] and drafts == 8, "checkout drafts are skipped"
    assert sum(o.archived for o in fetched.records) == trashed
    listed, offsets = len(fake.orders) - trashed, [0]
    while offsets[-1] + 100 <= listed:  # a full page: the next one starts at its last order
        offsets.append(offsets[-1] + 99)
    sent = reads(fake)
    assert [(q["offset"], q.get("status")) for q in sent] == [(str(o), None) for o in offsets] + [("0", "trash")]
    assert {(q["per_page"], q["orderby"], q["order"]) for q in sent} == {("100", "id", "asc")}
    ids = [int(o.external_id) for o in fetched.records if not o.archived]
    assert ids == sorted(set(ids)), "each order once, by id: an edit during the read cannot move one"


def test_fetch_orders_since_a_watermark_asks_in_gmt_and_includes_that_second(fake, loopback):
    fake.seed(orders=50, seed=1)
    since = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    list(driver.fetch_orders(connection=loopback, since=since))
    assert {(q["modified_after"], q["dates_are_gmt"]) for q in reads(fake)} == {("2026-03-01T10:00:04", "true")}


def test_an_order_that_cannot_be_translated_is_a_failure_and_the_rest_come(fake, https):
    fake.seed(orders=20, seed=1)
    broken = next(o for o in fake.orders.values() if o["status"] == "processing")
    broken["status"] = "awaiting-shipment"
    fake.register_status("awaiting-shipment")
    fetched = drain(driver.fetch_orders(connection=https, since=None))
    assert len(fetched.records) == 19 and [f.ref for f in fetched.failures] == [broken["number"]]
    assert "awaiting-shipment" in fetched.failures[0].message and "status_map" in fetched.failures[0].message
    mapped = dataclasses.replace(https, options={"status_map": {"awaiting-shipment": "Approved"}})
    again = drain(driver.fetch_orders(connection=mapped, since=None))
    assert again.failures == [] and {o.status for o in again.records if o.number == broken["number"]} == {WebOrderStatus.APPROVED}


def test_fetch_orders_is_a_generator_of_pages(fake, https):
    fake.seed(orders=250, seed=1)
    pages = driver.fetch_orders(connection=https, since=None)
    first = next(pages)
    assert isinstance(first, Page) and 90 < len(first.records) <= 100 and len(reads(fake)) == 1, "one page read at a time"
    pages.close()


# -- reading products -------------------------------------------------------------------------------------------


def test_fetch_products_gives_one_record_per_sellable_sku(fake, https):
    fake.seed(products=30, seed=1)
    fetched = drain(driver.fetch_products(connection=https, since=None))
    assert sorted(p.sku for p in fetched.records) == fake.skus() and fetched.failures == []
    for product in fetched.records:
        assert product == fake.product(product.sku).model_copy(update={"raw": product.raw}), product.sku
    variable = [p for p in fake.products.values() if p["type"] == "variable"]
    assert len(reads(fake, "/wp-json/wc/v3/products")) == 1 and len(fake.requests) == 1 + len(variable)


# -- pushing status ------------------------------------------------------------------------------------------------


def test_push_status_sets_statuses_in_one_batch_and_notes_the_tracking(fake, https):
    fake.seed(orders=30, seed=1)
    ids = [str(i) for i, o in fake.orders.items() if o["status"] in ("processing", "on-hold", "pending")][:4]
    updates = [
        StatusUpdate(order_id=ids[0], kind="shipped", carrier="DHL", tracking_number="00340434161094042557"),
        StatusUpdate(order_id=ids[1], kind="voided"), StatusUpdate(order_id=ids[2], kind="closed"),
        StatusUpdate(order_id=ids[3], kind="cart_status", cart_status="wc-on-hold"),
        StatusUpdate(order_id="424242", kind="closed"), StatusUpdate(order_id="#1001", kind="closed"),
        StatusUpdate(order_id=ids[0], kind="cart_status"),
    ]
    results = driver.push_status(connection=https, updates=updates, progress=None)
    assert [r.ref for r in results] == [u.order_id for u in updates]
    assert [r.ok for r in results] == [True, True, True, True, False, False, False]
    assert [fake.orders[int(i)]["status"] for i in ids] == ["completed", "cancelled", "completed", "on-hold"]
    assert results[4].message == "Invalid ID." and "not a WooCommerce order id" in results[5].message
    assert fake.tracking(ids[0]) == ["00340434161094042557"]
    note = fake.notes[int(ids[0])][-1]
    assert note["note"] == "Shipped with DHL, tracking number 00340434161094042557." and note["customer_note"] is True
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.writes()] == [("POST", "batch"), ("POST", "notes")]


def test_a_failed_tracking_note_fails_that_order_only_and_is_not_sent_twice(fake, https, monkeypatch):
    fake.seed(orders=10, seed=1)
    oid = next(str(i) for i, o in fake.orders.items() if o["status"] == "processing")

    def broken(*args: object) -> None:
        raise WooError(500, "internal_server_error", "<p>There has been a critical error on this website.</p>")

    monkeypatch.setattr(fake, "_add_note", broken)
    [result] = driver.push_status(connection=https, updates=[StatusUpdate(order_id=oid, kind="shipped", tracking_number="1Z")], progress=None)
    assert not result.ok and result.retryable
    assert result.message.startswith("Status set to completed, but the tracking note failed")
    assert "critical error" in result.message and fake.orders[int(oid)]["status"] == "completed"
    assert [r.status for r in fake.requests if r.path.endswith("/notes")] == [500], "a note is never posted twice"


# -- pushing inventory -----------------------------------------------------------------------------------------


def test_push_inventory_resolves_skus_once_and_batches_by_parent(fake, https):
    fake.seed(products=250, seed=1)
    skus = fake.skus()
    parents = {v["parent_id"] for v in fake.variations.values()}
    simple = len(skus) - len(fake.variations)
    levels = [StockLevel(sku=s, quantity=n % 17) for n, s in enumerate(skus)]
    results = driver.push_inventory(connection=https, levels=levels)
    assert all(r.ok for r in results) and [r.ref for r in results] == skus
    assert {s: fake.stock(s) for s in skus} == {lv.sku: lv.quantity for lv in levels}
    lookups = reads(fake, "/wp-json/wc/v3/products")
    assert len(lookups) == 3 and all(len(q["sku"].split(",")) <= 100 for q in lookups)
    writes = fake.writes()
    assert len(writes) == -(-simple // 100) + len(parents), "one batch per 100 simple products, one per variable product"
    fake.requests.clear()
    driver.push_inventory(connection=https, levels=levels[:5])
    assert [r.method for r in fake.requests] == ["POST"] * len({r.path for r in fake.requests}), "ids come from the cache"


def test_more_than_100_variations_of_one_product_are_split(fake, https):
    fake.seed(products=3, seed=1)
    parent = next(p for p in fake.products.values() if p["type"] == "variable")
    for n in range(150):
        fake._save_variation(parent["id"], None, {"sku": f"BIG-{n:03}", "manage_stock": True, "stock_quantity": 1})
    results = driver.push_inventory(connection=https, levels=[StockLevel(sku=f"BIG-{n:03}", quantity=2) for n in range(150)])
    assert all(r.ok for r in results)
    assert [r.path for r in fake.writes()] == [f"/wp-json/wc/v3/products/{parent['id']}/variations/batch"] * 2


def test_unknown_skus_and_locations_fail_alone(fake, https):
    fake.seed(products=5, seed=1)
    sku = fake.skus()[0]
    levels = [StockLevel(sku="NOPE", quantity=1), StockLevel(sku=sku, quantity=4, location="warehouse-2"), StockLevel(sku=sku, quantity=4)]
    nope, located, ok = driver.push_inventory(connection=https, levels=levels)
    assert (nope.ok, located.ok, ok.ok) == (False, False, True)
    assert nope.message == "No product or variation in WooCommerce has this SKU."
    assert "no location 'warehouse-2'" in located.message and fake.stock(sku) == 4


def test_a_cached_id_woocommerce_no_longer_knows_is_resolved_again(fake, https):
    fake.seed(products=6, seed=1)
    sku = next(p["sku"] for p in fake.products.values() if p["type"] == "simple")
    driver.push_inventory(connection=https, levels=[StockLevel(sku=sku, quantity=1)])
    old = next(i for i, p in fake.products.items() if p["sku"] == sku)
    product = fake.products.pop(old)  # deleted and created again: a new id
    product["id"] = fake.next_id()
    fake.products[product["id"]] = product
    [result] = driver.push_inventory(connection=https, levels=[StockLevel(sku=sku, quantity=9)])
    assert result.ok and result.external_id == str(product["id"]) and fake.stock(sku) == 9
    assert https.refs.get(driver.REF, sku) == str(product["id"])


def test_a_whole_batch_refused_fails_each_of_its_records(fake, https):
    fake.seed(products=3, seed=1)  # a simple product and a variable one with two variations
    fake.batch_limit = 1  # a store filtering woocommerce_rest_batch_items_limit down to 1
    results = {r.ref: r for r in driver.push_inventory(connection=https, levels=[StockLevel(sku=s, quantity=1) for s in fake.skus()])}
    simple = next(p for p in fake.products.values() if p["type"] == "simple")
    parent = next(p for p in fake.products.values() if p["type"] == "variable")
    assert results.pop(simple["sku"]).ok
    words = f"Unable to accept more than 1 items for this request. (HTTP 413 on POST /products/{parent['id']}/variations/batch)"
    assert [(r.ok, r.message) for r in results.values()] == [(False, words)] * 2


# -- exporting products ------------------------------------------------------------------------------------------


def test_upsert_products_creates_simple_products_and_variations_then_updates(fake, https):
    fake.seed(products=8, seed=1)
    parent = next(p for p in fake.products.values() if p["type"] == "variable")
    taken = fake.skus()[0]
    products = [
        CartProduct(sku="NEW-1", name="Desk Lamp", price=Decimal("49.00"), weight=Decimal("2.2"), weight_unit="lb"),
        CartProduct(sku="NEW-VAR", name="Ignored for a variation", parent_id=str(parent["id"]), price=Decimal("30")),
        CartProduct(sku=taken, name="Renamed", price=Decimal("1.00")),
        CartProduct(sku=None, name="No SKU", price=Decimal("1.00")),
    ]
    results = driver.upsert_products(connection=https, products=products)
    assert [(r.ref, r.ok, r.action) for r in results] == [
        ("NEW-1", True, "created"), ("NEW-VAR", True, "created"), (taken, True, "updated"), ("No SKU", True, "created")]
    lamp = fake.product("NEW-1")
    assert (lamp.name, lamp.price, lamp.weight) == ("Desk Lamp", Decimal("49.00"), Decimal("0.998"))
    assert fake.product("NEW-VAR").parent_id == str(parent["id"]) and fake.product(taken).price == Decimal("1.00")
    clash = CartProduct(sku="NEW-2", name="Clash", external_id=results[0].external_id)
    [renamed] = driver.upsert_products(connection=https, products=[clash.model_copy(update={"sku": "NEW-VAR"})])
    assert not renamed.ok and renamed.message.startswith("Invalid or duplicated SKU.")


def test_upsert_by_a_stale_external_id_falls_back_to_the_sku(fake, https):
    fake.seed(products=4, seed=1)
    sku = next(p["sku"] for p in fake.products.values() if p["type"] == "simple")
    [result] = driver.upsert_products(connection=https, products=[CartProduct(sku=sku, name="Back", external_id="999999")])
    assert result.ok and result.action == "updated" and fake.product(sku).name == "Back"


# -- retries, secrets, a real socket ----------------------------------------------------------------------------


def test_a_store_that_keeps_failing_raises_retryable_error_in_its_words(fake, https, no_sleeping):
    fake.seed(orders=3, seed=1)
    fake.fail_next(500, times=10)
    with pytest.raises(RetryableError, match="There has been a critical error on this website") as gave_up:
        drain(driver.fetch_orders(connection=https, since=None))
    assert gave_up.value.status == 500 and len(no_sleeping) == 4


def test_secrets_stay_out_of_logs_over_oauth(fake, loopback, caplog):
    caplog.set_level(logging.DEBUG)
    fake.seed(orders=5, seed=1)
    drain(driver.fetch_orders(connection=loopback, since=None))
    assert "oauth_signature=" in caplog.text and fake.consumer_secret not in caplog.text
    assert fake.consumer_key not in caplog.text, "the consumer key is half the credential: redacted too"


def test_over_a_real_loopback_socket_with_oauth(clock):
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=120, products=10, seed=1)
    with fake.serve() as url:
        connection = fake.connection(url)
        assert connection.options == {}, "loopback needs no allow_http"
        fetched = drain(driver.fetch_orders(connection=connection, since=datetime.now(UTC) - timedelta(days=400)))
        assert len(fetched.records) == 120
        [result] = driver.push_inventory(connection=connection, levels=[StockLevel(sku=fake.skus()[0], quantity=3)])
        assert result.ok and fake.stock(fake.skus()[0]) == 3


def test_query_string_keys_for_servers_that_drop_the_authorization_header(fake, https, caplog):
    caplog.set_level(logging.DEBUG)
    fake.seed(orders=3, seed=1)
    report = driver.test_connection(connection=dataclasses.replace(https, options={"query_string_auth": True}), operations=frozenset())
    assert report.details["authentication"] == "keys in the query string over HTTPS"
    assert "consumer_secret=" in fake.requests[-1].query and fake.consumer_secret not in caplog.text


def test_an_unrecognised_key_over_https_suggests_query_string_keys(fake, https):
    stranger = dataclasses.replace(https, username="ck_" + "1" * 40)
    with pytest.raises(AuthError, match=r"Sorry, you cannot list resources\..*query_string_auth option") as refused:
        driver.test_connection(connection=stranger, operations=frozenset())
    assert refused.value.status == 401


def test_an_order_whose_last_change_cannot_be_read_keeps_its_status_and_the_others_are_set(fake, https):
    fake.seed(orders=30, seed=1)
    ids = [str(i) for i, o in fake.orders.items() if o["status"] in ("processing", "pending")][:2]
    imported = datetime(2000, 1, 1, tzinfo=UTC)  # both changed in the store long after: only the unreadable one is in doubt
    before = fake.orders[int(ids[0])]["status"]
    fake.orders[int(ids[0])]["date_modified"] = fake.orders[int(ids[0])]["date_modified_gmt"] = "sometime last week"
    updates = [StatusUpdate(order_id=i, kind="cart_status", cart_status="wc-on-hold", unchanged_since=imported) for i in ids]
    fake.orders[int(ids[1])]["date_modified_gmt"] = fake.orders[int(ids[1])]["date_modified"] = "1999-12-31T23:00:00"
    results = driver.push_status(connection=https, updates=updates, progress=None)
    assert [(r.ok, r.action) for r in results] == [(True, "unchanged"), (True, "updated")]
    assert "cannot be read" in results[0].message
    assert [fake.orders[int(i)]["status"] for i in ids] == [before, "on-hold"]
