"""The reference server and the published protocol (docs/custom-cart-protocol.json) agree.

Every request the driver sends and every answer the reference server gives, in a run of every
operation and of the error cases, is validated against the OpenAPI 3.1 document with openapi-core;
every route and method of the document is exercised, and every schema of the document is reached.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from ecom.plugins import get_driver
from ecom.records import CartProduct, StatusUpdate, StockLevel
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate

from .conftest import BASE, wired

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-protocol.json"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text())


class Checked(httpx.BaseTransport):
    """An httpx transport answering from the fake, validating each exchange against the document."""

    def __init__(self, inner: httpx.BaseTransport, spec: dict[str, Any]) -> None:
        self.inner, self.openapi, self.error_schema = inner, OpenAPI.from_dict(spec), spec["components"]["schemas"]["Error"]
        self.seen: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        path = request.url.path.removeprefix(httpx.URL(BASE).path)
        mock = MockRequest(f"{request.url.scheme}://{request.url.host}", request.method, request.url.path, args=dict(request.url.params), data=request.content or None,
                           headers=dict(request.headers))
        answer = MockResponse(response.content, status_code=response.status_code, headers=dict(response.headers),
                              content_type=response.headers.get("Content-Type", ""))
        if response.status_code < 400:  # error requests are malformed on purpose; their answers are still checked
            self.openapi.validate_request(mock)
        try:
            self.openapi.validate_response(mock, answer)
        except PathNotFound:  # a route the document has not (/v2/...): its answer is still the Error schema
            assert response.status_code == 404, f"{request.method} {path} is not in the document but answered {response.status_code}"
            jsonschema.validate(response.json(), self.error_schema)
        self.seen.append((request.method, path, response.status_code))
        return response


@pytest.fixture
def checked(fake, spec) -> Checked:
    return Checked(fake.transport(), spec)


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_operation_and_answer_matches_the_document(fake, checked: Checked, spec: dict[str, Any]) -> None:
    fake.seed(orders=120, products=12, seed=3)
    driver, connection = get_driver("custom_cart"), wired(fake, checked)
    driver.call("test_connection", connection=connection, operations=frozenset())
    orders = [o for page in driver.call("fetch_orders", connection=connection, since=None) for o in page.records]
    since = sorted(o.updated_at for o in orders)[60]
    assert [o for page in driver.call("fetch_orders", connection=connection, since=since) for o in page.records]
    by_id = [o for page in driver.call("fetch_orders_by_id", connection=connection, ids=[orders[3].external_id, "999999"]) for o in page.records]
    assert [o.external_id for o in by_id] == [orders[3].external_id]
    products = [p for page in driver.call("fetch_products", connection=connection, since=None) for p in page.records]
    open_order = next(o for o in orders if o.status.value == "processing" and not o.archived)
    updates = [StatusUpdate(order_id=open_order.external_id, kind="shipped", tracking_number="1Z999", carrier="UPS",
                            shipped_at=datetime.now(UTC)), StatusUpdate(order_id="999999", kind="voided")]
    assert [r.ok for r in driver.call("push_status", connection=connection, updates=updates)] == [True, False]
    levels = [StockLevel(sku=products[0].sku, quantity=5), StockLevel(sku="NO-SUCH-SKU", quantity=1)]
    assert [r.ok for r in driver.call("push_inventory", connection=connection, levels=levels)] == [True, False]
    new = CartProduct(sku="NEW-1", name="New", price=Decimal("1.50"))
    assert [r.action for r in driver.call("upsert_products", connection=connection, products=[new, new])] == ["created", "updated"]

    with httpx.Client(base_url=BASE, transport=checked) as http:  # the error answers, each in the document
        token = {"Authorization": f"Bearer {fake.token}"}
        assert http.get("/v1/info", headers={"Authorization": "Bearer wrong"}).status_code == 401
        answer = http.get("/v2/info", headers=token)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "unsupported_version"
        assert answer.json()["supported_versions"] == ["1"]
        assert http.get("/v1/orders", params={"limit": 0}, headers=token).status_code == 400
        assert http.post("/v1/stock", content=b"{not json", headers=token).status_code == 400
        assert http.post("/v1/stock", json={"levels": [{"sku": "A", "quantity": 1}] * 101}, headers=token).status_code == 400
        fake.fail_next(429, retry_after=0)
        fake.fail_next(503)
        for _ in range(2):
            assert http.get("/v1/info", headers=token).status_code in (429, 503)

    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    exercised = {(method, path) for method, path, status in checked.seen if status < 400}
    assert documented == exercised, f"documented but not exercised: {documented - exercised}; served but not documented: {exercised - documented}"
    statuses = {str(status) for _, _, status in checked.seen}
    promised = {code for item in spec["paths"].values() for op in item.values() for code in op["responses"]}
    assert promised <= statuses, f"answers the document promises that the server never gave: {promised - statuses}"


def test_every_schema_of_the_document_is_reached(spec: dict[str, Any]) -> None:
    text = json.dumps({k: v for k, v in spec.items() if k != "components"})
    reached: set[str] = set()
    todo = [name.split("/")[-1] for name in _refs(text)]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += [r.split("/")[-1] for r in _refs(json.dumps(spec["components"]["schemas"][name]))]
    unused = set(spec["components"]["schemas"]) - reached
    # CartInfo, ConnectionReport and RecordFailure are records of the core, not of the protocol
    assert unused <= {"CartInfo", "ConnectionFields", "ConnectionReport", "RecordFailure"}, f"schemas no route uses: {unused}"


def test_every_route_the_server_answers_is_documented(fake, spec: dict[str, Any]) -> None:
    token = {"Authorization": f"Bearer {fake.token}"}
    with httpx.Client(base_url=BASE, transport=fake.transport()) as http:
        for path in ("/v1/order", "/v1/orders/1001", "/v1/inventory", "/v1/stock/levels", "/v1"):
            assert http.get(path, headers=token).status_code == 404, path
        for path, item in spec["paths"].items():
            for method in ("GET", "POST", "PUT", "DELETE"):
                status = http.request(method, path, headers=token, json={}).status_code
                assert (status == 405) == (method.lower() not in item), f"{method} {path}: {status}"


def _refs(text: str) -> list[str]:
    import re

    return re.findall(r'"\$ref": "(#/components/schemas/[^"]+)"', text)
