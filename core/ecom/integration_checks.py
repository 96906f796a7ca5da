"""The rules an integration's settings must follow before they are saved, in one place.

- :data:`REFERENCES` lists every setting that names a back-office thing (a ship method, a term,
  an item's SKU, a customer...): :func:`check_references` reports each name that does not exist,
  with the setting's path (``shipping.default_method``) and a close match when there is one. It
  reads plain dicts, so a TOML file that does not even validate still gets its names checked.
- :func:`check_settings` adds the rules where settings need each other (freight in the Freight box
  needs the ship methods to have an other-charge item, tax codes taxable or not as their slot
  says, discounts with an item, no grid row mapped twice), and, given the cart kind, the rules
  the cart's driver sets (the cart status after import must be one of its statuses).
- :func:`readiness_problems`: what an integration needs before it may be activated or synced.
- :func:`freight_users`: which active integrations put freight through which ship methods, so a
  change to the ship methods list (``ecom import ship-methods``) cannot silently break them.
- :func:`check_api_url` and :func:`required_problems`: the connection fields, by the rules of
  :func:`ecom.http.normalise_api_url` (an http(s) URL, plain HTTP only to this machine, no secret
  in it) and of the integration's driver (``CartInfo.required``, ``api_paths``,
  ``plain_http_option``), when the driver is installed.
- :func:`validation_problems`: pydantic's errors in the same ``path: message`` words.

Every check returns a list of :class:`Problem`; the caller reports all of them at once.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select

from ecom import models as m
from ecom.errors import EcomError
from ecom.http import normalise_api_url
from ecom.records import CartInfo
from ecom.settings import IntegrationSettings

PATH_ORDER = ("", "name", "cart", "active", "connection", "website_name", "api_url", "username", "password", "password_env", *IntegrationSettings.model_fields)
GRID_TABLES = (m.IntegrationLocation, m.IntegrationTaxState, m.IntegrationShipMethod, m.IntegrationPaymentMethod, m.IntegrationDiscount)
SUGGEST_LIMIT = 2000  # lists up to this size are read whole, to suggest a close name


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the settings: where (a dotted path) and what, in words."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def sort_key(self) -> tuple[int, str]:
        """Problems read in the file's order: identity, connection, then the tabs in editor order."""
        head = self.path.split(".", 1)[0].split("[", 1)[0]
        return (PATH_ORDER.index(head) if head in PATH_ORDER else len(PATH_ORDER), self.path)


@dataclass(frozen=True)
class Kind:
    """A back-office list that settings point into, by one of its columns."""

    label: str
    model: type
    column: str = "name"

    def where(self) -> list[Any]:
        if self.model is m.CustomField:
            return [m.CustomField.applies_to == m.CustomFieldTarget.TRANSACTION]
        return []


LOCATION = Kind("location", m.Location)
ITEM_GROUP = Kind("item group", m.ItemGroup)
ITEM = Kind("item", m.Item, "sku")
CUSTOMER = Kind("customer", m.Customer)
CUSTOMER_TYPE = Kind("customer type", m.CustomerType)
SALES_REP = Kind("sales rep", m.SalesRep)
CLASS = Kind("class", m.TransactionClass)
CUSTOM_FIELD = Kind("transaction custom field", m.CustomField)
TAX_CODE = Kind("sales tax code", m.SalesTaxCode)
ITEM_SALES_TAX = Kind("item sales tax", m.ItemSalesTax)
SHIP_METHOD = Kind("ship method", m.ShipMethod)
PAYMENT_METHOD = Kind("payment method", m.PaymentMethod)
TERM = Kind("term", m.Term)
DISCOUNT = Kind("discount", m.Discount)

