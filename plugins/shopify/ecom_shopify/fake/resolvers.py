"""Executing Admin API operations on the fake shop with graphql-core.

:func:`field_resolver` answers every field from the state's dicts: a callable value is called with
the field's arguments, a list behind a ``...Connection`` field is paged (``first``/``last`` are
required, at most 250, as on Shopify; a bulk operation reads everything), and root fields check
the app's access scopes (``ACCESS_DENIED`` as Shopify words it). A field the fake holds no data
for answers null, or, when the schema says non-null, the empty value of its type (:func:`empty`).
Search strings follow Shopify's syntax (:mod:`ecom_shopify.fake.search`: ``AND``, ``OR``,
``NOT``/``-``, parentheses, quoted values, comparators, ``value*`` prefixes) on the filters the
fake knows (``updated_at``, ``created_at``, ``processed_at``, ``sku``, ``id``, ``status``, ``tag``,
``title``, ``name``, ``product_id``); a filter it does not know matches everything, free text
matches the name or title.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import (
    GraphQLError, GraphQLOutputType, GraphQLResolveInfo, GraphQLSchema, get_named_type, is_abstract_type, is_enum_type,
    is_list_type, is_non_null_type, is_object_type,
)
from graphql.language import ast

from ecom_shopify.fake import search as search_syntax
from ecom_shopify.fake.state import Store

MAX_PAGE = 250
SORT_FIELDS = {"UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt", "PROCESSED_AT": "processedAt", "TITLE": "title",
               "ORDER_NUMBER": "legacyResourceId", "NAME": "name", "SKU": "sku"}
SEARCH_FIELDS = {"updated_at": "updatedAt", "created_at": "createdAt", "processed_at": "processedAt", "sku": "sku",
                 "title": "title", "name": "name"}
GID = re.compile(r"^gid://shopify/[A-Za-z]+/[^/]+$")
#: Root field -> the access scope it needs (``write_x`` grants ``read_x``).
SCOPES = {
    "orders": "read_orders", "order": "read_orders", "ordersCount": "read_orders", "job": None,
    "products": "read_products", "product": "read_products", "productVariants": "read_products",
    "inventoryItem": "read_inventory", "locations": "read_locations", "location": "read_locations",
    "fulfillmentCreate": "write_merchant_managed_fulfillment_orders", "orderClose": "write_orders",
    "orderCancel": "write_orders", "tagsAdd": "write_orders", "inventorySetQuantities": "write_inventory",
    "productSet": "write_products", "productUpdate": "write_products", "productVariantsBulkUpdate": "write_products",
}


def field_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    value = source.get(info.field_name) if isinstance(source, dict) else getattr(source, info.field_name, None)
    if callable(value):
        value = value(info, **args)
    if isinstance(value, list) and get_named_type(info.return_type).name.endswith("Connection"):
        return connection(value, args, info)
    if value is None and is_non_null_type(info.return_type):
        return empty(info.return_type.of_type, info.schema)
    return value


#: What a non-null field the fake holds no data for answers, by scalar (a custom scalar not named: "").
EMPTY_SCALARS: dict[str, Any] = {"Int": 0, "Float": 0.0, "Boolean": False, "ID": "gid://shopify/Unknown/0",
                                 "DateTime": "1970-01-01T00:00:00Z", "Date": "1970-01-01", "Decimal": "0.0",
                                 "Money": "0.0", "UnsignedInt64": "0", "BigInt": "0", "JSON": {}, "URL": "",
                                 "Color": "#000000"}


def empty(type_: GraphQLOutputType, schema: GraphQLSchema) -> Any:
    """The empty value of a (nullable view of a) non-null type: [], an empty connection, an object
    whose own fields default in turn, an enum's first value, a zero scalar."""
    if is_list_type(type_):
        return []
    named = get_named_type(type_)
    if named.name.endswith("Connection") and is_object_type(named):
        return {"edges": [], "nodes": [], "pageInfo": {"hasNextPage": False, "hasPreviousPage": False,
                                                       "startCursor": None, "endCursor": None}}
    if is_abstract_type(named):
        return {"__typename": schema.get_possible_types(named)[0].name}  # type: ignore[arg-type]
    if is_object_type(named):
        return {"__typename": named.name}
    if is_enum_type(named):
        return next(iter(named.values))  # type: ignore[attr-defined]
    return EMPTY_SCALARS.get(named.name, "")


