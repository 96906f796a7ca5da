"""Every GraphQL document the driver sends, checked against Shopify's full published 2026-07 schema
as the package ships it (what the fake serves), and the shipped file checked against the published
SDL when that is beside the repository (``shared/reference/``; otherwise that test skips and says why).
"""

from __future__ import annotations

import pytest
from graphql import parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from ecom_shopify import queries
from ecom_shopify.fake import schema

DOCUMENTS = {**queries.DOCUMENTS, "BULK_ORDERS(since)": queries.bulk_orders_query("updated_at:>='2026-01-01T00:00:00Z'"),
             "BULK_ORDERS(all)": queries.bulk_orders_query(None)}


def test_the_driver_sends_the_documents_it_declares() -> None:
    assert {"ORDERS", "BULK_RUN", "FULFILL", "CANCEL", "SET_QUANTITIES", "PRODUCT_SET", "SHOP"} <= set(queries.DOCUMENTS)
    for name, text in queries.DOCUMENTS.items():
        assert parse(text).definitions, name


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_published_schema(name: str) -> None:
    errors = validate(schema.admin_schema(), parse(DOCUMENTS[name]), [*specified_rules, NoDeprecatedCustomRule])
    assert not errors, f"{name}: {[e.message for e in errors]}"


def test_the_shipped_schema_is_the_whole_published_one() -> None:
    full = schema.admin_schema()
    assert schema.SCHEMA_FILE.stat().st_size < 300_000
    # the counts shared/reference/README.md gives for the published SDL (types with GraphQL's own)
    assert (len(full.type_map), len(full.query_type.fields), len(full.mutation_type.fields)) == (3552, 287, 523)  # type: ignore[union-attr]
    # fields the driver never asks for, refused by the old subset
    for type_name, field in [("Order", "additionalFees"), ("Order", "discountApplications"), ("LineItem", "duties"),
                             ("Location", "address")]:
        assert field in full.get_type(type_name).fields, f"{type_name}.{field}"  # type: ignore[union-attr]


@pytest.mark.skipif(schema.reference_path() is None, reason=(
    f"the published schema {schema.REFERENCE_NAME} is not beside the repository (shared/reference/); "
    "set ECOM_SHOPIFY_SCHEMA to its path"))
def test_the_shipped_schema_is_generated_from_the_published_sdl() -> None:
    assert schema.introspection(schema.admin_schema()) == schema.introspection(schema.reference_schema()), (
        "the shipped schema is stale: run python -m ecom_shopify.fake.schema")


#: selections that shape the answer (connections, paging) rather than carry a value translate reads
STRUCTURE = {"orders", "nodes", "edges", "node", "pageInfo", "hasNextPage", "endCursor", "lineItems", "shippingLines"}


@pytest.mark.parametrize("name", ["ORDERS", "BULK_ORDERS(all)"])
def test_order_reads_ask_only_for_fields_the_translation_reads(name: str) -> None:
    """A field selected but never read is download and Shopify work for nothing (issue 13)."""
    from pathlib import Path

    from graphql import FieldNode, visit
    from graphql.language import Visitor

    import ecom_shopify.translate

    source = Path(ecom_shopify.translate.__file__).read_text()
    selected: set[str] = set()

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_args: object) -> None:
            selected.add(node.name.value)

    visit(parse(DOCUMENTS[name]), Fields())
    unread = sorted(f for f in selected - STRUCTURE if f"\"{f}\"" not in source)
    assert unread == [], f"{name} asks for fields translate.py never reads: {unread}"
