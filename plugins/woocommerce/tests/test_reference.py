"""The driver sends only what WooCommerce declares; the fake answers in WooCommerce's shapes.

Checked against the two published descriptions in ``<repo>/../shared/reference`` (see its README):
``woocommerce-rest-v3.json`` (OpenAPI from a 2021 WooCommerce 5.x site; body fields are listed as
``in: query`` parameters, batch routes list the single-object fields) and
``woocommerce-rest-v3-wc10.7.0-fields.json`` (per-route fields of WooCommerce 10.7.0). A parameter
or field must be declared by **both**, so the driver works with old and current stores.
Not route arguments, so not checked: the authentication parameters (``oauth_*``, documented on
the Authentication page), and a batch's ``id`` of each object to update (read by
``WC_REST_Controller::batch_items``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
import pytest
from ecom.records import CartProduct, StatusUpdate, StockLevel

from ecom_woocommerce import driver
from ecom_woocommerce.fake import WooCommerceFake

from .conftest import REFERENCE

OPENAPI, FIELDS = REFERENCE / "woocommerce-rest-v3.json", REFERENCE / "woocommerce-rest-v3-wc10.7.0-fields.json"
pytestmark = pytest.mark.skipif(
    not (OPENAPI.exists() and FIELDS.exists()),
    reason=f"the WooCommerce reference schemas are not at {REFERENCE} (they live outside the repository)",
)
AUTH = re.compile(r"^(oauth_.*|consumer_key|consumer_secret)$")


@cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text())


@cache
def fields() -> dict[str, Any]:
    return json.loads(FIELDS.read_text())["surfaces"]["admin"]


def openapi_route(path: str) -> str:
    for template in openapi()["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", r"\\d+", template), path):
            return template
    raise AssertionError(f"{path} is no route of the 2021 reference")


def fields_route(path: str) -> str:
    for template in fields():
        if template.startswith("/wc/v3") and re.fullmatch(template.removeprefix("/wc/v3"), path):
            return template
    raise AssertionError(f"{path} is no route of the WooCommerce 10.7 reference")


def declared_2021(path: str, method: str) -> dict[str, Any]:
    operation = openapi()["paths"][openapi_route(path)][method.lower()]
    return {p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p.get("in") == "query"}


def declared_10_7(path: str, method: str) -> dict[str, Any]:
    route = fields()[fields_route(path)]
    section = route.get("query" if method == "GET" else "request", {}).get(method, {})
    return {name: spec for name, spec in section.get("fields", {}).items() if "." not in name}


@dataclasses.dataclass
class Sent:
    method: str
    path: str
    params: list[tuple[str, str]]
    body: Any


class Recorder(httpx.BaseTransport):
    """Passes requests to the fake and keeps what the driver sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.sent = inner, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path.removeprefix("/wp-json/wc/v3")
        self.sent.append(Sent(request.method, path, list(request.url.params.multi_items()), body))
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def everything_sent() -> list[Sent]:
    """Every request the driver makes in a run of all its operations, over both auth schemes."""
    fake = WooCommerceFake()
    fake.seed(orders=150, products=20, seed=2)
    recorder = Recorder(fake.transport())
    since = datetime(2026, 1, 1, tzinfo=UTC)
    for base in ("https://shop.example.com", "http://127.0.0.1:8080"):
        conn = dataclasses.replace(fake.connection(base), transport=recorder)
        driver.test_connection(connection=conn, operations=frozenset({"push_status", "push_inventory"}))
        driver.test_connection(connection=conn, operations=frozenset({"push_status"}))
        for when in (None, since):
            list(driver.fetch_orders(connection=conn, since=when))
            list(driver.fetch_products(connection=conn, since=when))
        open_orders = [str(i) for i, o in fake.orders.items() if o["status"] == "processing"][:4]
        driver.push_status(connection=conn, updates=[
            StatusUpdate(order_id=open_orders[0], kind="shipped", carrier="UPS", tracking_number="1Z1"),
            StatusUpdate(order_id=open_orders[1], kind="voided"), StatusUpdate(order_id=open_orders[2], kind="closed"),
            StatusUpdate(order_id=open_orders[3], kind="cart_status", cart_status="on-hold"),
        ], progress=None)
        driver.push_inventory(connection=conn, levels=[StockLevel(sku=s, quantity=5) for s in fake.skus()])
        parent = next(p for p in fake.products.values() if p["type"] == "variable")
        driver.upsert_products(connection=conn, products=[
            CartProduct(sku=f"NEW-{base[4]}", name="New", price=Decimal("3.50"), weight=Decimal("1"), weight_unit="lb"),
            CartProduct(sku=f"NEWVAR-{base[4]}", name="Var", parent_id=str(parent["id"]), price=Decimal("9")),
            CartProduct(sku=fake.skus()[0], name="Renamed", description="Now with more.", active=False),
        ])
    return recorder.sent