def denied(field: str, scope: str) -> GraphQLError:
    needed = f"`{scope}` access scope."
    return GraphQLError(f"Access denied for {field} field. Required access: {needed}",
                        extensions={"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                                    "requiredAccess": needed})


def check_scope(info: GraphQLResolveInfo, field: str) -> None:
    scope = SCOPES.get(field)
    granted = info.context["scopes"]
    if scope and scope not in granted and scope.replace("read_", "write_") not in granted:
        raise denied(field, scope)


def _cursor(key: tuple[Any, ...]) -> str:
    return base64.b64encode(json.dumps({"last_value": key[0], "last_id": key[1]}).encode()).decode()


def _after(cursor: str) -> tuple[Any, ...]:
    try:
        data = json.loads(base64.b64decode(cursor))
        return (data["last_value"], data["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError("Invalid cursor for current pagination sort.") from None


def connection(items: list[Any], args: dict[str, Any], info: GraphQLResolveInfo, sort_key: str | None = None) -> dict[str, Any]:
    """A Relay connection over ``items``, keyset-paged by (sort value, id number)."""
    first, last = args.get("first"), args.get("last")
    if not info.context.get("bulk"):
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last")
        if (first or 0) > MAX_PAGE or (last or 0) > MAX_PAGE:
            raise GraphQLError(f"The maximum number of items requested per page is {MAX_PAGE}.")
    field = SORT_FIELDS.get(sort_key or "", "")

    def key(position: int, item: Any) -> tuple[Any, ...]:
        value = item.get(field) if field and isinstance(item, dict) else position
        number = int(str(item.get("legacyResourceId") or 0)) if isinstance(item, dict) else position
        return (value if not isinstance(value, str) or not value.isdigit() else int(value), number)

    keyed = sorted(((key(i, item), item) for i, item in enumerate(items)), key=lambda pair: pair[0])
    if args.get("reverse"):
        keyed.reverse()
    if args.get("after"):
        mark = _after(args["after"])
        keyed = [(k, item) for k, item in keyed if (k > mark if not args.get("reverse") else k < mark)]
    if args.get("before"):
        mark = _after(args["before"])
        keyed = [(k, item) for k, item in keyed if (k < mark if not args.get("reverse") else k > mark)]
    window = keyed[:first] if first is not None else keyed[-last:] if last is not None else keyed
    edges = [{"node": item, "cursor": _cursor(k)} for k, item in window]
    return {
        "edges": edges, "nodes": [e["node"] for e in edges],
        "pageInfo": {"hasNextPage": len(window) < len(keyed) and first is not None,
                     "hasPreviousPage": len(window) < len(keyed) and last is not None,
                     "startCursor": edges[0]["cursor"] if edges else None, "endCursor": edges[-1]["cursor"] if edges else None},
    }


def matches(search: str | None, item: dict[str, Any]) -> bool:
    """Whether ``item`` matches a Shopify search string (:mod:`ecom_shopify.fake.search`)."""
    if not search or not search.strip():
        return True
    return search_syntax.evaluate(search_syntax.parse(search), lambda name, op, value: _term(name, op, value, item))


def _term(name: str | None, op: str, value: str, item: dict[str, Any]) -> bool:
    if name is None:
        return value.lower() in str(item.get("name") or item.get("title") or "").lower()
    name = name.lower()
    if value == "*":  # the field has any value
        return bool(_field_value(name, item))
    if name == "status":
        state = "cancelled" if item.get("cancelledAt") else "closed" if item.get("closed") else "open"
        return value in ("any", state)
    if name == "tag":
        return value.lower() in (t.lower() for t in item.get("tags") or [])
    if name in ("id", "product_id"):
        have = item.get("legacyResourceId") if name == "id" else (item.get("product") or {}).get("legacyResourceId")
        if op == "=" and value.startswith("gid://"):
            return item.get("id") == value
        if not str(have or "").isdigit() or not value.isdigit():
            return False
        return _compare(int(str(have)), op, int(value))
    field = SEARCH_FIELDS.get(name)
    if field is None:
        return True  # Shopify ignores filters it does not know (with a search warning)
    have = item.get(field)
    if field.endswith("At"):
        moment, bound = _moment(have), _moment(value)
        return moment is not None and bound is not None and _compare(moment, op, bound)
    if not isinstance(have, str):
        return False
    have, value = have.lower(), value.lower()
    if op == "=" and value.endswith("*"):
        return have.startswith(value[:-1])
    return _compare(have, op, value)


def _field_value(name: str, item: dict[str, Any]) -> Any:
    return item.get(SEARCH_FIELDS.get(name, name))


def _compare(have: Any, op: str, value: Any) -> bool:
    return {"=": have == value, ">=": have >= value, "<=": have <= value, ">": have > value, "<": have < value}[op]


def _moment(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def lookup(store: Store, gid: str) -> dict[str, Any] | None:
    if not isinstance(gid, str) or not GID.match(gid):
        raise GraphQLError(f"Invalid global id '{gid}'", extensions={"code": "argumentLiteralsIncompatible"})
    return store.get(gid)


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            for argument in directive.arguments:
                value = argument.value
                if isinstance(value, ast.VariableNode):
                    return info.variable_values.get(value.name.value)
                return getattr(value, "value", None)
    return None


def visible_orders(store: Store, info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    """Orders the app may read: the last 60 days only, unless it holds ``read_all_orders``."""
    orders = store.all("Order")
    if "read_all_orders" in info.context["scopes"]:
        return orders
    since = datetime.now(UTC) - timedelta(days=60)
    return [o for o in orders if (_moment(o["createdAt"]) or since) >= since]

