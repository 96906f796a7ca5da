"""The Custom Cart driver: ecom's hooks for any cart, in one of two modes (``mode`` driver option).

``protocol`` (the default): the merchant's site implements the ecom cart protocol, version 1
(``docs/custom-cart-protocol.json``, explained in ``docs/custom-cart.md``), and the driver speaks
it under the integration's API URL: ``/v1/...`` routes, ecom's records in their public JSON form,
``Authorization: Bearer <password>`` when the username is empty, else HTTP Basic. Orders are
read by the server's change cursor (an edit during the read moves only the edited order, after
the cursor), orders kept aside are read with ``ids=`` (100 a request), writes go 100 records a
request and each record's own result is mapped back to it.

``mapping``: the cart has its own JSON API, described by a mapping file (TOML) stored in
``general.driver_options.mapping`` (``mapping_file = "shop.toml"`` in the integration file is read
into it by ``ecom integration apply``, the file's name kept in ``mapping_source``); every hook is
delegated to
:class:`ecom_custom_cart.declarative.MappedCart`.

In both modes the item mapper (:mod:`ecom_custom_cart.items`) turns the cart's item codes into
SKUs on order import, and SKUs into the cart's codes on inventory push and product export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from ecom import drivers, hookimpl
from ecom.auth import Credentials, credentials
from ecom.errors import ConfigError, DriverError
from ecom.http import CartHTTP, cursors
from ecom.records import (
    CartInfo, CartOrder, CartProduct, Connection, ConnectionFields, ConnectionReport, Page, PushResult,
    RecordFailure, StatusUpdate, StockLevel, WebOrderStatus, translate_page,
)

from ecom_custom_cart.items import ItemMap, UnmappedItem

KIND = "custom_cart"
VERSION = "1"
BATCH = 100
PAGE = 100
MODES = ("protocol", "mapping")


@hookimpl
def describe_cart() -> CartInfo:
    return CartInfo(
        kind=KIND,
        title="Custom Cart",
        fields=ConnectionFields(
            website_name="The store's name, for your own reference",
            api_url="Where the store serves the ecom cart protocol, e.g. https://shop.example.com/ecom (without /v1)",
            username="Empty for a bearer token; else the user name for HTTP Basic",
            password="The bearer token, or the HTTP Basic password",
        ),
        statuses={status.value: status for status in WebOrderStatus},
        docs_url="docs/custom-cart.md",
        required=["api_url", "password"],
        api_paths=[r"/v\d+"],
        item_list=True,
    )


@hookimpl
def test_connection(connection: Connection, operations: frozenset[str]) -> ConnectionReport:
    mapped = _mapped(connection)
    if mapped is not None:
        return mapped.test_connection()
    _items(connection)  # a bad item mapper is a settings error, said now rather than at the first sync
    with client(connection) as http:
        info = http.get("/info", expect=dict).json()
    version = str(info.get("protocol_version"))
    if version != VERSION:
        raise DriverError(f"The store speaks the ecom cart protocol version {version}; this driver speaks version {VERSION}.")
    name = info.get("name") or connection.website_name or connection.api_url
    return ConnectionReport(
        message=f"Connected to {name}: it speaks the ecom cart protocol version {version}.",
        details={"protocol_version": version, "currency": str(info.get("currency")), "authentication": _credentials(connection).description},
    )


@hookimpl
def fetch_orders(connection: Connection, since: datetime | None) -> Iterator[Page[CartOrder]]:
    mapped, items = _mapped(connection), _items(connection)
    pages = mapped.fetch_orders(since) if mapped is not None else _pages(connection, "/orders", "orders", since, CartOrder)
    return (_resolved(page, items) for page in pages)


@hookimpl
def fetch_orders_by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    mapped, items = _mapped(connection), _items(connection)
    if mapped is not None:
        return (_resolved(page, items) for page in mapped.fetch_orders_by_id(ids))
    return (_resolved(page, items) for page in _by_id(connection, ids))


@hookimpl
def fetch_products(connection: Connection, since: datetime | None) -> Iterator[Page[CartProduct]]:
    mapped, items = _mapped(connection), _items(connection)
    pages = mapped.fetch_products(since) if mapped is not None else _pages(connection, "/products", "products", since, CartProduct)
    for page in pages:  # the cart's item codes read as the back office's SKUs
        page.records = [p.model_copy(update={"sku": items.table[p.sku]}) if p.sku in items.table else p for p in page.records]
        yield page


@hookimpl
def push_status(connection: Connection, updates: list[StatusUpdate]) -> list[PushResult]:
    mapped = _mapped(connection)
    if mapped is not None:
        return mapped.push_status(updates)
    bodies = [u.model_dump(mode="json", exclude_none=True) for u in updates]
    return _write(connection, "/orders/status", "updates", bodies, [u.order_id for u in updates])


@hookimpl
def push_inventory(connection: Connection, levels: list[StockLevel]) -> list[PushResult]:
    items = _items(connection)
    results = drivers.Results(levels, ref=lambda level: level.sku)
    for i, level in enumerate(levels):
        if not items.carried(level.sku):
            results.ok(i, action="unchanged", message="Not carried by this cart (not in its item table).")
    carried = results.open()
    sent = [levels[i].model_copy(update={"sku": items.code(levels[i].sku)}) for i in carried]
    mapped = _mapped(connection)
    if mapped is not None:
        answers = mapped.push_inventory(sent)
    else:
        answers = _write(connection, "/stock", "levels", [s.model_dump(mode="json", exclude_none=True) for s in sent], [s.sku for s in sent])
    for i, answer in zip(carried, answers, strict=True):
        results.set(i, answer.model_copy(update={"ref": levels[i].sku}))
    return results.done()


@hookimpl
def upsert_products(connection: Connection, products: list[CartProduct]) -> list[PushResult]:
    items = _items(connection)
    sent = [p.model_copy(update={"sku": items.code(p.sku)}) if p.sku else p for p in products]
    mapped = _mapped(connection)
    if mapped is not None:
        answers = mapped.upsert_products(sent)
    else:
        bodies = [p.model_dump(mode="json", exclude={"raw"}, exclude_none=True) for p in sent]
        answers = _write(connection, "/products", "products", bodies, [p.sku or p.name for p in sent])
    return [a.model_copy(update={"ref": p.sku or p.name}) for p, a in zip(products, answers, strict=True)]


@hookimpl
def fake_cart() -> Any:
    from ecom_custom_cart.fake import CustomCartFake

    return CustomCartFake()


# -- reaching the store ---------------------------------------------------------------------------


def client(connection: Connection) -> CartHTTP:
    """The HTTP helper for the store's protocol routes, ``{api_url}/v1``."""
    return CartHTTP(connection, base_url=connection.api_url.rstrip("/") + f"/v{VERSION}", error_message=error_message,
                    **_credentials(connection).options())


