"""Every GraphQL document the driver sends, checked against Shopify's published 2026-07 schema,
and the subset the fake serves checked against the same schema.

The full schema lives beside the repository (``shared/reference/``, not shipped); without it the
tests that need it skip and say why.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, get_named_type, parse, validate
from graphql.validation import NoDeprecatedCustomRule, specified_rules

from ecom_shopify import queries, schema

DOCUMENTS = {**queries.DOCUMENTS, "BULK_ORDERS(since)": queries.bulk_orders_query("updated_at:>='2026-01-01T00:00:00Z'"),
             "BULK_ORDERS(all)": queries.bulk_orders_query(None)}

needs_reference = pytest.mark.skipif(
    schema.reference_path() is None,
    reason=f"the published schema {schema.REFERENCE_NAME} is not beside the repository (shared/reference/); "
    "set ECOM_SHOPIFY_SCHEMA to its path",
)


def test_the_driver_sends_the_documents_it_declares() -> None:
    assert {"ORDERS", "BULK_RUN", "FULFILL", "CANCEL", "SET_QUANTITIES", "PRODUCT_SET", "SHOP"} <= set(queries.DOCUMENTS)
    for name, text in queries.DOCUMENTS.items():
        assert parse(text).definitions, name


@needs_reference
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_against_the_published_schema(name: str) -> None:
    errors = validate(schema.reference_schema(), parse(DOCUMENTS[name]), [*specified_rules, NoDeprecatedCustomRule])
    assert not errors, f"{name}: {[e.message for e in errors]}"


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_fake_serves_every_document(name: str) -> None:
    assert not validate(schema.subset_schema(), parse(DOCUMENTS[name]))


@needs_reference
def test_the_shipped_subset_is_generated_from_the_published_schema() -> None:
    assert schema.SUBSET_FILE.read_text(encoding="utf-8") == schema.generate(), (
        "the subset is stale: run python -m ecom_shopify.schema")


@needs_reference
def test_every_subset_field_is_shopifys_own() -> None:
    full, subset = schema.reference_schema(), schema.subset_schema()
    for name, kept in subset.type_map.items():
        if name.startswith("__") or not isinstance(kept, GraphQLObjectType):
            continue
        original = full.get_type(name)
        for field_name, field in kept.fields.items():
            theirs = original.fields[field_name]  # type: ignore[union-attr]
            assert str(field.type) == str(theirs.type), f"{name}.{field_name}"
            assert set(field.args) == set(theirs.args), f"{name}.{field_name} arguments"


def test_the_subset_is_small_and_holds_the_driver_types() -> None:
    subset = schema.subset_schema()
    assert schema.SUBSET_FILE.stat().st_size < 200_000
    for name in ("Order", "LineItem", "FulfillmentOrder", "InventorySetQuantitiesPayload", "BulkOperation", "ProductVariant"):
        assert name in subset.type_map
    assert get_named_type(subset.query_type.fields["orders"].type).name == "OrderConnection"  # type: ignore[union-attr]