#: Every setting that names a back-office thing. ``[]`` = each element of a list, ``{}`` = each
#: value of a table, ``{key}`` = each key of a table.
REFERENCES: tuple[tuple[str, Kind], ...] = (
    ("general.locations[]", LOCATION),
    ("general.location_map{key}", LOCATION),
    ("general.import_product_group", ITEM_GROUP),
    ("general.cart_items[].sku", ITEM),
    ("preferences.taxable_proxy", CUSTOMER),
    ("preferences.nontaxable_proxy", CUSTOMER),
    ("preferences.customer_type", CUSTOMER_TYPE),
    ("preferences.sales_rep", SALES_REP),
    ("preferences.location", LOCATION),
    ("preferences.class", CLASS),
    ("preferences.web_order_number_field", CUSTOM_FIELD),
    ("sales_tax.taxable_code", TAX_CODE),
    ("sales_tax.taxable_item_tax", ITEM_SALES_TAX),
    ("sales_tax.states{}", ITEM_SALES_TAX),
    ("sales_tax.nontaxable_code", TAX_CODE),
    ("sales_tax.nontaxable_item_tax", ITEM_SALES_TAX),
    ("sales_tax.nontaxable_shipping_tax", ITEM_SALES_TAX),
    ("shipping.default_method", SHIP_METHOD),
    ("shipping.methods[].method", SHIP_METHOD),
    ("shipping.freight_item", ITEM),
    ("shipping.fee_item", ITEM),
    ("payments.default_method", PAYMENT_METHOD),
    ("payments.default_term", TERM),
    ("payments.methods[].method", PAYMENT_METHOD),
    ("payments.methods[].term", TERM),
    ("discounts.default_discount", DISCOUNT),
    ("discounts.codes[].discount", DISCOUNT),
)


# --- references ------------------------------------------------------------------------------


def references(data: dict[str, Any]) -> Iterator[tuple[str, Kind, str]]:
    """(path, kind, name) of every back-office name in settings ``data`` (as dumped, by alias)."""
    for pattern, kind in REFERENCES:
        for path, value in _walk(data, pattern.split("."), ""):
            if isinstance(value, str) and value:
                yield path, kind, value


def _walk(node: Any, tokens: list[str], path: str) -> Iterator[tuple[str, Any]]:
    if not tokens:
        yield path, node
        return
    token, rest = tokens[0], tokens[1:]
    if not isinstance(node, dict):
        return
    name, _, mark = token.partition("[") if "[" in token else token.partition("{")
    value = node.get(name)
    here = f"{path}.{name}" if path else name
    if value is None:
        return
    if token.endswith("[]"):
        if isinstance(value, list):
            for index, element in enumerate(value):
                yield from _walk(element, rest, f"{here}[{index}]")
    elif token.endswith("{key}"):
        if isinstance(value, dict):
            for key in value:
                yield f"{here}.{key}", key
    elif token.endswith("{}"):
        if isinstance(value, dict):
            for key, element in value.items():
                yield from _walk(element, rest, f"{here}.{key}")
    else:
        yield from _walk(value, rest, here)


def check_references(session: Session, data: dict[str, Any]) -> list[Problem]:
    """A problem for every name in ``data`` that the back office does not have."""
    wanted: dict[Kind, set[str]] = {}
    found_refs = list(references(data))
    for _, kind, name in found_refs:
        wanted.setdefault(kind, set()).add(name)
    existing = {kind: _existing(session, kind, names) for kind, names in wanted.items()}
    problems = []
    for path, kind, name in found_refs:
        if name not in existing[kind]:
            problems.append(Problem(path, f"no {kind.label} named {name!r}{_suggestion(session, kind, name)}"))
    return problems


def _existing(session: Session, kind: Kind, names: set[str]) -> set[str]:
    column = getattr(kind.model, kind.column)
    return set(session.exec(select(column).where(col(column).in_(sorted(names)), *kind.where())))


def _suggestion(session: Session, kind: Kind, name: str) -> str:
    column = getattr(kind.model, kind.column)
    names = list(session.exec(select(column).where(*kind.where()).limit(SUGGEST_LIMIT)))
    if not names:
        plural = kind.label + ("es" if kind.label.endswith(("s", "x")) else "s")
        return f" (the back office has no {plural} yet)"
    folded = {n.casefold(): n for n in names}
    close = folded.get(name.casefold()) or next(iter(difflib.get_close_matches(name, names, n=1, cutoff=0.75)), None)
    return f" (did you mean {close!r}?)" if close else ""


def name_ids(session: Session, settings: IntegrationSettings) -> dict[str, dict[str, int]]:
    """Ids of the back-office rows the grids point at, by kind label and name."""
    grids = {
        LOCATION: set(settings.general.locations),
        ITEM_SALES_TAX: set(settings.sales_tax.states.values()),
        SHIP_METHOD: {r.method for r in settings.shipping.methods},
        PAYMENT_METHOD: {r.method for r in settings.payments.methods},
        TERM: {r.term for r in settings.payments.methods if r.term},
        DISCOUNT: {r.discount for r in settings.discounts.codes},
    }
    ids = {}
    for kind, names in grids.items():
        column = getattr(kind.model, kind.column)
        rows = session.exec(select(column, kind.model.id).where(col(column).in_(sorted(names)))).all() if names else []
        ids[kind.label] = dict(rows)
    return ids


