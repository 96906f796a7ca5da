"""Products both ways: import (cart → back office) and export (back office → cart), idempotent."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from ecom import hookspecs, integrations
from ecom import models as m
from ecom.catalog import PRODUCT
from ecom.errors import ConfigError
from ecom.inventory_push import push_inventory
from ecom.models import ItemType
from ecom.plugins import get_driver
from ecom.products import export_products, import_products
from ecom.records import CartProduct, Connection, Page, RecordFailure
from ecom.settings import CartItem, General, IntegrationSettings
from ecom.testing import testcart
from ecom.testing.testcart_fake import FakeTestCart
from sqlmodel import Session, select

from .memcart import KIND, MemCart

D = Decimal
CONNECTION = Connection(website_name="t", api_url="https://shop.test")


@pytest.fixture
def cart(ecom_plugins) -> MemCart:
    driver = MemCart()
    ecom_plugins.register(driver, name=KIND)
    driver.add_product("TEE", "Cart Tee", price=D("19.00"))  # p1: the back office has it
    driver.add_product("HAT", "Hat", variant_title="Red", price=D("12.50"), weight=D("0.2"), description="Warm")  # p2: new
    driver.add_product(None, "Mystery box")  # p3: no SKU
    return driver


@pytest.fixture
def shop(ecom_db, cart):
    with ecom_db.session() as session:
        session.add(m.ItemGroup(name="Web"))
        session.add(m.Item(sku="TEE", name="Our Tee", price=D("20.00"), description="Soft"))
        session.add(m.Item(sku="MUG", name="Mug", price=D("8.00"), weight=D("0.4")))
        session.add(m.Item(sku="FREIGHT", name="Freight", type=ItemType.OTHER_CHARGE))
        session.add(m.Item(sku="OLD", name="Old thing", active=False))
        session.flush()
        general = General(import_products=True, import_product_group="Web", export_products=True)
        integrations.create(session, "shop", KIND, api_url="https://shop.test", settings=IntegrationSettings(general=general))
    return ecom_db


def run(db, phase, **kwargs):
    with Session(db.engine, expire_on_commit=False) as session:
        integration = integrations.get(session, "shop")
        result = phase(session, integration, get_driver(KIND), CONNECTION, **kwargs)
        session.commit()
        return result


def items(db) -> dict[str, m.Item]:
    with db.session() as session:
        return {item.sku: item for item in session.exec(select(m.Item))}


def bindings(db) -> dict[str, str]:
    with db.session() as session:
        rows = session.exec(select(m.ExternalRef).where(m.ExternalRef.kind == PRODUCT))
        return {row.external_id: row.data["sku"] for row in rows}


def test_import_creates_missing_items_binds_existing_ones_and_reports_products_without_sku(shop) -> None:
    result = run(shop, import_products)
    assert (result.fetched, result.created, result.bound, result.unchanged) == (3, 1, 1, 0)
    assert result.no_sku == ["'Mystery box' (cart id p3)"]
    assert result.counts() == {"fetched": 3, "created": 1, "updated": 1, "skipped": 1, "failed": 0}
    found = items(shop)
    hat = found["HAT"]
    assert (hat.name, hat.price, hat.weight, hat.description, hat.type, hat.active) == (
        "Hat - Red", D("12.50"), D("0.2"), "Warm", ItemType.INVENTORY, True,
    )  # fmt: skip
    with shop.session() as session:
        assert hat.group_id == session.exec(select(m.ItemGroup.id).where(m.ItemGroup.name == "Web")).one()
    assert (found["TEE"].name, found["TEE"].price) == ("Our Tee", D("20.00"))  # the merchant's item is left alone
    assert bindings(shop) == {"p1": "TEE", "p2": "HAT"}


def test_importing_again_duplicates_nothing(shop) -> None:
    run(shop, import_products)
    again = run(shop, import_products)
    assert (again.created, again.bound, again.unchanged) == (0, 0, 2)
    assert len(items(shop)) == 5 and len(bindings(shop)) == 2


def test_import_without_creating_only_links(shop) -> None:
    result = run(shop, import_products, create=False)
    assert (result.created, result.bound, result.not_in_back_office) == (0, 1, ["HAT"])
    assert "HAT" not in items(shop)
    assert bindings(shop) == {"p1": "TEE"}


def test_creating_needs_an_item_group(ecom_db, cart) -> None:
    with ecom_db.session() as session:
        integrations.create(session, "shop", KIND, api_url="https://shop.test")
    with pytest.raises(ConfigError, match="needs an item group"):
        run(ecom_db, import_products, create=True)


class OddCart(MemCart):
    """Pages with a product that could not be read, and two products sharing a SKU."""

    @hookspecs.hookimpl
    def fetch_products(self, connection, since):  # type: ignore[no-untyped-def]
        yield Page(
            records=[
                CartProduct(sku="TEE", name="Tee", external_id="v1"),
                CartProduct(sku=" TEE ", name="Tee too", external_id="v2"),
            ],
            failures=[RecordFailure(ref="BAD-1", message="KeyError: 'title'")],
        )
        yield Page(records=[CartProduct(sku="CAP", name="Cap", external_id=None)])


def test_unreadable_products_and_shared_skus_are_reported(shop, cart, ecom_plugins) -> None:
    ecom_plugins.manager.pm.unregister(cart)
    ecom_plugins.register(OddCart(), name=KIND)
    result = run(shop, import_products)
    assert [str(e) for e in result.errors] == [
        "BAD-1: the cart's product could not be read: KeyError: 'title'",
        "CAP: the cart gave no id for this product, so it cannot be bound",
    ]
    assert [str(w) for w in result.warnings] == [
        "TEE: two cart products have this SKU (ids v1 and v2); both are bound to its item"
    ]
    assert bindings(shop) == {"v1": "TEE", "v2": "TEE"}


def test_export_creates_new_products_and_updates_bound_ones(shop, cart) -> None:
    run(shop, import_products)
    result = run(shop, export_products)
    assert result.results == {"HAT": "updated", "MUG": "created", "TEE": "updated"}  # not FREIGHT, not the inactive OLD
    assert (result.created, result.updated, result.failed) == (1, 2, 0)
    assert cart.calls[-1] == ("upsert_products", [("HAT", "p2"), ("MUG", None), ("TEE", "p1")])
    assert cart.products["p1"].name == "Our Tee" and cart.products["p1"].price == D("20.00")
    mug = cart.products["p4"]
    assert (mug.sku, mug.name, mug.price, mug.weight, mug.active) == ("MUG", "Mug", D("8.00"), D("0.4"), True)
    assert bindings(shop) == {"p1": "TEE", "p2": "HAT", "p4": "MUG"}


def test_import_then_export_then_again_creates_nothing_twice_on_either_side(shop, cart) -> None:
    run(shop, import_products)
    run(shop, export_products)
    cart_before, items_before = dict(cart.products), set(items(shop))
    again_in = run(shop, import_products)
    again_out = run(shop, export_products)
    assert (again_in.created, again_out.created, again_out.updated) == (0, 0, 0)
    assert again_out.unchanged == 3  # nothing changed since the last export: nothing sent
    assert cart.calls[-1][0] == "fetch_products"
    assert cart.products.keys() == cart_before.keys() and set(items(shop)) == items_before
    assert len(cart.products) == 4 and len(items(shop)) == 5  # cart: TEE HAT Mystery MUG; back office: + HAT


def test_export_sends_only_changed_items_unless_full(shop, cart) -> None:
    run(shop, export_products)
    with shop.session() as session:
        mug = session.exec(select(m.Item).where(m.Item.sku == "MUG")).one()
        mug.price = D("9.00")
        session.add(mug)
    changed = run(shop, export_products)
    assert cart.calls[-1] == ("upsert_products", [("MUG", "p4")])
    assert (changed.updated, changed.unchanged) == (1, 1)
    full = run(shop, export_products, full=True)
    assert full.updated == 2
    assert cart.products["p4"].price == D("9.00")


def test_a_refused_product_is_an_error_for_it_alone_and_is_sent_again(shop, cart) -> None:
    cart.refuse.add("MUG")
    result = run(shop, export_products)
    assert [str(e) for e in result.errors] == ["MUG: Title is too long."]
    assert result.results == {"MUG": "failed", "TEE": "updated"}
    assert "MUG" not in bindings(shop).values()
    cart.refuse.clear()
    again = run(shop, export_products)
    assert again.results == {"MUG": "created", "TEE": "unchanged"}


def test_a_bound_item_made_inactive_is_exported_inactive(shop, cart) -> None:
    run(shop, import_products)
    with shop.session() as session:
        tee = session.exec(select(m.Item).where(m.Item.sku == "TEE")).one()
        tee.active = False
        session.add(tee)
    result = run(shop, export_products, skus=["TEE"])
    assert result.results == {"TEE": "updated"}
    assert cart.products["p1"].active is False


def test_exporting_an_unknown_sku_is_refused(shop) -> None:
    with pytest.raises(ConfigError, match="'FREIGHT': not an item 'shop' exports"):
        run(shop, export_products, skus=["FREIGHT"])


def test_an_item_selection_is_exported_with_the_cart_s_ids(ecom_db, cart) -> None:
    with ecom_db.session() as session:
        session.add(m.Item(sku="TEE", name="Our Tee"))
        session.add(m.Item(sku="MUG", name="Mug"))
        session.flush()
        general = General(export_products=True, cart_items=[CartItem(sku="TEE", cart_id="p1")])
        integrations.create(session, "shop", KIND, api_url="https://shop.test", settings=IntegrationSettings(general=general))
    result = run(ecom_db, export_products)
    assert result.results == {"TEE": "updated"}
    assert cart.calls[-1] == ("upsert_products", [("TEE", "p1")])
    assert bindings(ecom_db) == {"p1": "TEE"}


def test_products_commands(shop, cart, ecom_cli) -> None:
    imported = ecom_cli("products", "import", "shop")
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines()[0] == (
        "3 cart products: 1 items created, 1 bound to existing items, 0 already bound, 0 not in the back office, 1 without SKU."
    )
    exported = ecom_cli("products", "export", "shop", "--json")
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["results"] == {"HAT": "updated", "MUG": "created", "TEE": "updated"}
    cart.refuse.add("MUG")
    refused = ecom_cli("products", "export", "shop", "--full")
    assert refused.exit_code == 5
    assert "MUG: Title is too long." in refused.output


def test_import_push_and_export_against_test_cart(ecom_db, ecom_plugins) -> None:
    """End to end with the core's example driver over HTTP to its fake: nothing twice, only changes."""
    ecom_plugins.register(testcart, name="testcart")
    fake = FakeTestCart()
    fake.seed(products=6, seed=3)
    connection = replace(fake.connection("https://shop.test"), transport=fake.transport())
    with ecom_db.session() as session:
        session.add(m.ItemGroup(name="Web"))
        session.add(m.Location(name="Main"))
        session.add(m.Item(sku="NEW-1", name="Brand new", price=D("5.00")))
        session.flush()
        general = General(update_inventory=True, import_products=True, import_product_group="Web", export_products=True)
        integrations.create(
            session, "tc", "testcart", api_url="https://shop.test", password=connection.password.get_secret_value(),
            settings=IntegrationSettings(general=general),
        )

    def phase(function, **kwargs):
        with Session(ecom_db.engine, expire_on_commit=False) as session:
            result = function(session, integrations.get(session, "tc"), get_driver("testcart"), connection, **kwargs)
            session.commit()
            return result

    cart_skus = fake.skus()
    imported = phase(import_products)
    assert imported.created == len(cart_skus) - len(imported.no_sku)
    with ecom_db.session() as session:
        main = session.exec(select(m.Location.id)).one()
        for n, item in enumerate(session.exec(select(m.Item).where(m.Item.sku.in_(cart_skus)))):  # type: ignore[attr-defined]
            session.add(m.Stock(item_id=item.id, location_id=main, on_hand=D(n + 2), committed=D(1)))
    pushed = phase(push_inventory)
    assert pushed.errors == [] and pushed.accepted == len(cart_skus)
    tracked = [sku for sku in cart_skus if fake.stock(sku) is not None]
    assert tracked and all(fake.stock(sku) >= 1 for sku in tracked)
    writes = len(fake.writes())
    assert phase(push_inventory).sent == 0 and len(fake.writes()) == writes

    exported = phase(export_products)
    assert exported.errors == [] and exported.created == 1  # only NEW-1 is new to the cart
    assert fake.product("NEW-1") is not None
    assert sorted(fake.skus()) == sorted([*cart_skus, "NEW-1"])
    again = phase(export_products)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(cart_skus) + 1)
    assert phase(import_products).created == 0