def test_every_route_the_driver_uses_is_declared(everything_sent):
    used = {(s.method, openapi_route(s.path), fields_route(s.path)) for s in everything_sent}
    for method, route, current in used:
        assert method.lower() in openapi()["paths"][route], f"{method} {route}: not declared (2021)"
    assert {route for _, route, _ in used} >= {"/orders", "/orders/batch", "/orders/{order_id}/notes", "/products",
                                              "/products/batch", "/products/{product_id}/variations",
                                              "/products/{product_id}/variations/batch"}


def test_every_query_parameter_is_declared_with_a_valid_value(everything_sent):
    for sent in everything_sent:
        for reference in (declared_2021(sent.path, sent.method), declared_10_7(sent.path, sent.method)):
            for name, value in sent.params:
                if AUTH.match(name):
                    continue
                assert name in reference, f"{sent.method} {sent.path}: ?{name} is not declared"
                spec = reference[name]
                enum = spec.get("enum") or (spec.get("items") or {}).get("enum")
                if enum:
                    assert value in enum, f"{sent.method} {sent.path}: {name}={value} is not one of {enum}"
                if spec.get("type") == "integer":
                    assert value.isdigit(), f"{sent.method} {sent.path}: {name}={value} is not an integer"


def test_every_body_field_is_declared(everything_sent):
    for sent in (s for s in everything_sent if s.body is not None):
        batch = sent.path.endswith("/batch")
        single = sent.path.removesuffix("/batch") + "/1" if batch else sent.path
        for reference in (declared_2021(single, "PUT" if batch else sent.method), declared_10_7(single, "PUT" if batch else sent.method)):
            objects = [sent.body]
            if batch:
                assert set(sent.body) <= set(openapi()["components"]["schemas"]["batch"]["properties"])
                objects = [o for action in ("create", "update") for o in sent.body.get(action, [])]
            for obj in objects:
                extra = set(obj) - set(reference) - ({"id"} if batch else set())
                assert not extra, f"{sent.method} {sent.path}: {sorted(extra)} not declared"


# -- the fake's answers have WooCommerce's shapes ---------------------------------------------------

SCHEMA_TYPES = {"integer": int, "number": (int, float), "string": str, "boolean": bool, "array": list, "object": dict,
                "date-time": str, "mixed": object, "null": type(None)}


def check_shape(value: Any, schema: dict[str, Any], where: str, extra: set[str] = frozenset()) -> None:
    """Every key is declared and of a declared type (``mixed`` accepts all), recursively."""
    types = schema.get("type", "mixed")
    allowed = tuple(SCHEMA_TYPES[t] for t in (types if isinstance(types, list) else [types]))
    assert value is None or isinstance(value, allowed), f"{where}: {value!r} is not {types}"
    if isinstance(value, dict) and "properties" in schema:
        unknown = set(value) - set(schema["properties"]) - extra
        assert not unknown, f"{where}: {sorted(unknown)} not in the reference"
        for key, item in value.items():
            if key in schema["properties"]:
                check_shape(item, schema["properties"][key], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            check_shape(item, schema["items"], f"{where}[{n}]")


@pytest.mark.parametrize(
    ("path", "schema", "current"),
    [
        ("/orders?per_page=100&status=any", "shop_order", "/wc/v3/orders"),
        ("/products?per_page=100", "product", "/wc/v3/products"),
        ("/products/{variable}/variations", "product_variation", r"/wc/v3/products/(?P<product_id>[\d]+)/variations"),
        ("/orders/{order}/notes", "order_note", r"/wc/v3/orders/(?P<order_id>[\d]+)/notes"),
    ],
)
def test_the_fakes_answers_use_only_declared_fields(path, schema, current):
    fake = WooCommerceFake()
    fake.seed(orders=60, products=16, seed=4)
    variable = next(p for p in fake.products.values() if p["type"] == "variable")["id"]
    order = next(iter(fake.orders))
    client = httpx.Client(transport=fake.transport(), base_url="https://shop.example.com/wp-json/wc/v3",
                          auth=(fake.consumer_key, fake.consumer_secret))
    client.put(f"/orders/{order}", json={"status": "completed"})
    answer = client.get(path.format(variable=variable, order=order))
    assert answer.status_code == 200 and answer.json()
    schema_2021 = openapi()["components"]["schemas"][schema]
    newer = {n: f for n, f in fields()[current]["response"]["fields"].items() if "." not in n}
    for n, item in enumerate(answer.json()):
        check_shape(item, either(schema_2021, newer), f"{schema}[{n}]")


def either(schema: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """The 2021 schema, with each top-level field also allowed as WooCommerce 10.7 declares it
    (e.g. ``version`` is an integer in 2021's document, a string in 10.7's)."""
    properties = dict(schema["properties"])
    for name, spec in newer.items():
        old = properties.get(name, {})
        types = [t for s in (old, spec) if s for t in (s.get("type") if isinstance(s.get("type"), list) else [s.get("type", "mixed")])]
        properties[name] = {**old, "type": sorted(set(types))}
    if "tax_lines" in properties:  # declared "string"; WooCommerce sends the rate id as an integer,
        properties["tax_lines"] = copy.deepcopy(properties["tax_lines"])  # as its docs ("Orders") say
        properties["tax_lines"]["items"]["properties"]["rate_id"]["type"] = ["integer", "string"]
    return {**schema, "properties": properties}
