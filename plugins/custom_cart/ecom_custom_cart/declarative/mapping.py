"""A mapping file read and checked: :class:`CartMapping`.

The file is TOML; ``docs/custom-cart-mapping.md`` is its reference and
``docs/custom-cart-mapping-example.toml`` a whole example. Everything that can be checked without
the cart is checked here, when the file is applied: unknown sections and keys, a value of the
wrong kind, an auth or paging style that does not exist, a required record field left unmapped,
an expression that does not parse, uses a forbidden statement or name (:mod:`ecom.sandbox`), or reads
a variable its place does not have. Each error is a :class:`~ecom.errors.ConfigError` naming the
file, the field (``orders.fields.lines.quantity``) and the expression.
"""

from __future__ import annotations

import tomllib
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from ecom.errors import ConfigError
from ecom.records import CartOrder, CartProduct, Record
from ecom.sandbox import Expression, SandboxError

AUTH_STYLES = ("basic", "bearer", "header", "query", "none")
PAGING_STYLES = ("page", "offset", "cursor", "link", "none")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

#: What the expressions of each place may read, besides ``range``.
READ_NAMES = frozenset({"r", "item", "options"})
RESPONSE_NAMES = frozenset({"response", "headers", "options"})
WRITE_NAMES = {
    "status_push": frozenset({"update", "options"}),
    "stock_push": frozenset({"level", "options"}),
    "product_push": frozenset({"product", "options"}),
}
#: The hook each section gives.
OPERATIONS = {
    "test_connection": "test_connection",
    "orders": "fetch_orders",
    "products": "fetch_products",
    "status_push": "push_status",
    "stock_push": "push_inventory",
    "product_push": "upsert_products",
}

_SECTIONS = {
    "cart": {"title", "base_path"},
    "auth": {"style", "name"},
    "paging": {"style", "param", "size_param", "size", "start", "next", "last_page"},
    "errors": {"message"},
    "statuses": None,  # any cart word
    "test_connection": {"method", "path", "params", "message"},
    "orders": {"method", "path", "params", "records", "since_param", "since_format", "ref", "paging", "by_id", "fields"},
    "products": {"method", "path", "params", "records", "since_param", "since_format", "ref", "paging", "fields"},
    "status_push": {"method", "path", "body", "kinds", "idempotent"},
    "stock_push": {"method", "path", "body", "idempotent"},
    "product_push": {"method", "path", "body", "idempotent", "result_id"},
}
_BY_ID_KEYS = {"path", "param", "join", "size"}


@dataclass
class Paging:
    """How a listing is read page after page."""

    style: str = "none"
    param: str = ""
    size_param: str | None = None
    size: int = 50
    start: int = 1
    next: Expression | None = None
    last_page: Expression | None = None


@dataclass
class Fields:
    """A record's field expressions: scalars, sub-records, and lists of sub-records (``each``)."""

    model: type[Record]
    scalars: dict[str, Expression] = field(default_factory=dict)
    records: dict[str, Fields] = field(default_factory=dict)
    lists: dict[str, tuple[Expression, Fields]] = field(default_factory=dict)
    where: str = ""
    texts: frozenset[str] = frozenset()  # fields holding text: a number the cart sends becomes its text


@dataclass
class Read:
    """A listing operation (orders, products)."""

    method: str
    path: Expression
    params: dict[str, Expression]
    records: str
    since_param: str | None
    since_format: str
    ref: Expression | None
    paging: Paging
    fields: Fields
    by_id: dict[str, Any] | None = None


@dataclass
class Write:
    """A write operation: one request per record."""

    method: str
    path: Expression
    body: Any
    idempotent: bool
    kinds: tuple[str, ...] = ()
    result_id: Expression | None = None


