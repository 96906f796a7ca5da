"""The WooCommerce cart driver: ecom's hooks, spoken over the WooCommerce REST API v3.

Orders are read by id, ascending, in ``offset`` pages of 100 (WordPress's maximum) that overlap
by one order (:func:`ecom.drivers.overlapping_offsets`, which says why no order is skipped), since
WooCommerce has no cursor: sorted by modification date, or bounded by ``modified_before``, each
edit during the read would shift the listing. The first page's ``Date`` header is the store's
clock for the watermark. Orders kept aside after a failed import are read again with
``include=`` (100 ids a request). Other reads page through ``X-WP-TotalPages``. Writes go through
the batch routes (``orders/batch``, ``products/batch``, ``products/{id}/variations/batch``), 100
objects a request (``woocommerce_rest_batch_items_limit``), and each object's own result or error
is mapped back to its record. A status push tells the core each order's result as soon as it is
final (after its tracking note), looks for a tracking note before posting one it may have posted
already, and leaves the status after import off an order changed in the store since its import
(:func:`ecom.drivers.changed_since_import`). SKUs are resolved to products and variations with one
``GET /products?sku=a,b,...`` per 100 SKUs (WooCommerce searches variations too when given
``sku``) and cached in ``connection.refs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any

import httpx
from ecom import drivers, hookimpl
from ecom.errors import AuthError, RejectedError, RetryableError
from ecom.http import CartHTTP, page_numbers
from ecom.records import (
    CartInfo, CartOrder, CartProduct, Connection, ConnectionFields, ConnectionReport, Page, PushResult,
    StatusUpdate, StockLevel, translate_page,
)

from ecom_woocommerce import translate as tr
from ecom_woocommerce.client import auth_for, client, site_url

KIND = "woocommerce"
BATCH_LIMIT = 100
PER_PAGE = 100
REF = "woocommerce_item"  # connection.refs kind: SKU -> "product id" or "product id/variation id"
STALE = {"woocommerce_rest_product_invalid_id", "woocommerce_rest_product_variation_invalid_id"}
#: One object's outcome in a batch: (WooCommerce's object, None, "") or (None, error code, words).
Answer = tuple[Any, str | None, str]


@hookimpl
def describe_cart() -> CartInfo:
    return CartInfo(
        kind=KIND,
        title="WooCommerce",
        fields=ConnectionFields(
            website_name="The store's name, for your own reference",
            api_url="The store's address, e.g. https://shop.example.com (https:// unless the store runs on this machine)",
            username="The REST API consumer key (ck_...) from WooCommerce > Settings > Advanced > REST API",
            password="The consumer secret (cs_...) shown once when the key was created",
        ),
        statuses=tr.STATUSES,
        after_import_statuses=[slug for slug, status in tr.STATUSES.items() if status not in ("archived", "not imported")],
        docs_url="https://woocommerce.github.io/woocommerce-rest-api-docs/",
        required=["api_url", "username", "password"],
        api_paths=[r"/wp-json(/wc/v\d+)?"],
        plain_http_option="allow_http",  # requests are then signed with OAuth 1.0a: no secret in clear
    )


@hookimpl
def test_connection(connection: Connection, operations: frozenset[str]) -> ConnectionReport:
    method = auth_for(connection).description
    with client(connection) as http:
        try:
            total = http.get("/orders", params={"per_page": 1}).headers.get("X-WP-Total", "an unknown number of")
        except AuthError as exc:
            if "cannot list resources" not in str(exc) or method != "HTTP Basic over HTTPS":
                raise
            raise AuthError(f"{exc}. WooCommerce did not recognise the consumer key; if it is right, the web server "
                            "may drop the Authorization header: set the query_string_auth option.", status=exc.status) from None
        report = ConnectionReport(
            message=f"Connected to {connection.website_name or site_url(connection.api_url)}: WooCommerce lists {total} orders.",
            details={"orders": total, "authentication": method},
        )
        writes = {"push_status", "push_inventory", "upsert_products"} & set(operations)
        if writes:  # an empty batch changes nothing but is refused to a read-only key
            probe = "/orders/batch" if writes == {"push_status"} else "/products/batch"
            try:
                http.post(probe, json={})
            except (AuthError, RejectedError) as exc:
                what = "This key cannot write" if isinstance(exc, AuthError) else "WooCommerce refused a write check"
                report.warnings.append(f"{what} ({', '.join(sorted(writes))} will fail): {exc}")
    return report


@hookimpl
def fetch_orders(connection: Connection, since: datetime | None) -> Iterator[Page[CartOrder]]:
    translate = partial(tr.translate_order, statuses=tr.status_table(connection.options))
    params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "id", "order": "asc"}
    if since is not None:  # WordPress's modified_after is exclusive and to the second
        params |= {"modified_after": _gmt(since - timedelta(seconds=1)), "dates_are_gmt": True}
    with client(connection) as http:

        def read(status: str | None, offset: int) -> tuple[httpx.Response, list[Any]]:
            response = http.get("/orders", params={**params, "status": status, "offset": offset})
            return response, response.json()

        # "any" leaves out trashed orders, which are read after the others and yielded archived
        answers = chain.from_iterable(drivers.overlapping_offsets(partial(read, status), PER_PAGE, _id) for status in (None, "trash"))
        yield from drivers.read_pages(answers, translate, ref=tr.order_ref)


@hookimpl
def fetch_orders_by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    translate = partial(tr.translate_order, statuses=tr.status_table(connection.options))
    with client(connection) as http:
        for chunk in drivers.chunks([i for i in ids if i.isdigit()], PER_PAGE):
            params = {"include": ",".join(chunk), "per_page": PER_PAGE, "orderby": "id", "order": "asc"}
            raws = http.get("/orders", params=params).json()
            found = {str(raw.get("id")) for raw in raws if isinstance(raw, dict)}
            if len(found) < len(chunk):  # "any" leaves trashed orders out: look there for the rest
                missing = [i for i in chunk if i not in found]
                raws += http.get("/orders", params={**params, "include": ",".join(missing), "status": "trash"}).json()
            yield translate_page(raws, translate, ref=tr.order_ref)


@hookimpl
def fetch_products(connection: Connection, since: datetime | None) -> Iterator[Page[CartProduct]]:
    translate = partial(tr.translate_product, weight_unit=_weight_unit(connection))
    params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "id", "order": "asc", "page": 1}
    if since is not None:
        params |= {"modified_after": _gmt(since - timedelta(seconds=1)), "dates_are_gmt": True}
    with client(connection) as http:
        for response in http.paginate("/products", params=params, next_params=page_numbers()):
            raws = response.json()
            page = translate_page(raws, translate, ref=tr.product_ref)
            for parent in (raw for raw in raws if raw.get("type") == "variable"):
                path = f"/products/{parent['id']}/variations"
                for sub in http.paginate(path, params={"per_page": PER_PAGE, "page": 1}, next_params=page_numbers()):
                    found = translate_page(sub.json(), partial(translate, parent=parent), ref=tr.product_ref)
                    page.records += found.records
                    page.failures += found.failures
            yield page


@hookimpl
def push_status(
    connection: Connection, updates: list[StatusUpdate], progress: Callable[[int, PushResult], None] | None
) -> list[PushResult]:
    results = drivers.Results(updates, ref=lambda u: u.order_id, progress=progress)  # each told as soon as it is final
    entries = []
    for i, update in enumerate(updates):
        status = tr.pushed_status(update)
        if not update.order_id.isdigit():
            results.fail(i, f"{update.order_id!r} is not a WooCommerce order id.")
        elif status is None:
            results.fail(i, "No WooCommerce status was chosen for after import.")
        else:
            entries.append((i, ("/orders/batch", "update"), {"id": int(update.order_id), "status": status}))
    with client(connection) as http:
        left = drivers.changed_since_import({i: updates[i] for i, _, _ in entries}, partial(_states, http), cart="WooCommerce", gone=True)
        for i, result in left.items():
            results.set(i, result)
        for i, (saved, _, words) in _batches(http, [e for e in entries if e[0] not in left]).items():
            update = updates[i]
            if saved is None:
                results.fail(i, words)
                continue
            note = tr.tracking_note(update)
            path = f"/orders/{update.order_id}/notes"
            try:
                if note and not (update.retry and tr.has_note(http.get(path).json(), note)):
                    body = {"note": note, "customer_note": bool(connection.options.get("notify_customer", True))}
                    http.post(path, json=body, idempotent=False)  # (a note found: sent before, its answer lost)
            except (RejectedError, RetryableError) as exc:
                results.fail(i, f"Status set to {saved.get('status')}, but the tracking note failed: {exc}",
                             retryable=isinstance(exc, RetryableError))
            else:
                results.ok(i, external_id=str(saved.get("id")))
    return results.done()


def _states(http: CartHTTP, ids: list[str]) -> dict[str, drivers.OrderState]:
    """Each order's last change and status, for :func:`ecom.drivers.changed_since_import`: read
    with ``include``, 100 orders a request (trashed ones are not listed: gone)."""
    found = {}
    for group in drivers.chunks(sorted(ids, key=int), PER_PAGE):
        params = {"include": ",".join(group), "per_page": PER_PAGE, "page": 1}
        for response in http.paginate("/orders", params=params, next_params=page_numbers()):
            found |= {str(raw.get("id")): (drivers.last_change(raw.get("date_modified_gmt") or raw.get("date_modified")), raw.get("status"))
                      for raw in response.json()}
    return found


@hookimpl
def push_inventory(connection: Connection, levels: list[StockLevel]) -> list[PushResult]:
    results = drivers.Results(levels, ref=lambda level: level.sku)
    for i, level in enumerate(levels):
        if level.location:
            results.fail(i, f"WooCommerce keeps one stock quantity per product; it has no location {level.location!r}.")
    with client(connection) as http:

        def attempt(todo: list[int], retry: bool) -> dict[int, Answer]:
            refs, entries, out = _resolve(http, connection, [levels[i].sku for i in todo]), [], {}
            for i in todo:
                ref = refs.get(levels[i].sku)
                if ref is None:
                    out[i] = (None, None, "No product or variation in WooCommerce has this SKU.")
                else:
                    parent, _, item = ref.rpartition("/")
                    entries.append((i, (_batch_path(parent), "update"), tr.stock_body(item, levels[i].quantity)))
            return {**out, **_batches(http, entries)}

        stale = lambda i, answer: levels[i].sku if answer[1] in STALE else None  # noqa: E731
        for i, (answer, _, words) in drivers.retry_stale_refs(connection.refs, REF, results.open(), attempt, stale).items():
            if answer is None:
                results.fail(i, words)
            else:
                results.ok(i, external_id=str(answer["id"]))
    return results.done()


@hookimpl
def upsert_products(connection: Connection, products: list[CartProduct]) -> list[PushResult]:
    results = drivers.Results(products, ref=lambda p: p.sku or p.name)
    unit, plan = _weight_unit(connection), {}
    with client(connection) as http:

        def attempt(todo: list[int], retry: bool) -> dict[int, Answer]:
            # by external id, then SKU; an id WooCommerce no longer knows: by SKU
            known = {i: _ref(products[i].parent_id, products[i].external_id) for i in todo
                     if (products[i].external_id or "").isdigit() and not retry}
            refs = _resolve(http, connection, [products[i].sku for i in todo if i not in known and products[i].sku])
            entries = []
            for i in todo:
                p = products[i]
                ref = known.get(i) or refs.get(p.sku or "")
                parent = ref.rpartition("/")[0] if ref else (p.parent_id or "")
                body = tr.product_body(p, variation=bool(parent), weight_unit=unit)
                if ref:
                    body = {"id": int(ref.rpartition("/")[2]), **body}
                elif not parent:
                    body = {"type": "simple", **body}
                plan[i] = (parent, "update" if ref else "create")
                entries.append((i, (_batch_path(parent), plan[i][1]), body))
            return _batches(http, entries)

        def stale(i: int, answer: Answer) -> str | None:
            return (products[i].sku or "") if answer[1] in STALE and plan[i][1] == "update" else None

        done = drivers.retry_stale_refs(connection.refs, REF, range(len(products)), attempt, stale)
        for i, (answer, _, words) in done.items():
            p, (parent, action) = products[i], plan[i]
            if answer is None:
                results.fail(i, words)
                continue
            if p.sku:
                connection.refs.set(REF, p.sku, _ref(parent, answer["id"]))
            results.ok(i, action="created" if action == "create" else "updated", external_id=str(answer["id"]))
    return results.done()


@hookimpl
def fake_cart() -> Any:
    from ecom_woocommerce.fake import WooCommerceFake

    return WooCommerceFake()


# -- inside ---------------------------------------------------------------------------------------


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _id(raw: Any) -> int | None:
    return raw["id"] if isinstance(raw, dict) and isinstance(raw.get("id"), int) else None


def _weight_unit(connection: Connection) -> str:
    return str(connection.options.get("weight_unit") or "kg")


def _ref(parent_id: Any, item_id: Any) -> str:
    return f"{parent_id}/{item_id}" if parent_id and str(parent_id) != "0" else str(item_id)


def _batch_path(parent: str) -> str:
    return f"/products/{parent}/variations/batch" if parent else "/products/batch"


def _resolve(http: CartHTTP, connection: Connection, skus: list[str]) -> dict[str, str]:
    """SKU → ref, from the cache or from WooCommerce (100 SKUs a request; a SKU holding a comma,
    which WooCommerce's list would split, is asked alone)."""

    def lookup(missing: list[str]) -> dict[str, str]:
        found = {}
        for group in [[s] for s in missing if "," in s] + drivers.chunks([s for s in missing if "," not in s], BATCH_LIMIT):
            params = {"sku": ",".join(group), "per_page": PER_PAGE, "page": 1}
            for response in http.paginate("/products", params=params, next_params=page_numbers()):
                for raw in response.json():
                    parent = raw.get("parent_id") if raw.get("type") == "variation" else None
                    found[raw.get("sku")] = _ref(parent, raw["id"])
        return found

    return drivers.resolve_refs(connection.refs, REF, skus, lookup)


def _batches(http: CartHTTP, entries: list[tuple[int, tuple[str, str], dict[str, Any]]]) -> dict[int, Answer]:
    """Send (index, (batch path, "create"/"update"), object) entries, ≤ 100 objects a request;
    return per index (WooCommerce's object, None, "") or (None, error code, WooCommerce's words)."""

    def send(target: tuple[str, str], bodies: list[dict[str, Any]]) -> list[Answer]:
        path, action = target
        body = http.post(path, json={action: bodies}, idempotent=action != "create").json()
        answers = body.get(action) or [] if isinstance(body, dict) else []
        out: list[Answer] = []
        for n in range(len(bodies)):
            answer = answers[n] if n < len(answers) else {"error": {"message": "WooCommerce did not answer for this item."}}
            error = answer.get("error") if isinstance(answer, dict) else None
            out.append((None, error.get("code"), tr.error_words(error)) if error else (answer, None, ""))
        return out

    return drivers.send_in_chunks(entries, BATCH_LIMIT, send, refused=lambda exc: (None, None, str(exc)))
