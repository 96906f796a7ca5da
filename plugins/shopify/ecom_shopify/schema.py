"""Shopify's Admin GraphQL schema: the published reference, and the subset the fake serves.

The full 2026-07 schema (3.7 MB of SDL, ``shared/reference/`` beside the repository) is read once per
process, lazily, and only by tests and tools: it is not shipped. The fake Shopify serves a subset
shipped with this package, ``admin-2026-07-subset.graphql``, made by :func:`subset_sdl` from the
reference: every type the driver's documents touch, with every field of those types whose type is
also kept (so a client asking for more than the driver does still gets real fields), the root
fields the driver uses, and the arguments and input types of every kept field. Descriptions are
dropped; names, types, arguments, defaults and deprecations are Shopify's own. A test regenerates
the subset from the reference and compares, so it cannot drift.

Regenerate with ``python -m ecom_shopify.schema`` after changing :mod:`ecom_shopify.queries`.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_ast_schema,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from graphql.language import ast

from ecom_shopify.api import API_VERSION

SUBSET_FILE = Path(__file__).with_name(f"admin-{API_VERSION}-subset.graphql")
REFERENCE_NAME = f"shopify-admin-{API_VERSION}.graphql"
#: Extra root fields the fake serves beyond the driver's own documents (kept for other clients).
EXTRA_ROOTS = {"QueryRoot": {"order", "product", "location", "inventoryItem", "node"}, "Mutation": set()}


def reference_path() -> Path | None:
    """Where the full published schema is: ``$ECOM_SHOPIFY_SCHEMA``, else ``shared/reference/``
    next to the repository this package sits in; None when absent."""
    if env := os.environ.get("ECOM_SHOPIFY_SCHEMA"):
        return Path(env) if Path(env).is_file() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent.parent / "shared" / "reference" / REFERENCE_NAME
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def reference_document() -> DocumentNode:
    path = reference_path()
    if path is None:
        raise FileNotFoundError(f"{REFERENCE_NAME} not found (set ECOM_SHOPIFY_SCHEMA)")
    return parse(path.read_text(encoding="utf-8"), no_location=True)


@functools.cache
def reference_schema() -> GraphQLSchema:
    """The full published schema, built once per process."""
    return build_ast_schema(reference_document(), assume_valid=True)


@functools.cache
def subset_schema() -> GraphQLSchema:
    """The schema the fake serves."""
    return build_ast_schema(parse(SUBSET_FILE.read_text(encoding="utf-8"), no_location=True))


def touched(schema: GraphQLSchema, documents: list[str]) -> tuple[set[str], dict[str, set[str]]]:
    """Named types the documents reach (fields, fragments, variables) and root fields they select."""
    types: set[str] = set()
    roots: dict[str, set[str]] = {"QueryRoot": set(), "Mutation": set()}
    info = TypeInfo(schema)

    class Collect(Visitor):
        def enter_field(self, node: ast.FieldNode, *_: object) -> None:
            parent, field = info.get_parent_type(), info.get_field_def()
            if field is not None:
                types.add(get_named_type(field.type).name)
                if parent is not None and parent.name in roots:
                    roots[parent.name].add(node.name.value)

        def enter_inline_fragment(self, node: ast.InlineFragmentNode, *_: object) -> None:
            if node.type_condition:
                types.add(node.type_condition.name.value)

        def enter_named_type(self, node: ast.NamedTypeNode, *_: object) -> None:
            types.add(node.name.value)

    for text in documents:
        visit(parse(text), TypeInfoVisitor(info, Collect()))
    return types, roots


def subset_sdl(document: DocumentNode, schema: GraphQLSchema, documents: list[str]) -> str:
    """The SDL of the part of ``schema`` (parsed as ``document``) that ``documents`` use."""
    keep, roots = touched(schema, documents)
    for root, extra in EXTRA_ROOTS.items():
        roots[root] |= extra
        keep |= {get_named_type(schema.get_type(root).fields[f].type).name for f in extra}  # type: ignore[union-attr]
    keep |= {"QueryRoot", "Mutation", "String", "Boolean", "ID", "Int", "Float", "PageInfo"}
    definitions = {d.name.value: d for d in document.definitions if hasattr(d, "name") and d.name}
    # input types used by a kept field's arguments, and everything those inputs reach
    pending = list(keep)
    while pending:
        node = definitions.get(pending.pop())
        fields = list(getattr(node, "fields", None) or [])
        if node is not None and node.name.value in roots:
            fields = [f for f in fields if f.name.value in roots[node.name.value]]
        refs = [_named(f.type) for f in fields if isinstance(node, ast.InputObjectTypeDefinitionNode)]
        for field in fields:
            if isinstance(node, ast.InputObjectTypeDefinitionNode):
                continue
            if _named(field.type) in keep or _is_leaf(definitions, _named(field.type)):
                refs += [_named(field.type)] + [_named(a.type) for a in field.arguments or []]
        for ref in refs:
            if ref not in keep and (ref in definitions or ref in ("String", "Boolean", "ID", "Int", "Float")):
                keep.add(ref)
                pending.append(ref)
    out: list[ast.DefinitionNode] = []
    for node in document.definitions:
        if isinstance(node, ast.SchemaDefinitionNode):
            out.append(node)
        elif isinstance(node, ast.DirectiveDefinitionNode):
            out.append(_undescribed(node, arguments=node.arguments))
        elif getattr(node, "name", None) and node.name.value in keep:
            out.append(_trim(node, keep, roots))
    return print_ast(DocumentNode(definitions=tuple(out))) + "\n"


def _trim(node: ast.Node, keep: set[str], roots: dict[str, set[str]]) -> ast.Node:
    changes: dict[str, object] = {}
    if isinstance(node, (ast.ObjectTypeDefinitionNode, ast.InterfaceTypeDefinitionNode)):
        name = node.name.value
        fields = [
            _undescribed(f, arguments=tuple(_undescribed(a) for a in f.arguments or ()))
            for f in node.fields or ()
            if _named(f.type) in keep and all(_named(a.type) in keep for a in f.arguments or ())
            and (name not in roots or f.name.value in roots[name])
        ]
        changes["fields"] = tuple(fields)
        changes["interfaces"] = tuple(i for i in node.interfaces or () if i.name.value in keep)
    elif isinstance(node, ast.InputObjectTypeDefinitionNode):
        changes["fields"] = tuple(_undescribed(f) for f in node.fields or ())
    elif isinstance(node, ast.UnionTypeDefinitionNode):
        changes["types"] = tuple(t for t in node.types or () if t.name.value in keep)
    elif isinstance(node, ast.EnumTypeDefinitionNode):
        changes["values"] = tuple(_undescribed(v) for v in node.values or ())
    return _undescribed(node, **changes)


def _undescribed(node: ast.Node, **changes: object) -> ast.Node:
    values = {k: getattr(node, k) for k in node.keys if k != "loc"}
    values.update(description=None, **changes)
    return type(node)(**values)


def _named(type_node: ast.TypeNode) -> str:
    while not isinstance(type_node, ast.NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value


def _is_leaf(definitions: dict[str, ast.Node], name: str) -> bool:
    node = definitions.get(name)
    return node is None or isinstance(node, (ast.ScalarTypeDefinitionNode, ast.EnumTypeDefinitionNode))


def generate() -> str:
    """The subset SDL from the reference schema and the driver's documents."""
    from ecom_shopify.queries import DOCUMENTS, bulk_orders_query

    documents = [*DOCUMENTS.values(), bulk_orders_query(None)]
    return subset_sdl(reference_document(), reference_schema(), documents)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    SUBSET_FILE.write_text(generate(), encoding="utf-8")
    print(f"wrote {SUBSET_FILE} ({SUBSET_FILE.stat().st_size} bytes)", file=sys.stderr)
