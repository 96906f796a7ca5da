"""A fake Shopify: the GraphQL Admin API 2026-07 as the documentation describes it, in process or on
a loopback port (``python -m ecom_shopify.fake --port 8765``).

What it serves, and the pages it follows (shopify.dev unless said otherwise):

- ``POST /admin/api/<version>/graphql.json``, executed by graphql-core over the full published
  2026-07 schema (:mod:`ecom_shopify.fake.schema`), with the ``X-Shopify-Access-Token`` header. Every
  supported version (and the release candidate, and ``unstable``) is served from that one schema; a
  retired or unknown ``YYYY-MM`` is answered as the oldest supported version, named in
  ``X-Shopify-API-Version`` (docs/api/usage/versioning: requests to an unsupported version "fall
  forward" to the oldest supported stable one). Fields the fake holds no data for answer null or
  the empty value of their type (:func:`ecom_shopify.fake.resolvers.empty`); search strings follow
  docs/api/usage/search-syntax (:mod:`ecom_shopify.fake.search`); a bad token is a
  401 ``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}``
  (the body Shopify's clients report, e.g. Shopify/shopify-cli#263). Root fields check the app's
  access scopes (``ACCESS_DENIED``). Orders older than 60 days need ``read_all_orders``
  (docs/api/admin-graphql/latest/queries/orders).
- Calculated query cost and the leaky bucket (docs/apps/build/apis/graphql-admin/rate-limits,
  docs/api/usage/limits): ``extensions.cost`` on every answer; a requested cost over 1000 is
  ``MAX_COST_EXCEEDED`` with Shopify's message; a bucket short of the requested cost answers HTTP
  200 ``THROTTLED`` with no data (community.shopify.com/t/throttled/254776). Defaults: a bucket of
  20,000 points restored at 1,000 points/s (the Plus restore rate; Shopify publishes no bucket
  size, so that is an assumption); Standard is ``bucket=2000, restore_rate=100`` as clients report.
- Bulk operations (docs/api/usage/bulk-operations/queries; changelog "Bulk operations group
  objects default changed to false", 2026-01): ``bulkOperationRunQuery``, ``bulkOperation(id:)``
  polled from CREATED through RUNNING to COMPLETED (after ``bulk_polls`` polls, however it is read:
  ``bulkOperation(id:)``, ``node(id:)``/``nodes`` or ``currentBulkOperation``), and the JSONL file
  at a signed URL on the same host (:mod:`ecom_shopify.fake.bulk`).
- Orders with fulfillment orders; ``fulfillmentCreate`` (input-objects/FulfillmentInput),
  ``orderClose``, ``orderCancel`` returning a ``Job`` done after ``job_polls`` polls
  (mutations/orderCancel), ``tagsAdd``. Fulfillment orders ON_HOLD (enums/FulfillmentOrderStatus)
  carry their ``fulfillmentHolds`` (objects/FulfillmentHold: ``reason`` from
  enums/FulfillmentHoldReason, ``reasonNotes``, ``displayReason``, ``heldByApp``); ``fulfillmentCreate``
  refuses any status but OPEN and IN_PROGRESS with "unfulfillable status". :meth:`ShopifyFake.hold` /
  :meth:`ShopifyFake.release` stand for mutations/fulfillmentOrderHold and fulfillmentOrderReleaseHold,
  as an app or the merchant would use them. ``fulfillmentCreate`` takes no ``@idempotent`` key (only
  the inventory and refund mutations do: changelog "Adding idempotency for inventory adjustments
  and refund mutations"), so a client looks before it writes again.
- ``inventorySetQuantities`` as of 2026-04 (mutations/inventorySetQuantities,
  docs/api/usage/implementing-idempotency): an ``@idempotent(key:)`` is required (its absence is a
  top-level error; the exact wording is not published), every quantity must carry
  ``changeFromQuantity`` (null skips the compare-and-swap), at most 250 quantities (input arrays
  are capped at 250), all or nothing, user errors with the documented codes.
- ``productSet`` (changelog "Dynamic complexity cost for productSet"), ``productUpdate``,
  ``productVariantsBulkUpdate``; products, variants, inventory items and levels at two locations.
- ``GET /admin/api/<version>/shop.json`` and ``GET /admin/oauth/access_scopes.json`` (REST), which
  lists ``read_x`` with each ``write_x`` granted, as Shopify grants it (so does
  ``currentAppInstallation.accessScopes``); the REST Admin API for orders and events, with REST's
  own leaky bucket (:mod:`ecom_shopify.fake.rest`).
- Injected failures (:meth:`ecom.fake.FakeCart.fail_next`) in Shopify's error body,
  ``{"errors": "..."}``; :meth:`ShopifyFake.lose_answers` runs a mutation, keeps what it did, and
  answers 500 instead (the answer lost on the way back). A request is a write when its operation
  is a mutation other than ``bulkOperationRunQuery`` (which reads). Answers that are not the API's (cut off, an HTML page,
  empty: :meth:`ecom.fake.FakeCart.garble_next`) and redirects (``redirect_next``) come from the
  base class.
- GraphQL's own faults on demand (:meth:`ShopifyFake.fail_next_graphql`), HTTP 200 without
  running the query: ``INTERNAL_SERVER_ERROR`` with the message and ``requestId`` the "Status and
  error codes" section of docs/api/admin-graphql shows ("returned instead of 500 Internal Server
  Error in most circumstances"), or ``THROTTLED`` as above, with the bucket's state.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, execute_sync, get_operation_ast, parse, validate
from graphql.language import ast
from pydantic import SecretStr

from ecom import CartProduct, Connection
from ecom.fake import FakeCart
from ecom_shopify.api import API_VERSION, GRAPHQL_PATH, MAX_QUERY_COST
from ecom_shopify.fake import bulk, rest, seed as seeding
from ecom_shopify.fake.cost import Bucket, QueryCost
from ecom_shopify.fake.resolvers import (
    check_scope, connection, denied, field_resolver, idempotency_key, lookup, matches, visible_orders,
)
from ecom_shopify.fake.state import Store, now_iso
from ecom_shopify.fake.schema import admin_schema

DEFAULT_SCOPES = frozenset({
    "read_all_orders", "write_orders", "write_products", "write_inventory", "read_locations",
    "write_merchant_managed_fulfillment_orders",
})
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
READING_MUTATIONS = {"bulkOperationRunQuery", "bulkOperationCancel"}
NODE_SCOPES = {"Order": "read_orders", "FulfillmentOrder": "read_merchant_managed_fulfillment_orders",
               "Product": "read_products", "ProductVariant": "read_products", "InventoryItem": "read_inventory",
               "Location": "read_locations", "Customer": "read_customers"}
Json = dict[str, Any]
#: The stable versions Shopify supports on 2026-12-06 (each for at least 12 months after its release),
#: the release candidate, and ``unstable``; all are answered from the one 2026-07 schema.
SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
SERVED_VERSIONS = (*SUPPORTED_VERSIONS, "2027-01", "unstable")
VERSIONED_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2}|unstable)(/.*)$")


def versioned(path: str) -> tuple[str, str]:
    """``(the path as the pinned version's, the version that answers)``: a version Shopify no longer
    supports (or never released) is answered as the oldest supported one (docs/api/usage/versioning)."""
    match = VERSIONED_PATH.match(path)
    if match is None:
        return path, API_VERSION
    asked, tail = match.groups()
    return f"/admin/api/{API_VERSION}{tail}", asked if asked in SERVED_VERSIONS else SUPPORTED_VERSIONS[0]


class ShopifyFake(FakeCart):
    """A stateful fake of one Shopify shop and the custom app ecom connects as.

    :param token: the Admin API access token it accepts (default: a new random one).
    :param scopes: the access scopes granted to that token.
    :param bucket: / restore_rate: the leaky bucket of query cost points.
    :param clock: the bucket's clock (seconds); a test can pass a virtual one.
    :param bulk_polls: polls of ``bulkOperation`` before a bulk query completes.
    :param job_polls: polls of ``job`` before an order cancellation completes (0: at once).
    :param inventory_cap: the most quantities one ``inventorySetQuantities`` accepts.
    """

    kind = "shopify"

    def __init__(self, *, token: str | None = None, scopes: Iterable[str] = DEFAULT_SCOPES, bucket: float = 20_000,
                 restore_rate: float = 1_000, clock: Callable[[], float] = time.monotonic, bulk_polls: int = 1,
                 job_polls: int = 1, inventory_cap: int = 250, max_cost: int = MAX_QUERY_COST) -> None:
        super().__init__()
        self.token = token or "shpat_" + secrets.token_hex(16)
        self.scopes = set(scopes)
        self.bucket = Bucket(bucket, restore_rate, clock)
        self.bulk_polls, self.job_polls, self.inventory_cap, self.max_cost = bulk_polls, job_polls, inventory_cap, max_cost
        self.store = Store()
        self.schema = admin_schema()
        self._files: dict[str, bytes] = {}
        self._signing = secrets.token_bytes(16)
        self._lost: list[str] = []  # root fields whose next answer is lost after the work is done
        self.rest = rest.RestApi(self)  # REST Admin API for orders, with its own bucket (:mod:`ecom_shopify.fake.rest`)

    answer_faults = ("INTERNAL_SERVER_ERROR", "THROTTLED")

    def fail_next_graphql(self, code: str = "INTERNAL_SERVER_ERROR", *, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP 200 and the top-level GraphQL error ``code``
        (``INTERNAL_SERVER_ERROR`` or ``THROTTLED``) without running them. Shares its queue with
        :meth:`~ecom.fake.FakeCart.garble_next`, so faults of both kinds come in the order given."""
        self.garble_next(code, times=times)

    def faulty_answer(self, kind: str, environ: dict[str, Any], start_response: Any) -> bytes:
        headers = [("Content-Type", "application/json; charset=utf-8"), ("X-Shopify-API-Version", API_VERSION)]
        if kind == "THROTTLED":
            try:
                request = json.loads(environ["wsgi.input"].read() or b"{}")
                document = parse(request.get("query") or "")
                operation = get_operation_ast(document, request.get("operationName"))
                requested = QueryCost(self.schema, document, operation, request.get("variables") or {}).requested()
            except (ValueError, GraphQLError, AttributeError):
                requested = 1
            body = {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": self._cost(requested, None)}
        else:
            request_id = str(uuid.uuid4())
            body = {"errors": [{
                "message": f"Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} "
                           "(include this in support requests).",
                "extensions": {"code": kind, "requestId": request_id}}]}
        return self._answer(start_response, "200 OK", headers, body)[0]

    # -- HTTP ---------------------------------------------------------------------------------

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path, version = versioned(environ.get("PATH_INFO", ""))
        headers = [("Content-Type", "application/json; charset=utf-8"), ("X-Shopify-API-Version", version),
                   ("X-Request-Id", secrets.token_hex(8))]
        if path.startswith("/bulk-operation-results/") and method == "GET":
            return self._download(environ, path, start_response)
        if rest.serves(path):  # REST says the version that answers, by the same rule as GraphQL
            answered = path.replace(f"/admin/api/{API_VERSION}/", f"/admin/api/{version}/", 1)
            return self.rest({**environ, "PATH_INFO": answered}, start_response)
        known = {GRAPHQL_PATH: "POST", f"/admin/api/{API_VERSION}/shop.json": "GET", "/admin/oauth/access_scopes.json": "GET"}
        if known.get(path) != method:
            return self._answer(start_response, "404 Not Found", headers, {"errors": "Not Found"})
        if environ.get("HTTP_X_SHOPIFY_ACCESS_TOKEN") != self.token:
            headers.append(("WWW-Authenticate", 'Basic Realm="Shopify API Authentication"'))
            return self._answer(start_response, "401 Unauthorized", headers, {"errors": INVALID_TOKEN})
        if path.endswith("shop.json"):
            shop = self.store.shop
            return self._answer(start_response, "200 OK", headers, {"shop": {
                "id": 73001, "name": shop["name"], "email": shop["email"], "domain": shop["myshopifyDomain"],
                "myshopify_domain": shop["myshopifyDomain"], "currency": shop["currencyCode"],
                "iana_timezone": shop["ianaTimezone"], "plan_name": "basic", "weight_unit": "kg"}})
        if path.endswith("access_scopes.json"):
            return self._answer(start_response, "200 OK", headers, {"access_scopes": [{"handle": s} for s in self.granted_scopes()]})
        try:
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        except ValueError:
            return self._answer(start_response, "400 Bad Request", headers, {"errors": "Invalid JSON in request body"})
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST') or environ.get('SERVER_NAME')}"
        answer = self.graphql(body, base)
        with self._lock:
            lost = next((f for f in self._lost if f in (answer.get("data") or {})), None)
            if lost is not None:
                self._lost.remove(lost)
        if lost is not None:
            return self._answer(start_response, "500 Internal Server Error", headers, {"errors": "Internal Server Error"})
        return self._answer(start_response, "200 OK", headers, answer)

    @staticmethod
    def _answer(start_response: Any, status: str, headers: list[tuple[str, str]], body: Any) -> list[bytes]:
        start_response(status, headers)
        return [json.dumps(body, ensure_ascii=False).encode()]

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json; charset=utf-8")]
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:.1f}"))
        words = {429: "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
                 500: "Internal Server Error", 502: "Bad Gateway", 503: "Unavailable Shop", 504: "Gateway Timeout"}
        return headers, json.dumps({"errors": words.get(status, "Internal Server Error")}).encode()

    def granted_scopes(self) -> list[str]:
        """The scopes as Shopify lists them: each ``write_x`` brings its ``read_x``."""
        return sorted(self.scopes | {s.replace("write_", "read_", 1) for s in self.scopes if s.startswith("write_")})

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        if method != "POST" or versioned(path)[0] != GRAPHQL_PATH:
            return False
        try:
            request = json.loads(body or b"{}")
            operation = get_operation_ast(parse(request.get("query") or ""), request.get("operationName"))
        except (ValueError, GraphQLError):
            return False
        if operation is None or operation.operation != ast.OperationType.MUTATION:
            return False
        fields = {s.name.value for s in operation.selection_set.selections if isinstance(s, ast.FieldNode)}
        return bool(fields - READING_MUTATIONS)

    def _download(self, environ: dict[str, Any], path: str, start_response: Any) -> list[bytes]:
        name = path.rsplit("/", 1)[-1].removesuffix(".jsonl")
        signature = dict(p.partition("=")[::2] for p in environ.get("QUERY_STRING", "").split("&") if p).get("signature", "")
        if name not in self._files or not hmac.compare_digest(signature, self._sign(name)):
            start_response("403 Forbidden", [("Content-Type", "application/xml")])
            return [b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>"]
        start_response("200 OK", [("Content-Type", "application/jsonl")])
        return [self._files[name]]

    def _sign(self, name: str) -> str:
        return hmac.new(self._signing, name.encode(), hashlib.sha256).hexdigest()

    # -- GraphQL ------------------------------------------------------------------------------

    def graphql(self, body: Json, base_url: str = "https://ecom-demo.myshopify.com") -> Json:
        """Answer one GraphQL request body as Shopify would (cost, throttling, errors)."""
        text, variables = body.get("query"), body.get("variables") or {}
        if not text:
            return {"errors": [{"message": "No query string was present"}]}
        try:
            document = parse(text)
        except GraphQLError as exc:
            return {"errors": [exc.formatted]}
        problems = validate(self.schema, document)
        operation = get_operation_ast(document, body.get("operationName"))
        if problems or operation is None:
            return {"errors": [p.formatted for p in problems] or [{"message": "An operation name is required"}]}
        calculator = QueryCost(self.schema, document, operation, variables)
        requested = calculator.requested()
        if requested > self.max_cost:
            return {"errors": [{"message": (
                f"Query cost is {requested}, which exceeds the single query max cost limit ({self.max_cost}).\n\n"
                "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
                "cost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations "
                "should be used instead.\nSee https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"),
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": self.max_cost,
                               "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": self._cost(requested, None)}
        if not self.bucket.take(requested):
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": self._cost(requested, None)}
        context = {"scopes": self.scopes, "bulk": False, "base_url": base_url}
        root = self._mutation_root() if operation.operation == ast.OperationType.MUTATION else self._query_root()
        result = execute_sync(self.schema, document, root_value=root, context_value=context, variable_values=variables,
                              operation_name=body.get("operationName"), field_resolver=field_resolver)
        actual = calculator.actual(result.data)
        self.bucket.refund(requested - actual)
        answer: Json = {"data": result.data}
        if result.errors:
            answer["errors"] = [e.formatted for e in result.errors]
        answer["extensions"] = self._cost(requested, actual)
        return answer

    def _cost(self, requested: int, actual: int | None) -> Json:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}}

    def _query_root(self) -> Json:
        store = self.store

        def listing(field: str, default_sort: str, items: Callable[[Any], list[Json]]) -> Callable[..., Json]:
            def resolve(info: Any, query: str | None = None, sortKey: str = default_sort, **page: Any) -> Json:  # noqa: N803
                check_scope(info, field)
                return connection([o for o in items(info) if matches(query, o)], page, info, sortKey)
            return resolve

        def one(field: str, typename: str) -> Callable[..., Json | None]:
            def resolve(info: Any, id: str) -> Json | None:  # noqa: A002
                check_scope(info, field)
                found = lookup(store, id)
                return found if found is not None and found["__typename"] == typename else None
            return resolve

        def count(info: Any, query: str | None = None, limit: int = 10_000, savedSearchId: str | None = None) -> Json:  # noqa: N803
            check_scope(info, "ordersCount")
            n = sum(1 for o in visible_orders(store, info) if matches(query, o))
            return {"count": min(n, limit), "precision": "EXACT" if n <= limit else "AT_LEAST"}

        def node(info: Any, id: str) -> Json | None:  # noqa: A002
            found = lookup(store, id)
            if found is not None and (scope := NODE_SCOPES.get(found["__typename"])):
                if scope not in info.context["scopes"] and scope.replace("read_", "write_") not in info.context["scopes"]:
                    raise denied(found["__typename"], scope)
            if found is not None and found["__typename"] == "BulkOperation":  # one state machine, however read
                return self._poll_bulk(id, info.context["base_url"])
            return found

        def current_bulk(info: Any, type: str = "QUERY") -> Json | None:  # noqa: A002
            mine = [o for o in store.all("BulkOperation") if o.get("type", "QUERY") == type]
            return self._poll_bulk(mine[-1]["id"], info.context["base_url"]) if mine else None

        return {
            "shop": lambda info: store.shop,
            "currentAppInstallation": lambda info: {"id": "gid://shopify/AppInstallation/1", "accessScopes": [
                {"handle": s, "description": s.replace("_", " ")} for s in self.granted_scopes()]},
            "orders": listing("orders", "PROCESSED_AT", lambda info: visible_orders(store, info)),
            "products": listing("products", "ID", lambda info: store.all("Product")),
            "productVariants": listing("productVariants", "ID", lambda info: store.all("ProductVariant")),
            "locations": lambda info, includeInactive=False, **page: (check_scope(info, "locations"), connection(
                [loc for loc in store.all("Location") if includeInactive or loc["isActive"]],
                {k: v for k, v in page.items() if k in ("first", "last", "after", "before", "reverse")}, info, "NAME"))[1],
            "ordersCount": count,
            "order": one("order", "Order"), "product": one("product", "Product"),
            "inventoryItem": one("inventoryItem", "InventoryItem"),
            "location": lambda info, id=None: (check_scope(info, "location"), store.location(id) if id else store.locations[0])[1],
            "job": lambda info, id: store.poll_job(store.objects[id]) if id in store.objects else None,
            "bulkOperation": lambda info, id: self._poll_bulk(id, info.context["base_url"]),
            "currentBulkOperation": current_bulk,
            "node": node,
            "nodes": lambda info, ids: [node(info, i) for i in ids],
        }

    def _mutation_root(self) -> Json:
        store = self.store

        def guarded(field: str, run: Callable[..., Json]) -> Callable[..., Json]:
            def resolve(info: Any, **args: Any) -> Json:
                check_scope(info, field)
                return run(info, **args)
            return resolve

        def payload(key: str, found: Any, errors: list[Json], error_key: str = "userErrors") -> Json:
            return {key: found, error_key: errors}

        def cancel(info: Any, orderId: str, reason: str, restock: bool, refund: bool | None = None,  # noqa: N803
                   refundMethod: Json | None = None, notifyCustomer: bool | None = None, staffNote: str | None = None) -> Json:  # noqa: N803
            wants_refund = bool(refund) or bool((refundMethod or {}).get("originalPaymentMethodsRefund"))
            job, errors = store.start_cancel(orderId, reason, restock, wants_refund, self.job_polls)
            return {"job": job, "orderCancelUserErrors": errors, "userErrors": [{k: e[k] for k in ("field", "message")} for e in errors]}

        def set_quantities(info: Any, input: Json) -> Json:  # noqa: A002
            key = idempotency_key(info)
            if not key or not str(key).strip():
                raise GraphQLError("The @idempotent directive is required for this mutation.", extensions={"code": "BAD_REQUEST"})
            fingerprint = json.dumps(input, sort_keys=True, default=str)
            if key in store.idempotency:
                seen, answer = store.idempotency[key]
                if seen != fingerprint:
                    return payload("inventoryAdjustmentGroup", None, [{"field": None, "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                   "message": "The same idempotency key cannot be used with different operation parameters."}])
                return answer
            group, errors = store.set_quantities(input, self.inventory_cap)
            answer = payload("inventoryAdjustmentGroup", group, errors)
            store.idempotency[key] = (fingerprint, answer)
            return answer

        def bulk_run(info: Any, query: str, groupObjects: bool = False) -> Json:  # noqa: N803
            try:
                problems = validate(self.schema, parse(query))
            except GraphQLError as exc:
                problems = [exc]
            if problems:
                return payload("bulkOperation", None, [{"field": ["query"], "message": p.message, "code": "INVALID"} for p in problems])
            operation = store.add("BulkOperation", status="CREATED", type="QUERY", query=query, createdAt=now_iso(),
                                  completedAt=None, errorCode=None, fileSize=None, objectCount="0", rootObjectCount="0",
                                  url=None, partialDataUrl=None, _polls=self.bulk_polls, _grouped=groupObjects)
            return payload("bulkOperation", operation, [])

        return {
            "fulfillmentCreate": guarded("fulfillmentCreate", lambda info, fulfillment, message=None: payload(
                "fulfillment", *store.fulfill(fulfillment))),
            "orderClose": guarded("orderClose", lambda info, input: payload("order", *store.close(input["id"]))),
            "orderCancel": guarded("orderCancel", cancel),
            "tagsAdd": guarded("tagsAdd", lambda info, id, tags: payload("node", *store.add_tags(id, tags))),
            "inventorySetQuantities": guarded("inventorySetQuantities", set_quantities),
            "productSet": guarded("productSet", lambda info, input, synchronous=True, identifier=None: {
                **payload("product", *store.product_set(input, identifier)), "productSetOperation": None}),
            "productUpdate": guarded("productUpdate", lambda info, product=None, input=None, media=None, identifier=None: payload(
                "product", *store.product_update({**(input or {}), **(product or {}), **(identifier or {})}))),
            "productVariantsBulkUpdate": guarded("productVariantsBulkUpdate", lambda info, productId, variants, media=None,
                allowPartialUpdates=False: self._variants_payload(productId, variants)),
            "bulkOperationRunQuery": bulk_run,
        }

    def _variants_payload(self, product_id: str, variants: list[Json]) -> Json:
        updated, errors = self.store.variants_bulk_update(product_id, variants)
        return {"product": self.store.get(product_id, "Product") if updated else None, "productVariants": updated, "userErrors": errors}

    def _poll_bulk(self, gid: str, base_url: str) -> Json | None:
        operation = self.store.get(gid, "BulkOperation")
        if operation is None or operation["status"] not in ("CREATED", "RUNNING"):
            return operation
        operation["status"], operation["_polls"] = "RUNNING", operation["_polls"] - 1
        if operation["_polls"] > 0:
            return operation
        context = {"scopes": self.scopes, "bulk": True, "base_url": base_url}
        result = execute_sync(self.schema, parse(operation["query"]), root_value=self._query_root(),
                              context_value=context, field_resolver=field_resolver)
        try:
            if result.errors:
                raise ValueError(result.errors[0].message)
            lines, roots = bulk.flatten(result.data or {})
        except ValueError:
            operation.update(status="FAILED", errorCode="INTERNAL_SERVER_ERROR", completedAt=now_iso())
            return operation
        name = operation["legacyResourceId"]
        content = bulk.jsonl(lines, grouped=operation["_grouped"], seed=name)
        operation.update(status="COMPLETED", completedAt=now_iso(), objectCount=str(len(lines)), rootObjectCount=str(roots),
                         fileSize=str(len(content)) if lines else None)
        if lines:
            self._files[name] = content
            operation["url"] = f"{base_url}/bulk-operation-results/{name}.jsonl?signature={self._sign(name)}"
        return operation

    # -- the conformance suite's side ---------------------------------------------------------

    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        token = self.token if valid else "shpat_" + hashlib.sha256(self.token.encode()).hexdigest()[:32]
        return Connection(website_name="ecom-demo", api_url=base_url, password=SecretStr(token))

    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        rng = random.Random(seed)
        with self._lock:
            if products or (orders and not self.store.all("ProductVariant")):
                seeding.seed_products(self.store, products or 8, rng)
            if orders:
                seeding.seed_orders(self.store, orders, rng)

    def skus(self) -> list[str]:
        return sorted(v["sku"] for v in self.store.all("ProductVariant") if v["sku"])

    def stock(self, sku: str, location: str | None = None) -> int | None:
        variant, place = self.store.variant_by_sku(sku), self.store.location(location)
        if variant is None or place is None or not variant["inventoryItem"]["tracked"]:
            return None
        level = self.store.levels.get((variant["inventoryItem"]["id"], place["id"]))
        return None if level is None else level["available"]

    def product(self, sku: str) -> CartProduct | None:
        variant = self.store.variant_by_sku(sku)
        if variant is None:
            return None
        product, weight = variant["product"], variant["inventoryItem"]["measurement"]["weight"]
        units = {"KILOGRAMS": "kg", "GRAMS": "g", "POUNDS": "lb", "OUNCES": "oz"}
        return CartProduct(
            sku=sku, name=product["title"], external_id=variant["id"], parent_id=product["id"],
            description=product["descriptionHtml"] or None, price=Decimal(variant["price"]),
            weight=None if weight is None else Decimal(str(weight["value"])),
            weight_unit=None if weight is None else units[weight["unit"]],  # type: ignore[arg-type]
            active=product["status"] == "ACTIVE", quantity=variant["inventoryQuantity"](None))

    def lose_answers(self, field: str, *, times: int = 1) -> None:
        """Run the next ``times`` requests for root field ``field`` (e.g. ``fulfillmentCreate``), then
        answer 500: the shop changed, the client never heard."""
        with self._lock:
            self._lost += [field] * times

    def hold(self, order_id: str, reason: str = "OTHER", notes: str | None = None, app: str | None = None) -> None:
        """Hold the order's open fulfillment orders (``reason``: a FulfillmentHoldReason)."""
        gid = order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}"
        assert self.store.hold(gid, reason, notes, app), f"{order_id} has no open fulfillment order to hold"

    def release(self, order_id: str) -> None:
        """Release the holds on the order's fulfillment orders."""
        self.store.release(order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}")

    def tracking(self, order_id: str) -> list[str]:
        order = self.order(order_id)
        return [] if order is None else [t["number"] for f in order["fulfillments"] for t in f["trackingInfo"]]

    def order(self, order_id: str) -> Json | None:
        """The order with this global id (or legacy number), as the fake holds it."""
        gid = order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}"
        return self.store.get(gid, "Order")