def _credentials(connection: Connection) -> Credentials:
    """HTTP Basic with a username, else the password as a bearer token."""
    secret, user = connection.password.get_secret_value(), connection.username.strip()
    if not secret:
        raise ConfigError("A Custom Cart needs its bearer token (or HTTP Basic password) in the Password field.")
    return credentials("basic" if user else "bearer", user=user, secret=secret)


def error_message(response: httpx.Response) -> str:
    """The store's words from the protocol's error body, ``{"error": {"code", "message"}}`` (another
    body: :class:`~ecom.http.CartHTTP` reads it with :func:`~ecom.http.default_error_message`)."""
    error = response.json()["error"]
    return f"{error['message']} ({error['code']})"


# -- inside ---------------------------------------------------------------------------------------


def _mode(connection: Connection) -> str:
    mode = connection.options.get("mode", "protocol")
    if mode not in MODES:
        raise ConfigError(f"general.driver_options.mode is {mode!r}; a Custom Cart's mode is protocol or mapping.")
    return str(mode)


def _mapped(connection: Connection) -> Any:
    """The :class:`~ecom_custom_cart.declarative.MappedCart` in mapping mode, else None."""
    if _mode(connection) != "mapping":
        return None
    text = connection.options.get("mapping")
    if not isinstance(text, str) or not text.strip():
        raise ConfigError("general.driver_options.mapping is empty: in mapping mode, set mapping_file in the "
                          "integration file and run ecom integration apply.")
    try:
        from ecom_custom_cart.declarative import CartMapping, MappedCart
    except ImportError:  # pragma: no cover - the declarative engine ships with the package
        raise ConfigError("This ecom-custom-cart has no mapping engine (ecom_custom_cart.declarative).") from None
    source = str(connection.options.get("mapping_source") or "general.driver_options.mapping")
    return MappedCart(connection, CartMapping.from_text(text, source))


