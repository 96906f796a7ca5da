"""A cart reached through a mapping file: :class:`MappedCart` runs a :class:`.CartMapping`.

Each method is one driver hook (:mod:`ecom.hookspecs`), with the same arguments and results;
the HTTP goes through :class:`ecom.http.CartHTTP` (retries, redaction, where requests may go),
records are translated page by page through :func:`ecom.records.translate_page` (one record that
does not fit is that record's failure, naming it, the field and the expression), and writes are
one request per record, a refusal being that record's failed result in the cart's words.

The values a write's ``path`` reads are percent-encoded (a SKU ``a/../b`` stays one path
segment); its ``body`` gets them as they are. Expressions see: ``r`` (the cart's record), ``item`` (the element of an ``each`` list),
``update`` / ``level`` / ``product`` (the ecom record being written, as its public JSON),
``response`` / ``headers`` (an answer's JSON body and headers) and ``options`` (the
integration's driver options).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
from ecom.auth import credentials
from ecom.drivers import UNREADABLE, OrderState, changed_since_import, chunks, each_record, read_pages, status_table
from ecom.errors import ConfigError, DriverError, RecordError, RejectedError
from ecom.http import CartHTTP, cart_clock
from ecom.records import (
    BadValueError, CartOrder, CartProduct, Connection, ConnectionReport, Page, PushResult, Record, StatusUpdate,
    StockLevel, WebOrderStatus, failure_text, translate_page,
)
from ecom.sandbox import Expression, SandboxError
from pydantic import ValidationError

from ecom_custom_cart.declarative.mapping import CartMapping, Fields, Paging, Read, Write

#: The most pages one listing reads: a paging rule that never ends stops here, in words.
MAX_PAGES = 100_000


class MappedCart:
    """The driver hooks of one integration, as its mapping file says.

    :param connection: how to reach the cart (its password is the key or token for the auth
        styles that take one; basic uses the username too).
    :param mapping: the checked mapping (:meth:`CartMapping.from_text`).
    """

    def __init__(self, connection: Connection, mapping: CartMapping) -> None:
        self.connection, self.mapping = connection, mapping
        self.statuses = status_table(mapping.statuses, connection.options.get("status_map"), slug=str.lower)

    # -- reading --------------------------------------------------------------------------

    def test_connection(self, operations: frozenset[str] = frozenset()) -> ConnectionReport:
        """Ask the cart the mapping's ``[test_connection]`` request (else the first page of orders)."""
        missing = sorted(op for op in operations if op not in self.mapping.operations)
        warnings = [f"The mapping {self.mapping.source} has no section for {op}." for op in missing]
        with self._http() as http:
            if self.mapping.test is not None:
                method, path, params, message = self.mapping.test
                response = http.request(method, self._path(path), params=self._params(params), label="test connection")
                words = self._eval(message, "test_connection.message", **self._answer(response)) if message else None
                return ConnectionReport(message=str(words or f"{self.mapping.title} answered."), warnings=warnings)
            section = self.mapping.orders or self.mapping.products
            if section is None:
                raise ConfigError(f"{self.mapping.source}: [test_connection] is required when the mapping reads nothing.")
            http.request(section.method, self._path(section.path), params=self._params(section.params), label="test connection")
            return ConnectionReport(message=f"{self.mapping.title} answered.", warnings=warnings)

    def fetch_orders(self, since: datetime | None) -> Iterator[Page[CartOrder]]:
        return self._fetch(self._need("orders"), since, self._order)

    def fetch_products(self, since: datetime | None) -> Iterator[Page[CartProduct]]:
        return self._fetch(self._need("products"), since, self._product)

    def fetch_orders_by_id(self, ids: list[str]) -> Iterator[Page[CartOrder]]:
        """One listing per ``by_id.size`` ids (one request when they fit a page), the ids joined
        into ``by_id.param``."""
        read = self._need("orders")
        if read.by_id is None:
            raise ConfigError(f"{self.mapping.source}: orders.by_id is not set, so orders cannot be read by id.")
        with self._http() as http:
            for group in chunks(list(ids), read.by_id["size"]):
                params = {**self._params(read.params), read.by_id["param"]: read.by_id["join"].join(group)}
                for response, raws in self._pages(http, read, params, path=self._base() + read.by_id["path"]):
                    page = translate_page(raws, self._order, self._ref(read))
                    page.read_at = cart_clock(response)
                    yield page

    def preview(self, raw: dict[str, Any]) -> CartOrder:
        """What one of the cart's raw orders becomes. :raises RecordError: it does not fit."""
        read = self._need("orders")
        try:
            order = self._order(raw)
        except Exception as exc:  # noqa: BLE001 - shown as the record's failure, as an import would
            raise RecordError(failure_text(exc), ref=self._ref(read)(raw)) from None
        if order is None:
            raise RecordError("its status is mapped to 'not imported'", ref=self._ref(read)(raw))
        return order

    # -- writing --------------------------------------------------------------------------

    def push_status(
        self, updates: list[StatusUpdate], progress: Callable[[int, PushResult], None] | None = None
    ) -> list[PushResult]:
        write = self._need("status_push")
        left = changed_since_import(updates, self._states) if self.mapping.orders and self.mapping.orders.by_id else {}
        with self._http() as http:

            def send(indexed: tuple[int, StatusUpdate]) -> PushResult:
                i, update = indexed
                if update.kind not in write.kinds:
                    raise RejectedError(f"The mapping {self.mapping.source} sends no {update.kind!r} updates.")
                if i in left:
                    return left[i]
                return self._send(http, write, "status_push", update.order_id, update=update.model_dump(mode="json"))

            return each_record(enumerate(updates), send, ref=lambda indexed: indexed[1].order_id, progress=progress)

    def _states(self, ids: list[str]) -> dict[str, OrderState]:
        """The orders' last changes and statuses, read by id (:func:`ecom.drivers.changed_since_import`).
        When the cart sent an order the mapping could not read, the orders not read are taken as
        changed (:data:`~ecom.drivers.UNREADABLE`): left alone, not changed on a guess."""
        pages = list(self.fetch_orders_by_id(ids))
        found: dict[str, OrderState] = {o.external_id: (o.updated_at, o.cart_status) for page in pages for o in page.records}
        if any(page.failures for page in pages):
            found |= {i: (UNREADABLE, None) for i in ids if i not in found}
        return found

    def push_inventory(self, levels: list[StockLevel]) -> list[PushResult]:
        write = self._need("stock_push")
        with self._http() as http:
            return each_record(levels, lambda lv: self._send(http, write, "stock_push", lv.sku, level=lv.model_dump(mode="json")),
                               ref=lambda lv: lv.sku)

    def upsert_products(self, products: list[CartProduct]) -> list[PushResult]:
        write = self._need("product_push")
        with self._http() as http:

            def send(product: CartProduct) -> PushResult:
                result = self._send(http, write, "product_push", product.sku or product.name, product=product.model_dump(mode="json"))
                if result.action != "created" and write.method != "PUT" and not product.external_id:
                    result = result.model_copy(update={"action": "created"})  # a POST without 201: new unless it names the record
                return result

            return each_record(products, send, ref=lambda p: p.sku or p.name)

    def _send(self, http: CartHTTP, write: Write, where: str, ref: str, **variables: Any) -> PushResult:
        variables["options"] = self.connection.options
        try:
            path = self._base() + str(_value(write.path, f"{where}.path", _quoted(variables)))
            body = _body(write.body, variables, f"{where}.body") if write.body is not None else None
        except BadValueError as exc:
            raise RecordError(f"The mapping {self.mapping.source} could not build the request: {exc}") from None
        response = http.request(write.method, path, json=body, idempotent=write.idempotent, expect=None, label=f"{where} {ref}")
        external_id = None
        if write.result_id is not None:
            try:
                value = write.result_id(**self._answer(response))
            except SandboxError:
                value = None
            external_id = None if value in (None, "") else str(value)
        # 201 Created says a record was made; a PUT that made none answers otherwise (RFC 9110 §9.3.4)
        action = "created" if where == "product_push" and response.status_code == 201 else "updated"
        return PushResult(ref=ref, ok=True, action=action, external_id=external_id)

    # -- the pieces -----------------------------------------------------------------------

    def _need(self, section: str) -> Any:
        value = getattr(self.mapping, section)
        if value is None:
            raise ConfigError(f"{self.mapping.source}: has no [{section}] section, so this operation is not available.")
        return value

    def _http(self) -> CartHTTP:
        c, name = self.connection, self.mapping.auth_name
        how = credentials(self.mapping.auth_style, user=c.username, secret=c.password.get_secret_value(), name=name)
        return CartHTTP(c, base_url=c.api_url.rstrip("/"), error_message=self._cart_words, **how.options())

    def _cart_words(self, response: httpx.Response) -> str:
        """The mapping's ``errors.message`` (when it fails or gives nothing, CartHTTP reads the body
        with :func:`~ecom.http.default_error_message`)."""
        words = self.mapping.error_message(**self._answer(response)) if self.mapping.error_message else None
        return str(words or "")[:500]

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        return {"response": body, "headers": dict(response.headers), "options": self.connection.options}

    def _base(self) -> str:
        return self.mapping.base_path

    def _path(self, path: Expression, **variables: Any) -> str:
        return self._base() + str(self._eval(path, "path", options=self.connection.options, **variables))

    def _params(self, params: dict[str, Expression]) -> dict[str, Any]:
        return {k: self._eval(v, f"params.{k}", options=self.connection.options) for k, v in params.items()}

    def _eval(self, expression: Expression, where: str, **variables: Any) -> Any:
        try:
            return expression(**variables)
        except SandboxError as exc:
            raise ConfigError(f"{self.mapping.source}: {where}: {expression.source!r} {exc}") from None

    def _fetch(self, read: Read, since: datetime | None, translate: Callable[[dict[str, Any]], Any]) -> Iterator[Page[Any]]:
        params = self._params(read.params)
        if since is not None and read.since_param:
            params[read.since_param] = since.astimezone(UTC).strftime(read.since_format)
        with self._http() as http:
            yield from read_pages(self._pages(http, read, params), translate, ref=self._ref(read))

    def _pages(
        self, http: CartHTTP, read: Read, params: dict[str, Any], *, path: str | None = None
    ) -> Iterator[tuple[httpx.Response, list[Any]]]:
        """Each page of a listing with the records in it, in the mapping's paging style."""
        paging: Paging = read.paging
        path = path if path is not None else self._path(read.path)
        style = paging.style
        if paging.size_param:
            params[paging.size_param] = paging.size
        number = paging.start if style == "page" else 0
        seen: set[str] = set()
        for count in range(MAX_PAGES):
            if style == "page":
                params[paging.param] = number
            elif style == "offset":
                params[paging.param] = number
            response = http.request(read.method, path, params=params, label=f"{read.fields.model.__name__} page {count + 1}")
            raws = self._records(response, read)
            yield response, raws
            if style == "none" or not raws:
                return
            if style in ("page", "offset"):
                if paging.size_param and len(raws) < paging.size:
                    return
                if paging.last_page is not None:
                    last = self._eval(paging.last_page, "paging.last_page", **self._answer(response))
                    if last is not None and style == "page" and number >= int(last):
                        return
                number += 1 if style == "page" else len(raws)
                continue
            if style == "cursor":
                cursor = self._eval(paging.next, "paging.next", **self._answer(response))  # type: ignore[arg-type]
                if cursor in (None, ""):
                    return
                token = str(cursor)
                params[paging.param] = token
            else:  # link: the next page's whole URL, from the Link header (RFC 8288)
                token = response.links.get("next", {}).get("url", "")
                if not token:
                    return
                url = httpx.URL(token)
                path, params = str(url.copy_with(query=None)), dict(url.params)  # the helper sends params, not the URL's query
            if token in seen:  # a Link URL may carry the key: redacted
                raise DriverError(http.redact(f"{self.mapping.source}: the cart gave the same next page twice ({token!r}): its paging never ends."))
            seen.add(token)
        raise DriverError(f"{self.mapping.source}: read {MAX_PAGES} pages without reaching the last; the paging rule never ends.")

    def _records(self, response: httpx.Response, read: Read) -> list[Any]:
        body: Any = response.json()
        where = read.records or "the top level"
        for part in [p for p in read.records.split(".") if p]:
            if not isinstance(body, dict) or part not in body:
                found = ", ".join(sorted(map(str, body))[:10]) if isinstance(body, dict) else type(body).__name__
                raise DriverError(f"{self.mapping.source}: the cart's answer has no {part!r} on the way to the records at {where} (it has: {found}).")
            body = body[part]
        if body is None:  # an empty page written as null
            return []
        if not isinstance(body, list):
            raise DriverError(f"{self.mapping.source}: the cart's answer has no list of records at {where} (found {type(body).__name__}).")
        return body

    def _ref(self, read: Read) -> Callable[[dict[str, Any]], str]:
        number = read.ref or read.fields.scalars.get("number") or read.fields.scalars.get("external_id") or read.fields.scalars.get("sku")

        def ref(raw: dict[str, Any]) -> str:
            value = number(r=raw, item=None, options=self.connection.options) if number is not None else None
            return str(value) if value not in (None, "") else "(unidentified record)"

        return ref

    # -- translation ----------------------------------------------------------------------

    def _order(self, raw: dict[str, Any]) -> CartOrder | None:
        if not isinstance(raw, dict):
            raise BadValueError("record", raw, "is not an object")
        data = self._values(self._need("orders").fields, raw, raw, self.mapping.source)
        word = data.get("status")
        target = self.statuses.get(str(word).lower()) if word is not None else None
        if target is None and word is not None:
            try:
                target = WebOrderStatus(str(word))
            except ValueError:
                known = ", ".join(sorted(self.statuses)) or "none"
                raise BadValueError("status", word, f"is not in the mapping's [statuses] (it knows {known})") from None
        if target == "not imported":
            return None
        data.setdefault("cart_status", None if word is None else str(word))
        if target == "archived":
            data["archived"], target = True, WebOrderStatus.VOIDED
        data["status"] = target
        return _build(self._need("orders").fields, data)

    def _product(self, raw: dict[str, Any]) -> CartProduct:
        if not isinstance(raw, dict):
            raise BadValueError("record", raw, "is not an object")
        fields = self._need("products").fields
        return _build(fields, self._values(fields, raw, raw, self.mapping.source))

    def _values(self, fields: Fields, record: dict[str, Any], item: Any, source: str, *, own_raw: bool = True) -> dict[str, Any]:
        """The field values of one (sub-)record, as a dict the model validates."""
        variables = {"r": record, "item": item, "options": self.connection.options}
        out: dict[str, Any] = {}
        for name, expression in fields.scalars.items():
            value = _value(expression, f"{fields.where}.{name}", variables)
            if name in fields.texts and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                value = str(value)
            out[name] = value
        for name, sub in fields.records.items():
            values = self._values(sub, record, item, source, own_raw=False)
            out[name] = values if any(v not in (None, "", []) for k, v in values.items() if k != "raw") else None
        for name, (each, sub) in fields.lists.items():
            elements = _value(each, f"{sub.where}.each", variables)
            if elements is None:
                elements = []
            if not isinstance(elements, (list, tuple)):
                raise BadValueError(f"{sub.where}.each", elements, "is not a list")
            out[name] = [self._values(sub, record, element, source) for element in elements]
        if own_raw and "raw" in fields.model.model_fields and "raw" not in out and isinstance(item, dict):
            out["raw"] = item
        return out


