"""Shopify's Admin GraphQL schema, complete, as the fake serves it and the tests check against it.

The package ships the full published 2026-07 schema (every type, field, argument, default, enum
value, directive and deprecation; 3,552 types, 287 query fields, 523 mutations) as the answer to
GraphQL's standard introspection query, gzipped, without descriptions:
``admin-2026-07.introspection.json.gz`` (about 200 KB). JSON is read by C code, so building the
schema from it with graphql-core's ``build_client_schema`` takes about a second, where parsing the
3.7 MB SDL takes three to four. :func:`admin_schema` builds it once per process.

The SDL it is made from (``shared/reference/`` beside the repository, not shipped) is read only by
a test, which regenerates the shipped file and compares, and by ``python -m ecom_shopify.fake.schema``,
which writes it.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import sys
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_ast_schema, build_client_schema, introspection_from_schema, parse

from ecom_shopify.api import API_VERSION

SCHEMA_FILE = Path(__file__).with_name(f"admin-{API_VERSION}.introspection.json.gz")
REFERENCE_NAME = f"shopify-admin-{API_VERSION}.graphql"


def reference_path() -> Path | None:
    """Where the full published SDL is: ``$ECOM_SHOPIFY_SCHEMA``, else ``shared/reference/``
    next to the repository this package sits in; None when absent."""
    if env := os.environ.get("ECOM_SHOPIFY_SCHEMA"):
        return Path(env) if Path(env).is_file() else None
    for parent in Path(__file__).resolve().parents:
        candidate = parent.parent / "shared" / "reference" / REFERENCE_NAME
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def reference_schema() -> GraphQLSchema:
    """The schema built from the published SDL (slow: seconds), once per process."""
    path = reference_path()
    if path is None:
        raise FileNotFoundError(f"{REFERENCE_NAME} not found (set ECOM_SHOPIFY_SCHEMA)")
    return build_ast_schema(parse(path.read_text(encoding="utf-8"), no_location=True), assume_valid=True)


@functools.cache
def admin_schema() -> GraphQLSchema:
    """The full schema from the shipped file, built once per process."""
    return build_client_schema(json.loads(gzip.decompress(SCHEMA_FILE.read_bytes())), assume_valid=True)


def introspection(schema: GraphQLSchema) -> dict[str, Any]:
    """What the shipped file holds for ``schema``."""
    return introspection_from_schema(schema, descriptions=False)


def generate() -> bytes:
    """The shipped file's bytes, from the published SDL (deterministic: no gzip timestamp)."""
    text = json.dumps(introspection(reference_schema()), separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    SCHEMA_FILE.write_bytes(generate())
    print(f"wrote {SCHEMA_FILE} ({SCHEMA_FILE.stat().st_size} bytes)", file=sys.stderr)