def _items(connection: Connection) -> ItemMap:
    return ItemMap.from_options(connection.options)


def _resolved(page: Page[CartOrder], items: ItemMap) -> Page[CartOrder]:
    """The page with each order's lines mapped to SKUs; an order with an unmapped code fails alone."""
    if not items.active:
        return page
    kept = []
    for order in page.records:
        try:
            kept.append(items.resolve(order))
        except UnmappedItem as exc:
            page.failures.append(RecordFailure(ref=order.number, message=str(exc), raw=order.model_dump(mode="json")))
    page.records = kept
    return page


def _ref(raw: Any) -> str:
    """How the merchant names a record the driver could not read."""
    if not isinstance(raw, dict):
        return "(not an object)"
    return str(raw.get("number") or raw.get("sku") or raw.get("external_id") or "(unnamed)")


def _pages(connection: Connection, path: str, key: str, since: datetime | None, model: type) -> Iterator[Page[Any]]:
    with client(connection) as http:

        def answers() -> Iterator[tuple[httpx.Response, list[Any]]]:
            params: dict[str, Any] | None = {"limit": PAGE, "since": since.isoformat() if since else None}
            while params is not None:  # (expect=dict: an answer that is not a JSON object is retried, then refused)
                response = http.get(path, params=params, expect=dict)
                yield response, _listed(response, key)
                following = next_page(response, params)
                if following is not None and following["cursor"] == params.get("cursor"):
                    raise DriverError(f"The store answered {path} with the cursor it was given ({following['cursor']!r}): "
                                      "its listing does not move on, so the read stops here.")
                params = following

        yield from drivers.read_pages(answers(), model.model_validate, ref=_ref)


def _by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    with client(connection) as http:
        for chunk in drivers.chunks([i for i in ids if i and "," not in i], BATCH):
            response = http.get("/orders", params={"ids": ",".join(chunk)}, expect=dict)
            yield translate_page(_listed(response, "orders"), CartOrder.model_validate, ref=_ref)


def _next_cursor(response: httpx.Response) -> str | None:
    cursor = response.json().get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise DriverError(f"The store's next_cursor on {response.request.url.path} is not text: {str(cursor)[:50]!r}.")
    return cursor or None


next_page = cursors(_next_cursor)


def _listed(response: httpx.Response, key: str) -> list[Any]:
    records = response.json().get(key)
    if not isinstance(records, list):
        raise DriverError(f"The store's answer to {response.request.url.path} has no {key!r} list.")
    return records


def _write(connection: Connection, path: str, key: str, bodies: list[dict[str, Any]], refs: list[str]) -> list[PushResult]:
    """POST ``{key: [...]}`` 100 records a request; one result per record, in order."""
    with client(connection) as http:

        def send(_: str, chunk: list[tuple[str, dict[str, Any]]]) -> list[PushResult]:
            answer = http.post(path, json={key: [body for _, body in chunk]}, expect=dict).json()
            results = answer.get("results")
            if not isinstance(results, list) or len(results) != len(chunk):
                raise DriverError(f"The store answered {path} with {len(results or [])} results for {len(chunk)} records.")
            out = []
            for (ref, _), raw in zip(chunk, results, strict=True):
                try:
                    out.append(PushResult.model_validate(raw).model_copy(update={"ref": ref}))
                except ValueError:
                    out.append(PushResult.failed(ref, f"The store's result for {ref} is not a result: {str(raw)[:200]}"))
            return out

        done = drivers.send_in_chunks(
            [(i, path, (ref, body)) for i, (ref, body) in enumerate(zip(refs, bodies, strict=True))], BATCH, send,
            refused=lambda exc: exc,
        )
    return [r if isinstance(r, PushResult) else PushResult.failed(refs[i], str(r)) for i, r in sorted(done.items())]
