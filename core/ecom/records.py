"""The canonical cart records: the one language drivers and the core speak.

A driver translates its cart's payloads into these records and back; every business rule in the
core reads only these. They are plain data models (pydantic), never database tables, and their
JSON form is public and versioned (:data:`RECORDS_VERSION`, schema in ``docs/records.schema.json``):
``ecom integration preview`` reads it and the Custom Cart protocol sends it over the wire.

Conventions, which validation enforces:

- money is :class:`~decimal.Decimal` (a string in JSON) in the currency of the order or product
  that holds it; never float;
- datetimes are timezone-aware;
- external ids are strings, whatever the cart uses;
- ``raw`` keeps the cart's own payload for the record, for troubleshooting and custom rules.

Change a record only by adding optional fields; anything else bumps :data:`RECORDS_VERSION`.

A value a driver cannot read (a price ``N/A`` or ``12,50``, a missing field) makes that one
record a :class:`RecordFailure` whose message is one line naming the field, the line and the
value (:func:`decimal`, :func:`reading`, :func:`failure_text`). What a record may hold but an
order may not (a quantity of 0, an unknown currency...) is the mapping engine's to refuse
(:mod:`ecom.mapping.checks`), so every driver gets the same rules.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

RECORDS_VERSION = "1.0"

ZERO = Decimal("0")


class Record(BaseModel):
    """Base of the canonical records: strict about unknown fields, Decimal kept exact."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class WebOrderStatus(str, enum.Enum):
    """The six web order statuses every driver maps its cart's statuses to (SPEC §2)."""

    PROCESSING = "processing"
    ON_CREDIT_HOLD = "on_credit_hold"
    PAYMENT_PENDING = "payment_pending"
    APPROVED = "approved"
    VOIDED = "voided"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


class CartAddress(Record):
    """A billing or shipping address as the cart holds it."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = Field(None, description="State or province code where the cart has one, else its name.")
    postal_code: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = None
    email: str | None = None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class CartCustomer(Record):
    """The cart's customer behind an order. ``external_id`` is None for a guest checkout."""

    external_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    phone: str | None = None
    tax_exempt: bool = False
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class CartTaxLine(Record):
    """One tax charged by the cart, on a line, a shipping line, a fee or the whole order."""

    title: str
    rate: Decimal | None = Field(None, description="Fraction, e.g. 0.08875; None when the cart gives none.")
    amount: Decimal


class CartLine(Record):
    """One product line of an order.

    ``unit_price`` is the price per unit before discounts, as the cart shows it: excluding tax
    unless the order's ``taxes_included`` is set. ``discount`` is the total discount allocated to
    the line (all units).
    """

    external_id: str
    sku: str | None = None
    name: str = ""
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    taxable: bool = True
    tax_lines: list[CartTaxLine] = Field(default_factory=list)
    product_id: str | None = None
    variant_id: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)


class CartShippingLine(Record):
    """A shipping charge: the cart's method text (and code, carrier) and its price."""

    external_id: str | None = None
    title: str
    code: str | None = None
    carrier: str | None = None
    price: Decimal
    discount: Decimal = ZERO
    tax_lines: list[CartTaxLine] = Field(default_factory=list)


class CartFee(Record):
    """A fee line the cart adds (gift wrap, handling...)."""

    external_id: str | None = None
    name: str
    amount: Decimal
    taxable: bool = False
    tax_lines: list[CartTaxLine] = Field(default_factory=list)


class CartDiscount(Record):
    """A discount applied to the order: a code the buyer typed, or an automatic one."""

    code: str
    amount: Decimal
    kind: str | None = Field(None, description="The cart's own kind: percentage, fixed_amount, ...")


class CartPayment(Record):
    """How the order was paid: the cart's payment method (gateway) text."""

    method: str
    amount: Decimal | None = None
    reference: str | None = None


