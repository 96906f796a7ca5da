"""Bulk query operations: the query run over everything, written out as Shopify's JSONL.

Each node of the query's top connection is one line; the nodes of its nested connections are
lines of their own carrying ``__parentId`` (shopify.dev/docs/api/usage/bulk-operations/queries).
With ``groupObjects: true`` children follow their parent; without it (the default since 2026-01)
Shopify promises no order, and the fake shuffles the lines (seeded by the operation) so a client
that assumes grouping fails here as it would there.
"""

from __future__ import annotations

import json
import random
from typing import Any


def is_connection(value: Any) -> bool:
    return isinstance(value, dict) and ("edges" in value or "nodes" in value)


def connection_nodes(value: dict[str, Any]) -> list[dict[str, Any]]:
    if "nodes" in value:
        return list(value["nodes"])
    return [edge["node"] for edge in value.get("edges") or []]


def flatten(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The JSONL objects for a bulk query's result, grouped, and how many are roots."""
    roots = [value for value in data.values() if is_connection(value)]
    if not roots:
        raise ValueError("Bulk queries must contain at least one connection.")
    lines: list[dict[str, Any]] = []
    count = 0
    for root in roots:
        for node in connection_nodes(root):
            _emit(node, None, lines)
            count += 1
    return lines, count


def _emit(node: dict[str, Any], parent: str | None, lines: list[dict[str, Any]]) -> None:
    own = {k: v for k, v in node.items() if not is_connection(v)}
    if parent is not None:
        own["__parentId"] = parent
    lines.append(own)
    for value in node.values():
        if is_connection(value):
            for child in connection_nodes(value):
                _emit(child, node.get("id"), lines)


def jsonl(lines: list[dict[str, Any]], *, grouped: bool, seed: str) -> bytes:
    ordered = list(lines)
    if not grouped:
        random.Random(seed).shuffle(ordered)
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in ordered).encode()
