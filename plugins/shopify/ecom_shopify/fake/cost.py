"""Calculated query cost and the leaky bucket, as the GraphQL Admin API documents them.

Rules (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a scalar or enum costs 0, an
object 1, an interface or union the most expensive of its possible selections, a connection 2 plus
the number of nodes asked for (``first``/``last``) times the cost of one node, a mutation 10
(``productSet``: 10 + 0.2 per variant, changelog 2025-10). The requested cost is computed before
execution from the arguments; the actual cost afterwards from what came back (a null object costs
nothing, a connection costs 2 plus its returned nodes). Two choices the documentation leaves open,
made here: a plain list of objects costs as one object when requested (its length is unknown
before execution) and per element when actual; ``nodes(ids:)`` costs one object per id.

The bucket (:class:`Bucket`) holds ``maximum`` points, refills at ``restore_rate`` per second, must
hold a query's requested cost before it runs, and is refunded the difference afterwards.
"""

from __future__ import annotations

import functools

import math
import time
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.language import ast

MUTATION_COST = 10
#: Fields inside a connection whose cost the connection's own price already covers.
CONNECTION_INSIDES = {"edges", "nodes", "pageInfo", "node", "cursor"}


class Bucket:
    """Shopify's leaky bucket of query cost points for one app on one shop."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum, self.restore_rate, self.clock = float(maximum), float(restore_rate), clock
        self._available, self._at = float(maximum), clock()

    @property
    def available(self) -> float:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def take(self, points: float) -> bool:
        if points > self.available + 1e-6:  # whole points: float dust never throttles
            return False
        self._available -= points
        return True

    def refund(self, points: float) -> None:
        self._available = min(self.maximum, self.available + points)

    def status(self) -> dict[str, float]:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": math.floor(self.available), "restoreRate": self.restore_rate}


class QueryCost:
    """Requested and actual cost of one operation of a parsed document."""

    def __init__(self, schema: GraphQLSchema, document: ast.DocumentNode, operation: ast.OperationDefinitionNode,
                 variables: dict[str, Any]) -> None:
        self.schema, self.variables = schema, variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, ast.FragmentDefinitionNode)}
        self.operation = operation

    def requested(self) -> int:
        return math.ceil(self._root(None))

    def actual(self, data: dict[str, Any] | None) -> int:
        return math.ceil(self._root(data or {}))

    def _root(self, data: dict[str, Any] | None) -> float:
        root = self.schema.mutation_type if self.operation.operation == ast.OperationType.MUTATION else self.schema.query_type
        assert root is not None
        if self.operation.operation == ast.OperationType.MUTATION:
            return sum(self._mutation(field) for field in self._fields(root, self.operation.selection_set))
        return self._selection(root, self.operation.selection_set, data, actual=data is not None)

    def _mutation(self, field: ast.FieldNode) -> float:
        if field.name.value == "productSet":
            variants = (self._args(field).get("input") or {}).get("variants") or []
            return MUTATION_COST + 0.2 * len(variants)
        return MUTATION_COST

    def _args(self, field: ast.FieldNode) -> dict[str, Any]:
        return {a.name.value: value_from_ast_untyped(a.value, self.variables) for a in field.arguments or ()}

    def _fields(self, parent: Any, selection_set: ast.SelectionSetNode | None) -> list[ast.FieldNode]:
        """The fields selected on ``parent``, fragments on other types left out."""
        found: list[ast.FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, ast.FieldNode):
                found.append(selection)
            else:
                fragment = self.fragments[selection.name.value] if isinstance(selection, ast.FragmentSpreadNode) else selection
                condition = fragment.type_condition.name.value if fragment.type_condition else parent.name
                if condition == parent.name or condition in self._abstract_names(parent):
                    found += self._fields(parent, fragment.selection_set)
        return found

    def _abstract_names(self, parent: Any) -> set[str]:
        if isinstance(parent, GraphQLObjectType):
            return {i.name for i in parent.interfaces} | _unions_of(self.schema).get(parent.name, set())
        return set()

    def _selection(self, parent: Any, selection_set: ast.SelectionSetNode | None, data: Any, *, actual: bool) -> float:
        if isinstance(parent, (GraphQLInterfaceType, GraphQLUnionType)):
            if actual and isinstance(data, dict) and data.get("__typename"):
                concrete = [self.schema.get_type(data["__typename"])]
            else:
                concrete = list(self.schema.get_possible_types(parent))
            return max((self._selection(t, selection_set, data, actual=actual) for t in concrete), default=0.0)
        total = 0.0
        for field in self._fields(parent, selection_set):
            if field.name.value.startswith("__"):
                continue
            definition = parent.fields[field.name.value]
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            key = field.alias.value if field.alias else field.name.value
            value = data.get(key) if isinstance(data, dict) else None
            if named.name.endswith("Connection"):
                total += self._connection(named, field, value, actual=actual)
            elif actual:
                items = value if isinstance(value, list) else [value]
                total += sum(1 + self._selection(named, field.selection_set, item, actual=True) for item in items if item is not None)
            else:
                count = len(self._args(field).get("ids") or [None]) if field.name.value == "nodes" else 1
                total += count * (1 + self._selection(named, field.selection_set, None, actual=False))
        return total

    def _connection(self, connection: Any, field: ast.FieldNode, value: Any, *, actual: bool) -> float:
        node_type = get_named_type(connection.fields["nodes"].type)
        node_selections = []
        for inner in self._fields(connection, field.selection_set):
            if inner.name.value == "nodes":
                node_selections.append((inner.selection_set, "nodes"))
            elif inner.name.value == "edges":
                edge_type = get_named_type(connection.fields["edges"].type)
                for edge_field in self._fields(edge_type, inner.selection_set):
                    if edge_field.name.value == "node":
                        node_selections.append((edge_field.selection_set, "edges"))
        if not actual:
            args = self._args(field)
            asked = args.get("first") or args.get("last") or 0
            per_node = max((1 + self._selection(node_type, s, None, actual=False) for s, _ in node_selections), default=1.0)
            return 2 + asked * per_node
        if not isinstance(value, dict):
            return 0.0
        nodes_cost = 0.0
        for selection, via in node_selections:
            items = value.get("nodes") if via == "nodes" else [e.get("node") for e in value.get("edges") or []]
            nodes_cost = max(nodes_cost, sum(1 + self._selection(node_type, selection, n, actual=True) for n in items or [] if n))
        return 2 + nodes_cost


@functools.cache
def _unions_of(schema: GraphQLSchema) -> dict[str, set[str]]:
    """Object type name -> the unions it belongs to (the full schema has thousands of types: once)."""
    unions: dict[str, set[str]] = {}
    for union in schema.type_map.values():
        if isinstance(union, GraphQLUnionType):
            for member in union.types:
                unions.setdefault(member.name, set()).add(union.name)
    return unions