class CartOrder(Record):
    """A web order as the cart holds it, translated, with everything the mapping engine reads.

    ``status`` is the driver's mapping of the cart's status to the six web order statuses;
    ``cart_status`` keeps the cart's own word. ``archived`` orders are never imported.
    The totals are the cart's own and are kept as the truth the transaction must match.
    """

    external_id: str
    number: str = Field(description="The order number the merchant and the buyer see, e.g. #1042.")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    currency: str = Field(min_length=3, max_length=3)
    status: WebOrderStatus
    cart_status: str | None = None
    secondary_status: str | None = Field(None, description="The cart's fulfilment status.")
    financial_status: str | None = None
    sales_channel: str | None = None
    archived: bool = False
    customer: CartCustomer | None = None
    billing: CartAddress | None = None
    shipping: CartAddress | None = None
    lines: list[CartLine] = Field(default_factory=list)
    shipping_lines: list[CartShippingLine] = Field(default_factory=list)
    fees: list[CartFee] = Field(default_factory=list)
    discounts: list[CartDiscount] = Field(default_factory=list)
    payments: list[CartPayment] = Field(default_factory=list)
    tax_lines: list[CartTaxLine] = Field(default_factory=list, description="Order-level taxes, summed by title.")
    taxes_included: bool = False
    total_tax: Decimal = ZERO
    total: Decimal
    note: str | None = None
    tags: list[str] = Field(default_factory=list)
    test: bool = Field(False, description="A test order (e.g. Shopify's test checkout): skipped unless the integration imports them.")
    raw: dict[str, Any] = Field(default_factory=dict)


class CartProduct(Record):
    """A sellable product or variant, identified by SKU across ecom and the cart.

    ``external_id`` is the cart's id of the sellable unit (the variant where the cart has them);
    ``parent_id`` the product it belongs to. On export the core fills what the back office knows
    and leaves ``external_id`` set when a binding exists.
    """

    sku: str | None
    name: str
    external_id: str | None = None
    parent_id: str | None = None
    variant_title: str | None = None
    description: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    weight: Decimal | None = None
    weight_unit: Literal["kg", "g", "lb", "oz"] | None = None
    active: bool = True
    quantity: int | None = Field(None, description="Stock the cart shows, when it tracks it.")
    raw: dict[str, Any] = Field(default_factory=dict)


class StockLevel(Record):
    """A quantity to set in the cart for one SKU, at one cart location (None = the default)."""

    sku: str
    quantity: int
    location: str | None = None
    external_id: str | None = Field(None, description="The cart's id for the SKU's stock record, when known.")


class StatusUpdate(Record):
    """A change of an order's state, pushed from the back office to the cart.

    ``kind``: ``shipped`` (with tracking), ``voided``, ``closed``, or ``cart_status``: set the
    merchant's chosen "cart status after import" (``cart_status``), only while the order is as it
    was imported: changed in the cart after ``unchanged_since`` (its ``updated_at`` at import), it
    is left alone and the result says so (ok, action ``unchanged``). ``retry``: this update was sent
    before and its answer may have been lost; the driver looks whether it is already done (a
    tracking note already there, a fulfillment already made) before writing it again.
    """

    order_id: str = Field(description="The cart's external id of the order.")
    number: str | None = None
    kind: Literal["shipped", "voided", "closed", "cart_status"]
    tracking_number: str | None = None
    carrier: str | None = None
    tracking_url: str | None = None
    shipped_at: AwareDatetime | None = None
    cart_status: str | None = None
    unchanged_since: AwareDatetime | None = None
    retry: bool = False


class PushResult(Record):
    """What the cart did with one record of a write batch. A bad record never fails the batch.

    ``ref`` names the record as the merchant knows it (SKU, order number); ``message`` is the
    cart's own words when it refused.
    """

    ref: str
    ok: bool
    action: Literal["created", "updated", "unchanged", "failed"] = "updated"
    external_id: str | None = None
    message: str | None = None
    retryable: bool = False

    @classmethod
    def failed(cls, ref: str, message: str, *, retryable: bool = False) -> PushResult:
        return cls(ref=ref, ok=False, action="failed", message=message, retryable=retryable)


class RecordFailure(Record):
    """A cart record the driver could not translate: which one, why, and its payload."""

    ref: str
    message: str
    raw: dict[str, Any] = Field(default_factory=dict)


class BadValueError(ValueError):
    """A value in a cart's payload that cannot be read: where it is, the value, and why.

    Drivers raise it through :func:`decimal`; :func:`reading` adds where (``line 17``), and
    :func:`translate_page` turns it into the record's one-line failure.
    """

    def __init__(self, field: str, value: Any, reason: str, *, text: str | None = None) -> None:
        super().__init__(field, value, reason)
        self.where: list[str] = []
        self.field, self.value, self.reason, self.text = field, value, reason, text

    def __str__(self) -> str:
        return " ".join([*self.where, self.text or f"{self.field} {_shown(self.value)}: {self.reason}"])


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def decimal(value: Any, field: str, *, blank: Decimal | None = ZERO) -> Decimal:
    """A cart's amount (a string or a number) as an exact Decimal, or a :class:`BadValueError`.

    ``blank`` is what None or an empty string means (none by default: zero). A float is read
    through its shortest text, so ``12.5`` stays 12.5.
    """
    if value is None or value == "":
        if blank is None:
            raise BadValueError(field, value, "is missing")
        return blank
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise BadValueError(field, value, "is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        hint = " (write decimals with a point: 12.50)" if isinstance(value, str) and "," in value else ""
        raise BadValueError(field, value, f"is not a number{hint}") from None
    if not number.is_finite():
        raise BadValueError(field, value, "is not a finite number")
    return number


def whole(value: Any, field: str) -> int:
    """A cart's count (``2``, ``"2"``, ``2.0``) as an int, or a :class:`BadValueError` (``1.5``, ``N/A``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = decimal(value, field, blank=None)
    if number != number.to_integral_value():
        raise BadValueError(field, value, "is not a whole number")
    return int(number)


def moment(value: Any, field: str) -> datetime | None:
    """A cart's time (ISO 8601) as an aware datetime, one written without an offset read as UTC;
    None or empty: None. :raises BadValueError: it is not a time."""
    if value is None or value == "":
        return None
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        found = None
    if found is None:
        raise BadValueError(field, value, "is not a date and time (ISO 8601)")
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def unit_price(amount: Decimal, quantity: int) -> Decimal:
    """The price of one unit of a line the cart prices as a whole: exact when it has at most 4
    decimal places, else rounded to 4 (no quantity: the amount)."""
    if not quantity:
        return amount
    exact = amount / quantity
    rounded = exact.quantize(Decimal("0.0001"))
    return exact if exact == rounded else rounded


@contextmanager
def reading(where: str) -> Iterator[None]:
    """Say where a bad value met inside happened, e.g. ``with reading("line 17"):``.

    A :class:`BadValueError` gets the place in front; a record that does not validate (pydantic's
    ``ValidationError``, e.g. building a :class:`CartLine`) becomes one, in one line.
    """
    try:
        yield
    except BadValueError as exc:
        exc.where.insert(0, where)
        raise
    except ValidationError as exc:
        error = BadValueError("", None, "", text=failure_text(exc))
        error.where.append(where)
        raise error from None


def _location(loc: tuple[int | str, ...], data: Any) -> str:
    """``("lines", 0, "quantity")`` → ``line 17 quantity`` (the line's own id when the input has one)."""
    words: list[str] = []
    node = data
    for index, part in enumerate(loc):
        child = None
        if isinstance(node, dict):
            child = node.get(part) if isinstance(part, str) else None
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and part < len(node):
            child = node[part]
        if isinstance(part, int):
            ident = child.get("external_id") if isinstance(child, dict) else getattr(child, "external_id", None)
            label = str(loc[index - 1]).removesuffix("s").replace("_", " ") if index else "item"
            words[-1:] = [f"{label} {ident if ident else f'#{part + 1}'}"]
        else:
            words.append(str(part))
        node = child
    return " ".join(words)


def failure_text(exc: BaseException, data: Any = None) -> str:
    """One line saying why a record could not be read, naming the field and the value.

    Knows :class:`BadValueError`, pydantic's ``ValidationError`` (every problem, joined; ``data``
    is the input, to name lines by their id) and a missing key; anything else is its type and text.
    """
    if isinstance(exc, BadValueError):
        return str(exc)
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors(include_url=False):
            where = _location(tuple(error["loc"]), data) or exc.title
            if error["type"] == "missing":
                parts.append(f"{where} is missing")
            else:
                parts.append(f"{where} {_shown(error.get('input'))}: {error['msg'][:1].lower()}{error['msg'][1:]}")
        return "; ".join(parts)
    if isinstance(exc, KeyError) and exc.args:
        return f"{exc.args[0]} is missing"
    return " ".join(f"{type(exc).__name__}: {exc}".split())


T = TypeVar("T", CartOrder, CartProduct)


class Page(BaseModel, Generic[T]):
    """One page of a fetch: the records translated, and the ones that could not be.

    ``read_at`` is the cart's own clock when it answered (e.g. the HTTP ``Date`` header), when
    the cart says it; the core never moves a watermark past the first page's (else its own
    clock when the read started), whatever time a record claims.
    """

    records: list[T] = Field(default_factory=list)
    failures: list[RecordFailure] = Field(default_factory=list)
    read_at: AwareDatetime | None = None


def joined_pages(pages: Iterable[Page[T]], at_least: int, *, between: Callable[[], None] | None = None) -> Iterator[Page[T]]:
    """``pages``, consecutive ones joined until each holds at least ``at_least`` records (the last
    may hold fewer): a job writes and commits a joined page at once, so a cart that serves small
    pages still gets written in large batches. A joined page keeps its first page's ``read_at``;
    ``between()`` runs before each page read after the first of a joined page (the job's beat).
    """
    held: Page[T] | None = None
    source = iter(pages)
    try:
        for page in source:
            if held is None:
                held = Page(records=list(page.records), failures=list(page.failures), read_at=page.read_at)
            else:
                held.records += page.records
                held.failures += page.failures
            if len(held.records) >= at_least:
                yield held
                held = None
            elif between is not None:
                between()
        if held is not None:
            yield held
    finally:  # closed early (a job stopped reading): the driver's reader ends now, its files and requests with it
        close = getattr(source, "close", None)
        if close is not None:
            close()


def refuse_nul(record: BaseModel, where: str = "") -> None:
    """Refuse a record with a NUL character in any of its texts (nested records and lists too; not
    the cart's own ``raw`` payload): PostgreSQL refuses it in every text column and SQLite would
    keep it, so such an order fails here, the same on both, naming the field.

    :raises BadValueError: the first such field.
    """
    for name, value in record.__dict__.items():
        if isinstance(value, str):
            if "\x00" in value:
                raise BadValueError(f"{where}{name}", value, "holds a NUL character (\\x00), which the back office cannot store")
        elif isinstance(value, BaseModel):
            refuse_nul(value, f"{where}{name} ")
        elif isinstance(value, list):  # lines 3 name: "line 3 name"
            for n, item in enumerate(value, start=1):
                if isinstance(item, BaseModel):
                    refuse_nul(item, f"{where}{name.removesuffix('s')} {getattr(item, 'external_id', None) or n} ")
        elif isinstance(value, dict) and name != "raw":  # custom fields
            for key, text in value.items():
                if isinstance(text, str) and "\x00" in text:
                    raise BadValueError(f"{where}{name} {key}", text, "holds a NUL character (\\x00), which the back office cannot store")


def translate_page(
    raws: Iterable[dict[str, Any]],
    translate: Callable[[dict[str, Any]], T | None],
    ref: Callable[[dict[str, Any]], str],
) -> Page[T]:
    """Translate a page of cart payloads, turning each one that fails into a :class:`RecordFailure`.

    One malformed payload never stops the others; its failure says why in one line
    (:func:`failure_text`). ``translate`` may return None to skip a payload that is not a record
    for ecom (e.g. a checkout draft).
    """
    page: Page[T] = Page()
    for raw in raws:
        try:
            record = translate(raw)
            if isinstance(record, BaseModel):
                refuse_nul(record)
        except Exception as exc:  # noqa: BLE001 - any translation bug is this record's error
            try:
                name = ref(raw)
            except Exception:  # noqa: BLE001
                name = "(unidentified record)"
            page.failures.append(RecordFailure(ref=name, message=failure_text(exc), raw=raw))
        else:
            if record is not None:
                page.records.append(record)
    return page


class ConnectionFields(Record):
    """What the four connection settings mean for a cart, in the admin's words."""

    website_name: str
    api_url: str
    username: str
    password: str


class CartInfo(Record):
    """How a driver describes its cart to the core, the CLI and the docs.

    ``statuses`` maps each of the cart's order statuses to one of the six web order statuses,
    or to ``"archived"`` / ``"not imported"``. ``after_import_statuses``: the values the *cart
    status after import* may take (checked when settings are saved), or None when the driver takes
    free text (Shopify adds it as a tag).

    How the core checks the connection fields when they are saved (``integration add``, ``set``,
    ``apply``): ``required`` names the fields the cart cannot work without (refused empty);
    ``api_paths`` are regular expressions of the API's own paths that an admin may paste after the
    store's address (Shopify's ``/admin/api/2026-07/graphql.json``): a match at the end of the
    API URL is removed, with a note; ``plain_http_option`` names the driver option
    (``general.driver_options``) with which the admin lets plain ``http://`` reach another machine,
    for a driver that then sends no secret in clear (None: plain HTTP only to this machine).
    ``item_list``: the driver learns which back-office items the cart sells from the integration's
    own item list (``cart_items``, SPEC's Custom Cart items), so the editors show that tab.
    """

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    fields: ConnectionFields
    statuses: dict[str, WebOrderStatus | Literal["archived", "not imported"]]
    after_import_statuses: list[str] | None = None
    docs_url: str | None = None
    required: list[Literal["website_name", "api_url", "username", "password"]] = Field(default_factory=list)
    api_paths: list[str] = Field(default_factory=list)
    plain_http_option: str | None = None
    item_list: bool = False


class ConnectionReport(Record):
    """A successful Test Connection: what the cart said, and anything the admin should fix."""

    message: str
    details: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


class RefCache:
    """Where a driver keeps the cart ids it resolved (SKU → variant → inventory item, ...).

    In a job it is backed by the integration's bindings, so a lookup is made once, not each run;
    this in-memory form serves tests and previews.
    """

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], str] = {}

    def get(self, kind: str, key: str) -> str | None:
        return self._data.get((kind, key))

    def set(self, kind: str, key: str, value: str) -> None:
        self._data[(kind, key)] = value

    def forget(self, kind: str, key: str) -> None:
        self._data.pop((kind, key), None)


