"""Setting available quantities with ``inventorySetQuantities``, in batches.

Stock lives on an inventory item at a location. A SKU is resolved to its variant, product and
inventory item once (a ``productVariants`` search for up to 50 SKUs per call) and the ids are kept
in ``connection.refs``. A quantity's location is the Shopify location the integration's
``general.location_map`` names, by its name or its ``gid://shopify/Location/…`` id; none means
``options["default_location"]`` or the shop's primary location. From 2026-04 every quantity must carry ``changeFromQuantity`` (null: ecom is the source of
truth and skips the compare-and-swap) and the mutation needs an ``@idempotent`` key, one UUID per
batch, reused when the HTTP helper retries it. The mutation is all-or-nothing: when Shopify refuses
some quantities, those become failures and the rest of the batch is sent again once.
"""

from __future__ import annotations

import uuid
from typing import Any

from ecom import PushResult, RejectedError, StockLevel, drivers
from ecom.graphql import errors_by_position
from ecom_shopify import queries
from ecom_shopify.api import Shopify


def resolve_skus(shop: Shopify, skus: list[str]) -> None:
    """Cache ``variant``, ``product`` and ``inventory_item`` ids for the SKUs not cached yet."""
    refs = shop.connection.refs

    def lookup(missing: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in drivers.chunks(missing, 50):
            search = " OR ".join(f'sku:"{sku}"' for sku in chunk)
            for node in shop.query(queries.VARIANTS_BY_SKU, {"first": 250, "query": search})["productVariants"]["nodes"]:
                if node.get("sku") in chunk and node["sku"] not in found:
                    refs.set("variant", node["sku"], node["id"])
                    refs.set("product", node["sku"], node["product"]["id"])
                    found[node["sku"]] = node["inventoryItem"]["id"]
        return found

    drivers.resolve_refs(refs, "inventory_item", skus, lookup)


def location_id(shop: Shopify, name: str | None) -> str:
    """The Shopify location id for a location name or id (None: the default one)."""
    refs = shop.connection.refs
    wanted = name or shop.option("default_location", "")
    if wanted.startswith("gid://shopify/Location/"):
        return wanted
    if refs.get("location", wanted) is None:
        data = shop.query(queries.LOCATIONS)
        refs.set("location", "", data["primary"]["id"])
        for node in data["locations"]["nodes"]:
            refs.set("location", node["name"], node["id"])
    found = refs.get("location", wanted)
    if found is None:
        raise RejectedError(f"Shopify has no location named {wanted!r}")
    return found


def push(shop: Shopify, levels: list[StockLevel]) -> list[PushResult]:
    refs = shop.connection.refs
    resolve_skus(shop, [level.sku for level in levels])
    results = drivers.Results(levels, ref=lambda level: level.sku)

    def quantity(level: StockLevel) -> dict[str, Any]:
        item = refs.get("inventory_item", level.sku)
        if item is None:
            raise RejectedError(f"Shopify has no variant with SKU {level.sku}")
        return {"inventoryItemId": item, "locationId": location_id(shop, level.location),
                "quantity": level.quantity, "changeFromQuantity": None}

    entries = [(i, None, value) for i, value in results.screen(quantity)]
    cap = int(shop.option("inventory_batch", 250))
    for i, refusals in drivers.send_in_chunks(entries, cap, lambda _, batch: _send(shop, batch)).items():
        sku = levels[i].sku
        if not refusals:
            results.ok(i, external_id=refs.get("inventory_item", sku))
            continue
        results.fail(i, "; ".join(e["message"] for e in refusals))
        if any(e.get("code") == "INVALID_INVENTORY_ITEM" for e in refusals):
            refs.forget("inventory_item", sku)
    return results.done()


def _send(shop: Shopify, quantities: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Set one batch; return each quantity's user errors (none: set). The mutation is all or
    nothing, so the quantities Shopify did not refuse are sent again once."""

    def attempt(batch: list[dict[str, Any]]) -> dict[int, list[Any]]:
        key = str(uuid.uuid4())
        variables = {"key": key, "input": {
            "name": "available", "reason": "correction", "referenceDocumentUri": f"gid://ecom/InventoryPush/{key}",
            "quantities": batch}}
        errors = shop.query(queries.SET_QUANTITIES, variables)["inventorySetQuantities"]["userErrors"]
        return errors_by_position(errors, len(batch))

    return drivers.all_or_nothing(quantities, attempt, gave_up={"message": "not set: Shopify refused the batch it was in twice"})