def _value(expression: Expression, where: str, variables: dict[str, Any]) -> Any:
    try:
        return expression(**variables)
    except SandboxError as exc:
        raise BadValueError(where, None, "", text=f"{where} {expression.source!r} {exc}") from None


def _quoted(value: Any) -> Any:
    """Every text in ``value`` percent-encoded, for a path: a SKU ``a/../b`` stays one segment."""
    if isinstance(value, str):
        return quote(value, safe="")
    if isinstance(value, dict):
        return {k: _quoted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    return value


def _build(fields: Fields, data: dict[str, Any]) -> Any:
    try:
        return fields.model.model_validate(data)
    except ValidationError as exc:
        text = failure_text(exc, data)
        sources = dict.fromkeys(_source(fields, [p for p in e["loc"] if isinstance(p, str)]) for e in exc.errors(include_url=False))
        shown = "; ".join(s for s in sources if s)
        raise BadValueError("", None, "", text=f"{text} (mapping: {shown})" if shown else text) from None


def _source(fields: Fields, path: list[str]) -> str | None:
    """The mapping field and expression behind a record field (``lines.unit_price``)."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if head in fields.scalars and not rest:
        return f"{fields.where}.{head} = {fields.scalars[head].source!r}"
    if head in fields.records:
        return _source(fields.records[head], rest)
    if head in fields.lists:
        return _source(fields.lists[head][1], rest)
    return None


def _body(template: Any, variables: dict[str, Any], where: str) -> Any:
    if isinstance(template, dict):
        return {k: _body(v, variables, f"{where}.{k}") for k, v in template.items()}
    if isinstance(template, list):
        return [_body(v, variables, f"{where}[{n}]") for n, v in enumerate(template)]
    return _value(template, where, variables)
