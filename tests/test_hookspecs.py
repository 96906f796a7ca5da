"""The cart contract: every hook documented, tested, and dispatched to one driver only."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from ecom import hookspecs
from ecom.errors import ConfigError
from ecom.plugins import OPERATIONS, get_driver
from ecom.records import CartProduct, Connection, StatusUpdate, StockLevel

from .conftest import NOW, RecordingDriver, info

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(
    name for name, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, "ecom_spec")
)


def test_the_contract_has_the_hooks_the_product_names():
    assert {"test_connection", "fetch_orders", "push_status", "push_inventory", "upsert_products"} <= set(HOOKS)
    assert set(OPERATIONS) <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_docstring_has_pytest_shape(name):
    fn = getattr(hookspecs, name)
    doc = inspect.getdoc(fn) or ""
    assert doc.split("\n")[0].strip(), f"{name} has no summary line"
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name} does not document :param {param}:"
    assert ":return:" in doc, f"{name} does not say what it returns"
    if fn.ecom_spec["firstresult"]:
        assert "Stops at first non-None result" in doc


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_is_documented_with_its_exact_signature(name):
    docs = (ROOT / "docs" / "plugin-hooks.md").read_text()
    params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    assert f"## {name}({params})" in docs


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_has_a_test(name):
    pattern = re.compile(rf"def test_hook_{name}(_\w+)?\(")
    assert any(pattern.search(p.read_text()) for p in (ROOT / "tests").rglob("test_*.py")), (
        f"no test_hook_{name}... in tests/"
    )


@pytest.fixture
def two_drivers(ecom_plugins):
    alpha, beta = RecordingDriver("alpha"), RecordingDriver("beta")
    ecom_plugins.register(alpha, name="ecom-alpha")
    ecom_plugins.register(beta, name="ecom-beta")
    return alpha, beta


CONN = Connection(website_name="Shop", api_url="https://alpha.example")


def test_hook_describe_cart_indexes_drivers_by_kind(two_drivers):
    assert get_driver("beta").info.title == "Beta"
    assert get_driver("alpha").name == "ecom-alpha"


def test_hook_test_connection_reaches_only_the_integrations_driver(two_drivers):
    alpha, beta = two_drivers
    report = get_driver("beta").call("test_connection", connection=CONN, operations=frozenset({"push_inventory"}))
    assert report.message == "beta ok"
    assert beta.calls == [("test_connection", "https://alpha.example", ["push_inventory"])]
    assert alpha.calls == []


def test_hook_fetch_orders_is_a_generator_of_pages_from_one_driver(two_drivers):
    alpha, beta = two_drivers
    pages = get_driver("alpha").call("fetch_orders", connection=CONN, since=NOW)
    assert alpha.calls == []  # nothing is read until the core asks for a page
    first = next(pages)
    assert [o.number for o in first.records] == ["alpha-1"]
    assert [o.number for p in pages for o in p.records] == ["alpha-2"]
    assert alpha.calls == [("fetch_orders", NOW)] and beta.calls == []


def test_hook_fetch_orders_by_id_reads_the_ids_asked_from_one_driver(two_drivers):
    alpha, beta = two_drivers
    pages = get_driver("beta").call("fetch_orders_by_id", connection=CONN, ids=["7", "9"])
    assert [o.number for page in pages for o in page.records] == ["beta-7", "beta-9"]
    assert beta.calls == [("fetch_orders_by_id", ["7", "9"])] and alpha.calls == []


def test_hook_fetch_products_returns_the_drivers_products(two_drivers):
    pages = list(get_driver("beta").call("fetch_products", connection=CONN, since=None))
    assert [p.sku for page in pages for p in page.records] == ["beta-SKU"]


def test_hook_push_status_returns_one_result_per_update(two_drivers):
    alpha, _ = two_drivers
    updates = [StatusUpdate(order_id="7", kind="shipped", tracking_number="1Z"), StatusUpdate(order_id="8", kind="voided")]
    results = get_driver("alpha").call("push_status", connection=CONN, updates=updates)
    assert [r.ref for r in results] == ["7", "8"]
    assert alpha.calls == [("push_status", ["7", "8"])]


def test_hook_push_inventory_returns_one_result_per_level(two_drivers):
    _, beta = two_drivers
    results = get_driver("beta").call("push_inventory", connection=CONN, levels=[StockLevel(sku="A", quantity=3)])
    assert [(r.ref, r.ok) for r in results] == [("A", True)]
    assert beta.calls == [("push_inventory", [("A", 3)])]


def test_hook_upsert_products_reaches_one_driver(two_drivers):
    alpha, beta = two_drivers
    results = get_driver("beta").call("upsert_products", connection=CONN, products=[CartProduct(sku="N", name="New")])
    assert results[0].action == "created"
    assert beta.calls == [("upsert_products", ["N"])] and alpha.calls == []


def test_hook_fake_cart_comes_from_the_drivers_own_plugin(two_drivers):
    assert get_driver("alpha").fake() == "fake of alpha"
    assert get_driver("beta").fake() == "fake of beta"


def test_an_operation_the_driver_lacks_is_a_config_error(ecom_plugins):
    class DescribeOnly:
        @hookspecs.hookimpl
        def describe_cart(self):
            return info("tiny")

    ecom_plugins.register(DescribeOnly(), name="ecom-tiny")
    driver = get_driver("tiny")
    assert driver.hooks == ["describe_cart"]
    with pytest.raises(ConfigError, match="cannot push inventory"):
        driver.call("push_inventory", connection=CONN, levels=[])


def test_unknown_cart_kind_says_what_to_install(two_drivers):
    with pytest.raises(ConfigError, match=r"No driver for cart 'big_shop'.*alpha, beta.*pip install ecom-big-shop"):
        get_driver("big_shop")


def test_two_drivers_claiming_one_kind_is_refused(ecom_plugins):
    ecom_plugins.register(RecordingDriver("same"), name="ecom-one")
    ecom_plugins.register(RecordingDriver("same"), name="ecom-two")
    with pytest.raises(ConfigError, match="Two drivers claim the cart kind 'same'"):
        get_driver("same")