@dataclass
class CartMapping:
    """A mapping file, read and checked. Build it with :meth:`from_text`."""

    source: str
    title: str = "Custom cart"
    base_path: str = ""
    auth_style: str = "none"
    auth_name: str = ""
    error_message: Expression | None = None
    statuses: dict[str, Any] = field(default_factory=dict)
    test: tuple[str, Expression, dict[str, Expression], Expression | None] | None = None
    orders: Read | None = None
    products: Read | None = None
    status_push: Write | None = None
    stock_push: Write | None = None
    product_push: Write | None = None

    @property
    def operations(self) -> frozenset[str]:
        """The hook names this mapping can serve (``fetch_orders``, ``push_inventory``...)."""
        ops = {hook for section, hook in OPERATIONS.items() if section != "test_connection" and getattr(self, section) is not None}
        if self.test is not None or self.orders is not None or self.products is not None:
            ops.add("test_connection")  # without its own section, it reads the first page of a listing
        if self.orders is not None and self.orders.by_id is not None:
            ops.add("fetch_orders_by_id")
        return frozenset(ops)

    @classmethod
    def from_text(cls, text: str, source: str) -> CartMapping:
        """Read a mapping file's text; ``source`` names the file in every error.

        :raises ConfigError: the file is not TOML, or something in it is wrong; the message names
            the file, the field and the expression.
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: is not valid TOML: {exc}") from None
        return _Reader(source).read(data)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str, expression: str | None = None) -> ConfigError:
        shown = f" {expression!r}" if expression is not None else ""
        return ConfigError(f"{self.source}: {where}:{shown} {message}")

    # -- the sections ---------------------------------------------------------------------

    def read(self, data: dict[str, Any]) -> CartMapping:
        for name in data:
            if name not in _SECTIONS:
                raise self.fail(name, f"is not a section of a mapping; the sections are {', '.join(_SECTIONS)}")
        for name, value in data.items():
            if not isinstance(value, dict):
                raise self.fail(name, "must be a table ([" + name + "])")
            allowed = _SECTIONS[name]
            if allowed is not None:
                for key in value:
                    if key not in allowed:
                        raise self.fail(f"{name}.{key}", f"is not a key of [{name}]; it takes {', '.join(sorted(allowed))}")
        mapping = CartMapping(source=self.source)
        cart = data.get("cart", {})
        mapping.title = self.text(cart, "cart.title", default="Custom cart")
        mapping.base_path = self.text(cart, "cart.base_path", default="").rstrip("/")
        auth = data.get("auth", {})
        mapping.auth_style = self.choice(auth, "auth.style", AUTH_STYLES, default="none")
        mapping.auth_name = self.text(auth, "auth.name", default="")
        if mapping.auth_style in ("header", "query") and not mapping.auth_name:
            raise self.fail("auth.name", f"is required for auth style {mapping.auth_style!r}: the header or query parameter carrying the key")
        if "message" in data.get("errors", {}):
            mapping.error_message = self.expr(data["errors"]["message"], "errors.message", RESPONSE_NAMES)
        mapping.statuses = self.statuses(data.get("statuses", {}))
        default_paging = self.paging(data.get("paging", {}), "paging")
        if "test_connection" in data:
            test = data["test_connection"]
            mapping.test = (
                self.method(test, "test_connection", default="GET"),
                self.expr(self.required(test, "test_connection.path"), "test_connection.path", frozenset({"options"})),
                self.params(test, "test_connection"),
                self.expr(test["message"], "test_connection.message", RESPONSE_NAMES) if "message" in test else None,
            )
        if "orders" in data:
            mapping.orders = self.listing(data["orders"], "orders", CartOrder, default_paging)
        if "products" in data:
            mapping.products = self.listing(data["products"], "products", CartProduct, default_paging)
        for name in WRITE_NAMES:
            if name in data:
                setattr(mapping, name, self.write(data[name], name))
        if mapping.orders is None and mapping.products is None and not any(n in data for n in WRITE_NAMES):
            raise self.fail("(file)", "maps no operation: add [orders], [products], [status_push], [stock_push] or [product_push]")
        return mapping

    def statuses(self, table: dict[str, Any]) -> dict[str, Any]:
        from ecom.drivers import status_target

        out = {}
        for word, target in table.items():
            try:
                status_target(target)
            except ValueError:
                raise self.fail(f"statuses.{word}", "is not a web order status (Processing, On Credit Hold, Payment Pending, Approved, Voided, Closed) nor archived / not imported", str(target)) from None
            out[word.lower()] = status_target(target)
        return out

    def paging(self, table: dict[str, Any], where: str, base: Paging | None = None) -> Paging:
        keys = _SECTIONS["paging"]
        for key in table:
            if key not in keys:
                raise self.fail(f"{where}.{key}", f"is not a key of a paging table; it takes {', '.join(sorted(keys))}")
        paging = Paging(**vars(base)) if base is not None else Paging()
        if "style" in table:
            paging = Paging(style=self.choice(table, f"{where}.style", PAGING_STYLES, default="none"))
        defaults = {"page": "page", "offset": "offset", "cursor": "cursor"}
        paging.param = self.text(table, f"{where}.param", default=paging.param or defaults.get(paging.style, ""))
        if "size_param" in table:
            paging.size_param = self.text(table, f"{where}.size_param", default="")
        for key in ("size", "start"):
            if key in table:
                value = table[key]
                if not isinstance(value, int) or isinstance(value, bool) or value < (1 if key == "size" else 0) or value > 10_000:
                    raise self.fail(f"{where}.{key}", "must be a whole number from 1 to 10000" if key == "size" else "must be a whole number from 0", str(value))
                setattr(paging, key, value)
        if "next" in table:
            paging.next = self.expr(table["next"], f"{where}.next", RESPONSE_NAMES)
        if "last_page" in table:
            paging.last_page = self.expr(table["last_page"], f"{where}.last_page", RESPONSE_NAMES)
        if paging.style == "cursor" and paging.next is None:
            raise self.fail(f"{where}.next", "is required for cursor paging: an expression giving the next cursor from the answer (response, headers)")
        return paging

    def listing(self, table: dict[str, Any], where: str, model: type[Record], default_paging: Paging) -> Read:
        paging = self.paging(table["paging"], f"{where}.paging", default_paging) if "paging" in table else default_paging
        if "paging" in table and not isinstance(table["paging"], dict):
            raise self.fail(f"{where}.paging", "must be a table")
        fields = table.get("fields")
        if not isinstance(fields, dict):
            raise self.fail(f"{where}.fields", f"is required: a table mapping the cart's record to ecom's {model.__name__}")
        by_id = None
        if "by_id" in table:
            by_id = table["by_id"]
            if not isinstance(by_id, dict):
                raise self.fail(f"{where}.by_id", "must be a table")
            for key in by_id:
                if key not in _BY_ID_KEYS:
                    raise self.fail(f"{where}.by_id.{key}", f"is not a key of by_id; it takes {', '.join(sorted(_BY_ID_KEYS))}")
            self.required(by_id, f"{where}.by_id.param")
            size = by_id.get("size", 50)
            if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
                raise self.fail(f"{where}.by_id.size", "must be a whole number from 1 to 1000", str(size))
            by_id = {"path": self.text(by_id, f"{where}.by_id.path", default=table.get("path", "")), "param": by_id["param"], "join": self.text(by_id, f"{where}.by_id.join", default=","), "size": size}
        records = self.text(table, f"{where}.records", default="")
        return Read(
            method=self.method(table, where, default="GET"),
            path=self.expr(self.required(table, f"{where}.path"), f"{where}.path", frozenset({"options"})),
            params=self.params(table, where),
            records=records,
            since_param=self.text(table, f"{where}.since_param", default="") or None,
            since_format=self.text(table, f"{where}.since_format", default="%Y-%m-%dT%H:%M:%SZ"),
            ref=self.expr(table["ref"], f"{where}.ref", READ_NAMES) if "ref" in table else None,
            paging=paging,
            fields=self.fields(fields, f"{where}.fields", model),
            by_id=by_id,
        )

    def write(self, table: dict[str, Any], where: str) -> Write:
        names = WRITE_NAMES[where]
        method = self.method(table, where, default="POST" if where == "status_push" else "PUT")
        idempotent = table.get("idempotent", method != "POST")
        if not isinstance(idempotent, bool):
            raise self.fail(f"{where}.idempotent", "must be true or false", str(idempotent))
        kinds: tuple[str, ...] = ()
        if where == "status_push":
            allowed = ("shipped", "voided", "closed", "cart_status")
            kinds = tuple(table.get("kinds", allowed))
            for kind in kinds:
                if kind not in allowed:
                    raise self.fail(f"{where}.kinds", f"{kind!r} is not an update kind; they are {', '.join(allowed)}")
        if "body" in table and not isinstance(table["body"], dict):
            raise self.fail(f"{where}.body", "must be a table: the JSON object to send, its values expressions")
        return Write(
            method=method,
            path=self.expr(self.required(table, f"{where}.path"), f"{where}.path", names),
            body=self.body(table.get("body"), f"{where}.body", names),
            idempotent=idempotent,
            kinds=kinds,
            result_id=self.expr(table["result_id"], f"{where}.result_id", RESPONSE_NAMES) if "result_id" in table else None,
        )

    # -- record fields --------------------------------------------------------------------

    def fields(self, table: dict[str, Any], where: str, model: type[Record], names: frozenset[str] = READ_NAMES) -> Fields:
        out = Fields(model=model, where=where)
        known = model.model_fields
        for key, value in table.items():
            place = f"{where}.{key}"
            if key == "each":
                continue
            if key not in known:
                raise self.fail(place, f"is not a field of {model.__name__}; its fields are {', '.join(known)}")
            kind, sub = _kind(known[key].annotation)
            if kind == "record":
                if not isinstance(value, dict):
                    raise self.fail(place, f"must be a table of {sub.__name__} fields")
                out.records[key] = self.fields(value, place, sub, names)
            elif kind == "list":
                if not isinstance(value, dict) or "each" not in value:
                    raise self.fail(place, f"must be a table with 'each' (an expression giving the cart's list) and {sub.__name__} fields")
                out.lists[key] = (self.expr(value["each"], f"{place}.each", names), self.fields(value, place, sub, names))
            else:
                out.scalars[key] = self.expr(value, place, names)
                if str in (known[key].annotation, *typing.get_args(known[key].annotation)):
                    out.texts |= {key}
        for key, info in known.items():
            if info.is_required() and key not in table:
                raise self.fail(f"{where}.{key}", f"is required: {model.__name__} cannot be built without it")
        return out

    def body(self, value: Any, where: str, names: frozenset[str]) -> Any:
        if isinstance(value, dict):
            return {key: self.body(item, f"{where}.{key}", names) for key, item in value.items()}
        if isinstance(value, list):
            return [self.body(item, f"{where}[{n}]", names) for n, item in enumerate(value)]
        return self.expr(value, where, names)

    # -- values ---------------------------------------------------------------------------

    def expr(self, value: Any, where: str, names: frozenset[str]) -> Expression:
        if isinstance(value, bool) or isinstance(value, (int, float)) or value is None:
            constant = Expression("")
            constant._constant = value  # a TOML number or boolean is its own value
            constant.source = repr(value)
            return constant
        if not isinstance(value, str):
            raise self.fail(where, "must be an expression (a string)", repr(value))
        try:
            expression = Expression(value)
            unknown = sorted(expression.names - names - {"range"})
        except SandboxError as exc:
            raise self.fail(where, str(exc), value) from None
        if unknown:
            raise self.fail(where, f"reads {', '.join(unknown)}, which it does not have here; it can read {', '.join(sorted(names))}", value)
        return expression

    def params(self, table: dict[str, Any], where: str) -> dict[str, Expression]:
        params = table.get("params", {})
        if not isinstance(params, dict):
            raise self.fail(f"{where}.params", "must be a table of query parameters")
        return {k: self.expr(v, f"{where}.params.{k}", frozenset({"options"})) for k, v in params.items()}

    def required(self, table: dict[str, Any], where: str) -> Any:
        key = where.rsplit(".", 1)[-1]
        if key not in table:
            raise self.fail(where, "is required")
        return table[key]

    def text(self, table: dict[str, Any], where: str, *, default: str) -> str:
        value = table.get(where.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            raise self.fail(where, "must be text", repr(value))
        return value

    def choice(self, table: dict[str, Any], where: str, choices: tuple[str, ...], *, default: str) -> str:
        value = self.text(table, where, default=default)
        if value not in choices:
            raise self.fail(where, f"must be one of {', '.join(choices)}", value)
        return value

    def method(self, table: dict[str, Any], where: str, *, default: str) -> str:
        value = self.text(table, f"{where}.method", default=default).upper()
        if value not in HTTP_METHODS:
            raise self.fail(f"{where}.method", f"must be one of {', '.join(HTTP_METHODS)}", value)
        return value


def _kind(annotation: Any) -> tuple[str, Any]:
    """``("record", Model)``, ``("list", Model)`` or ``("value", None)`` for a field's type."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return _kind(args[0]) if len(args) == 1 else ("value", None)
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return "record", annotation
    if typing.get_origin(annotation) is list and args and isinstance(args[0], type) and issubclass(args[0], Record):
        return "list", args[0]
    return "value", None