def check_data(session: Session, data: dict[str, Any], cart_kind: str | None = None) -> tuple[IntegrationSettings | None, list[Problem]]:
    """Settings from plain ``data`` (a TOML file, edited settings) and every problem with them.

    When the data does not validate, the names are still checked, and so are the rules between
    settings on what remains once the invalid values are set aside, so one run reports it all.
    """
    try:
        settings = IntegrationSettings.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc) + check_references(session, data)
        rest = _without_errors(data, exc)
        if rest is not None:
            seen = {str(p) for p in problems}
            problems += [p for p in check_settings(session, rest, cart_kind) if str(p) not in seen]
        return None, problems
    return settings, check_settings(session, settings, cart_kind)


def _without_errors(data: dict[str, Any], exc: ValidationError) -> IntegrationSettings | None:
    """``data`` validated with each invalid value left at its default (a grid with a bad row: the
    whole grid), or None when that does not validate either."""
    rest = copy.deepcopy(data)
    for error in exc.errors():
        location = list(error["loc"])
        cut = next((i for i, part in enumerate(location) if isinstance(part, int)), len(location))
        location = location[:cut]
        node: Any = rest
        for part in location[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not location or not isinstance(node, dict):
            return None
        node.pop(location[-1], None)
    try:
        return IntegrationSettings.model_validate(rest)
    except ValidationError:
        return None


# --- settings that need each other -----------------------------------------------------------


def check_settings(
    session: Session, settings: IntegrationSettings, cart_kind: str | None = None, *, per_order: bool = True
) -> list[Problem]:
    """Every problem with valid-shaped ``settings``: unknown names, then rules between settings,
    then (given ``cart_kind``) the rules of the cart's driver.

    ``per_order=False`` leaves out what only some orders meet (a ship method without an
    other-charge item matters to orders with freight): a sync gives those orders the error
    (:mod:`ecom.mapping.shipping`) and imports the others.
    """
    data = settings.model_dump(mode="json", by_alias=True)
    problems = check_references(session, data)
    problems += _grid_problems(settings)
    problems += _tax_code_problems(session, settings)
    if per_order:
        problems += _freight_problems(session, settings)
    problems += _discount_problems(session, settings)
    problems += _payment_problems(settings)
    problems += cart_status_problems(settings, cart_kind)
    return problems


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _grid_problems(settings: IntegrationSettings) -> list[Problem]:
    """Cart-side texts must be there, and mapped once (the engine compares them folded)."""
    problems = []
    grids = (
        ("shipping.methods", [(_fold(r.cart_method), _fold(r.cart_carrier)) for r in settings.shipping.methods], "cart_method"),
        ("payments.methods", [(_fold(r.cart_method),) for r in settings.payments.methods], "cart_method"),
        ("discounts.codes", [(_fold(r.cart_code),) for r in settings.discounts.codes], "cart_code"),
    )
    for path, keys, field in grids:
        seen: dict[tuple[str, ...], int] = {}
        for index, key in enumerate(keys):
            if not key[0]:
                problems.append(Problem(f"{path}[{index}].{field}", "is empty: say which cart text the row maps"))
            elif key in seen:
                problems.append(Problem(f"{path}[{index}]", f"maps the same cart text as {path}[{seen[key]}]"))
            else:
                seen[key] = index
    for state in settings.sales_tax.states:
        if not state:
            problems.append(Problem("sales_tax.states", "a row has an empty state"))
    seen_locations: set[str] = set()
    for index, location in enumerate(settings.general.locations):
        if location in seen_locations:
            problems.append(Problem(f"general.locations[{index}]", f"{location!r} is listed twice"))
        seen_locations.add(location)
    return problems


def _tax_code_problems(session: Session, settings: IntegrationSettings) -> list[Problem]:
    tax = settings.sales_tax
    slots = (("sales_tax.taxable_code", tax.taxable_code, True), ("sales_tax.nontaxable_code", tax.nontaxable_code, False))
    names = [name for _, name, _ in slots if name]
    query = select(m.SalesTaxCode.name, m.SalesTaxCode.taxable).where(col(m.SalesTaxCode.name).in_(names))
    taxable = dict(session.exec(query).all()) if names else {}
    problems = []
    for path, name, wanted in slots:
        if name in taxable and taxable[name] != wanted:
            problems.append(Problem(path, f"sales tax code {name!r} is {'not ' if wanted else ''}taxable; use a {'' if wanted else 'non-'}taxable code"))
    return problems


def _freight_problems(session: Session, settings: IntegrationSettings) -> list[Problem]:
    """Freight in the Freight box needs every ship method used to have an other-charge item."""
    shipping = settings.shipping
    if shipping.freight_as_line:
        return []
    used = [("shipping.default_method", shipping.default_method)] + [
        (f"shipping.methods[{i}].method", r.method) for i, r in enumerate(shipping.methods)
    ]
    names = {name for _, name in used if name}
    if not names:
        return []
    rows = session.exec(
        select(m.ShipMethod.name, m.Item.sku, m.Item.type)
        .outerjoin(m.Item, m.Item.id == m.ShipMethod.other_charge_item_id)
        .where(col(m.ShipMethod.name).in_(sorted(names)))
    )
    charge = {name: (sku, item_type) for name, sku, item_type in rows}
    problems = []
    for path, name in used:
        if name not in charge:
            continue  # already reported as unknown
        sku, item_type = charge[name]
        if sku is None:
            problems.append(Problem(path, f"ship method {name!r} has no other-charge item, so freight cannot go in the Freight box: give it one, or set shipping.freight_as_line with a shipping.freight_item"))
        elif item_type != m.ItemType.OTHER_CHARGE:
            problems.append(Problem(path, f"ship method {name!r} has other-charge item {sku!r} of type {item_type.label}: it must be an other charge item"))
    return problems


def freight_users(session: Session) -> dict[str, list[str]]:
    """Ship method name → the active integrations (``'shop' (shipping.default_method)``) that put
    freight in the Freight box through it, so it needs its other-charge item."""
    users: dict[str, list[str]] = {}
    for integration in session.exec(select(m.Integration).where(col(m.Integration.active).is_(True)).order_by(m.Integration.name)):
        shipping = (integration.settings or {}).get("shipping") or {}
        if shipping.get("freight_as_line"):
            continue
        if shipping.get("default_method"):
            users.setdefault(shipping["default_method"], []).append(f"{integration.name!r} (shipping.default_method)")
        rows = session.exec(
            select(m.ShipMethod.name).join(m.IntegrationShipMethod, m.IntegrationShipMethod.ship_method_id == m.ShipMethod.id)
            .where(m.IntegrationShipMethod.integration_id == integration.id)
        )
        for name in sorted(set(rows)):
            users.setdefault(name, []).append(f"{integration.name!r} (shipping.methods)")
    return users


def _discount_problems(session: Session, settings: IntegrationSettings) -> list[Problem]:
    """A discount lands on the order through its item: every discount used needs one."""
    used = [("discounts.default_discount", settings.discounts.default_discount)] + [
        (f"discounts.codes[{i}].discount", r.discount) for i, r in enumerate(settings.discounts.codes)
    ]
    names = sorted({name for _, name in used if name})
    if not names:
        return []
    item_of = dict(session.exec(select(m.Discount.name, m.Discount.item_id).where(col(m.Discount.name).in_(names))).all())
    return [
        Problem(path, f"discount {name!r} has no item, so it cannot be put on an order: give it a discount item")
        for path, name in used
        if name in item_of and item_of[name] is None
    ]


def _payment_problems(settings: IntegrationSettings) -> list[Problem]:
    payments = settings.payments
    if payments.default_term and not payments.default_method:
        return [Problem("payments.default_term", "is set but payments.default_method is blank, so no payment would use it: set the method or clear the term")]
    return []


def after_import_statuses(info: CartInfo | None, driver_options: dict[str, Any]) -> list[str] | None:
    """The values the cart status after import may take on the cart ``info`` describes: its
    driver's list and the custom statuses mapped in the ``status_map`` driver option; None when
    any text goes (the driver takes free text, like Shopify's tag, or is not installed)."""
    if info is None or info.after_import_statuses is None:
        return None
    custom = driver_options.get("status_map")
    return list(dict.fromkeys([*info.after_import_statuses, *(custom if isinstance(custom, dict) else {})]))


def cart_status_problems(settings: IntegrationSettings, cart_kind: str | None) -> list[Problem]:
    """The cart status after import must be one the cart's driver lists (a typo would move every
    imported order to whatever status the cart makes of it). Custom statuses the admin mapped in
    ``general.driver_options.status_map`` count too. Without the driver installed nothing can be
    said (a sync needs the driver anyway, and checks again)."""
    wanted = settings.preferences.cart_status_after_import
    info = cart_info(cart_kind) if wanted and cart_kind else None
    allowed = after_import_statuses(info, settings.general.driver_options)
    if info is None or allowed is None:
        return []
    if wanted in allowed:
        return []
    close = difflib.get_close_matches(wanted, allowed, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return [Problem("preferences.cart_status_after_import", f"{wanted!r} is not a {info.title} order status{hint}: use one of {', '.join(allowed)}")]


# --- readiness -------------------------------------------------------------------------------


def readiness_problems(api_url: str, settings: IntegrationSettings, *, active: bool = False) -> list[Problem]:
    """What an integration lacks before it can be activated or synced."""
    when = "while the integration is active (deactivate it first to clear it)" if active else "before the integration can be activated or synced"
    problems = []
    if not api_url.strip():
        problems.append(Problem("api_url", f"required {when}"))
    if not settings.shipping.default_method:
        problems.append(Problem("shipping.default_method", f"required {when}: unmatched cart ship methods use it"))
    return problems


# --- connection fields -----------------------------------------------------------------------


def cart_info(cart_kind: str) -> CartInfo | None:
    """What the driver of ``cart_kind`` says about its cart, or None when it is not installed."""
    from ecom.plugins import drivers  # late: the plugin manager loads entry points

    try:
        driver = drivers().get(cart_kind)
    except EcomError:
        return None
    return driver.info if driver else None


def check_api_url(cart_kind: str, api_url: str, options: dict[str, Any] | None = None) -> tuple[str, list[Problem], list[str]]:
    """``(api_url as saved, problems, notes)``: the URL normalised (``https://`` added, the
    driver's API path removed) with a note per change, or a problem saying why it is refused.
    ``options`` are the driver options (``general.driver_options``) the URL will be used with."""
    info = cart_info(cart_kind)
    option = info.plain_http_option if info else None
    allow = bool(option and (options or {}).get(option) is True)
    try:
        url, notes = normalise_api_url(api_url, api_paths=info.api_paths if info else (), allow_plain_http=allow)
    except ValueError as exc:
        words = str(exc)
        if option and "plain HTTP" in words:
            words += f", or set general.driver_options.{option} = true (the {info.title} driver then sends no secret in clear)"  # type: ignore[union-attr]
        return api_url.strip(), [Problem("api_url", words)], []
    return url, [], notes


def required_problems(cart_kind: str, present: dict[str, bool]) -> list[Problem]:
    """A problem per connection field the driver requires and ``present`` says is empty
    (``present`` maps field names to whether they have a value; fields left out are not checked)."""
    info = cart_info(cart_kind)
    if info is None:
        return []
    return [
        Problem(name, f"required by the {info.title} driver: {getattr(info.fields, name)}")
        for name in info.required
        if name in present and not present[name]
    ]


# --- pydantic's errors in the same words -----------------------------------------------------


def dotted(location: tuple[Any, ...] | list[Any]) -> str:
    """``("shipping", "methods", 0, "method")`` → ``shipping.methods[0].method``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validation_problems(exc: ValidationError, prefix: tuple[Any, ...] = (), model: type[BaseModel] = IntegrationSettings) -> list[Problem]:
    """One :class:`Problem` per pydantic error, worded for an admin."""
    problems = []
    for error in exc.errors():
        location = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            known = _known_keys(model, location[:-1])
            close = difflib.get_close_matches(str(location[-1]), known, n=1)
            if model is not IntegrationSettings:
                what = "unknown field"
            else:
                what = "unknown section" if len(location) == 1 else "unknown setting"
            message = what + (f" (did you mean {close[0]}?)" if close else "")
        elif kind == "missing":
            message = "required"
        elif kind.startswith("value_error") or kind == "assertion_error":
            message = error["msg"].removeprefix("Value error, ")
        else:
            shown = repr(error.get("input"))
            message = f"{error['msg']} (got {shown if len(shown) <= 40 else shown[:37] + '...'})"
        problems.append(Problem(dotted(prefix + location), message))
    return problems


def _known_keys(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The keys allowed at ``location`` inside ``model`` (for "did you mean")."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part)) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _inner_model(annotation: Any) -> Any:
    """The model inside ``Model``, ``list[Model]`` or ``Model | None``, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation
