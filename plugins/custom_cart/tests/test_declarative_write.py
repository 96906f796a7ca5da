"""The mapping mode builds status, stock and product bodies and sends them to the legacy shop."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ecom.errors import AuthError
from ecom.records import CartProduct, StatusUpdate, StockLevel

from ecom_custom_cart.declarative import CartMapping, MappedCart
from ecom_custom_cart.legacy_fake import LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


@pytest.fixture
def fake() -> LegacyShopFake:
    shop = LegacyShopFake()
    shop.seed(products=5)
    return shop


@pytest.fixture
def cart(fake: LegacyShopFake) -> MappedCart:
    return MappedCart(fake.wired(), CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml"))


def test_status_updates_become_the_shops_states_with_tracking(fake, cart):
    shipped, voided, closed, after = (fake.add_order(lines=[("CAP", 1)]) for _ in range(4))
    updates = [
        StatusUpdate(order_id=str(shipped["id"]), kind="shipped", tracking_number="1Z999", carrier="DHL"),
        StatusUpdate(order_id=str(voided["id"]), kind="voided"),
        StatusUpdate(order_id=str(closed["id"]), kind="closed"),
        StatusUpdate(order_id=str(after["id"]), kind="cart_status", cart_status="on hold"),
    ]
    told = []
    results = cart.push_status(updates, progress=lambda i, r: told.append((i, r.ok)))
    assert [r.ok for r in results] == [True] * 4 and [r.ref for r in results] == [u.order_id for u in updates]
    assert told == [(0, True), (1, True), (2, True), (3, True)]
    assert [o["state"] for o in (shipped, voided, closed, after)] == ["dispatched", "cancelled", "completed", "on hold"]
    assert fake.tracking(str(shipped["id"])) == ["1Z999"] and fake.tracking(str(voided["id"])) == []
    writes = fake.writes()
    assert [(w.method, w.path) for w in writes] == [("POST", f"/api/orders/{u.order_id}/state") for u in updates]


def test_a_refused_status_update_is_that_orders_failure_in_the_shops_words(fake, cart):
    good = fake.add_order(lines=[("CAP", 1)])
    results = cart.push_status([
        StatusUpdate(order_id="424242", kind="voided"),
        StatusUpdate(order_id=str(good["id"]), kind="cart_status", cart_status="teleported"),
        StatusUpdate(order_id=str(good["id"]), kind="closed"),
    ])
    assert [r.ok for r in results] == [False, False, True]
    assert "no order 424242" in results[0].message
    assert "unknown state 'teleported'" in results[1].message
    assert good["state"] == "completed"


def test_a_kind_the_mapping_does_not_send_is_refused_without_a_request(fake):
    text = EXAMPLE.read_text().replace('kinds = ["shipped", "voided", "closed", "cart_status"]', 'kinds = ["shipped"]')
    cart = MappedCart(fake.wired(), CartMapping.from_text(text, "legacy.toml"))
    order = fake.add_order(lines=[("CAP", 1)])
    (result,) = cart.push_status([StatusUpdate(order_id=str(order["id"]), kind="voided")])
    assert not result.ok and "'voided'" in result.message and "legacy.toml" in result.message
    assert fake.writes() == [] and order["state"] == "paid"


def test_stock_levels_are_sent_by_item_code_and_refusals_stay_per_sku(fake, cart):
    results = cart.push_inventory([
        StockLevel(sku="MUG-RED", quantity=7), StockLevel(sku="GHOST", quantity=1), StockLevel(sku="CAP", quantity=-2),
        StockLevel(sku="TEE-S", quantity=0),
    ])
    assert [(r.ref, r.ok) for r in results] == [("MUG-RED", True), ("GHOST", False), ("CAP", False), ("TEE-S", True)]
    assert "no item with code LG-GHOST" in results[1].message
    assert "on_hand must be a whole number" in results[2].message
    assert fake.stock("MUG-RED") == 7 and fake.stock("TEE-S") == 0
    assert [w.path for w in fake.writes()] == ["/api/stock/LG-MUG-RED", "/api/stock/LG-GHOST", "/api/stock/LG-CAP", "/api/stock/LG-TEE-S"]


def test_products_are_created_or_updated_with_the_shops_id(fake, cart):
    results = cart.upsert_products([
        CartProduct(sku="LAMP", name="Desk lamp", price=Decimal("49.00")),
        CartProduct(sku="CAP", name="Cap, washed", price=Decimal("11.00"), external_id="LG-CAP"),
        CartProduct(sku="EMPTY", name=""),
    ])
    assert [(r.action, r.external_id) for r in results[:2]] == [("created", "LG-LAMP"), ("updated", "LG-CAP")]
    assert not results[2].ok and "an item needs a title" in results[2].message
    assert fake.product("LAMP").price == Decimal("49.00") and fake.product("CAP").name == "Cap, washed"


def test_a_write_refused_for_credentials_stops_the_batch(fake):
    cart = MappedCart(fake.wired(valid=False), CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml"))
    with pytest.raises(AuthError) as caught:
        cart.push_inventory([StockLevel(sku="CAP", quantity=1)])
    assert "unknown or missing API key" in str(caught.value) and "not-the-key" not in str(caught.value)


def test_a_body_expression_that_fails_is_that_records_failure(fake):
    text = EXAMPLE.read_text().replace('on_hand = "{{ level.quantity }}"', 'on_hand = "{{ level.quantity // 0 }}"')
    cart = MappedCart(fake.wired(), CartMapping.from_text(text, "legacy.toml"))
    (result,) = cart.push_inventory([StockLevel(sku="CAP", quantity=3)])
    assert not result.ok and "stock_push.body.on_hand" in result.message and "ZeroDivisionError" in result.message
    assert fake.writes() == []


def test_a_value_in_a_path_stays_one_segment(fake, cart):
    (result,) = cart.push_inventory([StockLevel(sku="../../info?x=", quantity=1)])
    assert not result.ok and "PUT /api/stock/LG-..%2F..%2Finfo%3Fx%3D" in result.message  # as sent on the wire
    assert len(fake.requests) == 1


def test_a_cart_status_is_not_set_on_an_order_the_mapping_cannot_read_and_the_others_go_on(fake, cart):
    readable, garbled = fake.add_order(lines=[("CAP", 1)]), fake.add_order(lines=[("CAP", 1)])
    garbled["changed"] = "last Tuesday"  # its updated_at does not read: whether it changed since is unknown
    imported = datetime(2100, 1, 1, tzinfo=UTC)  # both unchanged since, as far as the shop's dates can tell
    results = cart.push_status([
        StatusUpdate(order_id=str(o["id"]), kind="cart_status", cart_status="on hold", unchanged_since=imported)
        for o in (garbled, readable)
    ])
    assert [(r.ok, r.action) for r in results] == [(True, "unchanged"), (True, "updated")]
    assert "cannot be read" in results[0].message
    assert (garbled["state"], readable["state"]) == ("paid", "on hold")
    assert [w.path for w in fake.writes()] == [f"/api/orders/{readable['id']}/state"]