@dataclass(frozen=True)
class Connection:
    """Everything a driver needs to reach one cart. Passed to every operation hook.

    :ivar website_name: / api_url / username / password: the integration's four General fields;
        their meaning is the driver's (see :class:`CartInfo`). The password is a secret: read it
        with ``password.get_secret_value()`` and never put it in a message.
    :ivar options: driver-specific settings (e.g. a custom status map), as the admin set them.
    :ivar transport: an httpx transport to use instead of the network (tests, the demo's fakes).
    :ivar refs: the cache of resolved cart ids.
    """

    website_name: str
    api_url: str
    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    options: dict[str, Any] = field(default_factory=dict)
    transport: Any = None
    refs: RefCache = field(default_factory=RefCache)

    def __repr__(self) -> str:  # the dataclass repr is fine, but be explicit that no secret shows
        return f"Connection(website_name={self.website_name!r}, api_url={self.api_url!r}, username={self.username!r}, password='**********')"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message or a log line."""
        value = self.password.get_secret_value()
        return (value,) if value else ()


PUBLIC_RECORDS: tuple[type[BaseModel], ...] = (
    CartOrder,
    CartProduct,
    StockLevel,
    StatusUpdate,
    PushResult,
    RecordFailure,
    CartInfo,
    ConnectionReport,
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of every public record, under one ``$defs``."""
    from pydantic.json_schema import models_json_schema

    _, schema = models_json_schema(
        [(model, "validation") for model in PUBLIC_RECORDS],
        title=f"ecom canonical cart records {RECORDS_VERSION}",
    )
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["version"] = RECORDS_VERSION
    return schema


def schema_text() -> str:
    """The JSON Schema as published in ``docs/records.schema.json``."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
