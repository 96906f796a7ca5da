"""Products both ways: cart products into the back office (import), items out to the cart (export).

**Import** (cart → back office, :func:`import_products`). The cart's products are read a page at
a time (``fetch_products``: one record per sellable variant). Each is matched, in this order:

1. by its **binding** (the cart id was bound before): nothing to do;
2. by **SKU** to an existing item: the binding is recorded. The item itself is left as it is:
   the back office is where the merchant keeps names, prices and descriptions (Export Products
   sends them the other way), so an import never overwrites what the merchant entered;
3. otherwise, when creating is on (``general.import_products``), a new item is made in the
   integration's item group (``general.import_product_group``) from the product (name with the
   variant title, description, price, weight as the cart gives it, active), and bound.

A product without a SKU is reported and left alone: ecom never guesses which item it is. A
re-run creates nothing twice: items are unique by SKU and bindings by cart id. With creating
off, an import only *links* (binds the cart's products to existing items), which is how an
integration learns which items its cart carries (:mod:`ecom.catalog`).

**Export** (back office → cart, :func:`export_products`). The items exported are the
integration's item list when it has one (Custom Cart); otherwise every active item that can be
sold (any type but other charges and discounts), plus bound items that were made inactive,
which are sent with ``active`` off so the cart stops selling them. Each goes out as a
:class:`~ecom.records.CartProduct` (SKU, name, description, price, weight, active) carrying the
cart's id when a binding has it, so the driver updates that product; without one the driver
matches by SKU, and creates the product only when the SKU is new to the cart. The cart's answer
is recorded per item: its id becomes (or updates) the binding, with a digest of what was sent,
so the next export sends only items whose fields changed (``full=True`` sends all).
Weights are sent as numbers in the cart's own unit: ecom does not convert units.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from ecom import models as m
from ecom.catalog import (
    PRODUCT,
    ItemError,
    Progress,
    bound_items,
    items_by_id,
    items_by_sku,
    product_bindings,
)
from ecom.errors import ConfigError, FatalError
from ecom.integrations import load_settings
from ecom.models import ItemType
from ecom.records import CartProduct, Connection, PushResult
from ecom.settings import IntegrationSettings

IMPORT_PHASE = "import_products"
EXPORT_PHASE = "export_products"
DEFAULT_BATCH_SIZE = 50
#: item types never exported as cart products: they are accounting lines, not things to sell
NOT_SOLD = frozenset({ItemType.OTHER_CHARGE, ItemType.DISCOUNT})


def _clean_sku(sku: str | None) -> str | None:
    sku = (sku or "").strip()
    return sku or None


def _product_ref(product: CartProduct) -> str:
    return _clean_sku(product.sku) or f"{product.name!r} (cart id {product.external_id or 'none'})"


# --- import ----------------------------------------------------------------------------------


@dataclass
class ProductImportResult:
    """What an import of cart products did.

    :ivar bound: existing items newly bound to a cart product (matched by SKU).
    :ivar unchanged: cart products bound before.
    :ivar not_in_back_office: SKUs with no item, left alone because creating is off.
    :ivar no_sku: cart products without a SKU (reported, never guessed).
    """

    fetched: int = 0
    created: int = 0
    bound: int = 0
    unchanged: int = 0
    not_in_back_office: list[str] = field(default_factory=list)
    no_sku: list[str] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    warnings: list[ItemError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.bound,
            "skipped": self.unchanged + len(self.not_in_back_office) + len(self.no_sku),
            "failed": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "bound": self.bound,
            "unchanged": self.unchanged,
            "not_in_back_office": self.not_in_back_office,
            "no_sku": self.no_sku,
            "errors": [{"ref": e.ref, "message": e.message} for e in self.errors],
            "warnings": [{"ref": e.ref, "message": e.message} for e in self.warnings],
        }


def item_from_product(product: CartProduct, group_id: int | None) -> m.Item:
    """A new back-office item made from a cart product (its SKU must be set)."""
    sku = _clean_sku(product.sku)
    assert sku is not None
    name = product.name.strip() or sku
    if product.variant_title and product.variant_title.strip() and product.variant_title not in name:
        name = f"{name} - {product.variant_title.strip()}"
    return m.Item(
        sku=sku,
        name=name,
        description=product.description,
        group_id=group_id,
        type=ItemType.INVENTORY,
        price=product.price if product.price is not None else m.ZERO,
        weight=product.weight,
        active=product.active,
    )


def _group_id(session: Session, name: str | None) -> int | None:
    if not name:
        raise ConfigError("Import Products needs an item group for new items (General: import product group).")
    group = session.exec(select(m.ItemGroup).where(m.ItemGroup.name == name)).first()
    if group is None:
        raise ConfigError(f"No item group is named {name!r} (General: import product group): create it or pick another.")
    return group.id


def import_products(
    session: Session,
    integration: m.Integration,
    driver: Any,
    connection: Connection,
    *,
    create: bool | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
    settings: IntegrationSettings | None = None,
) -> ProductImportResult:
    """Import the cart's products into the back office (see the module's rules).

    ``create`` (default: the integration's Import Products switch) makes items for SKUs the back
    office lacks; off, products are only bound to existing items. ``since`` asks the cart only
    for products changed since then. Commits after each page.
    """
    assert integration.id is not None
    settings = settings or load_settings(session, integration)
    create = settings.general.import_products if create is None else create
    group_id = _group_id(session, settings.general.import_product_group) if create else None
    bindings = {b.external_id: b for b in product_bindings(session, integration.id)}
    live = items_by_id(session, [b.local_id for b in bindings.values() if b.local_id is not None])
    seen: dict[str, str] = {}  # SKU -> the first cart id it was seen on, this run
    result = ProductImportResult()

    for page in driver.call("fetch_products", connection=connection, since=since) or ():
        for failure in page.failures:
            result.errors.append(ItemError(failure.ref, f"the cart's product could not be read: {failure.message}"))
        items = items_by_sku(session, [s for p in page.records if (s := _clean_sku(p.sku))])
        for product in page.records:
            result.fetched += 1
            _import_one(session, integration.id, product, bindings, live, items, seen, create, group_id, result)
        session.commit()
        if progress:
            progress(IMPORT_PHASE, result.counts())
    return result


def _import_one(
    session: Session,
    integration_id: int,
    product: CartProduct,
    bindings: dict[str, m.ExternalRef],
    live: dict[int, m.Item],
    items: dict[str, m.Item],
    seen: dict[str, str],
    create: bool,
    group_id: int | None,
    result: ProductImportResult,
) -> None:
    sku, ref = _clean_sku(product.sku), _product_ref(product)
    if not product.external_id:
        result.errors.append(ItemError(ref, "the cart gave no id for this product, so it cannot be bound"))
        return
    binding = bindings.get(product.external_id)
    if binding is not None and binding.local_id in live:
        result.unchanged += 1
        if sku and binding.data.get("sku") != sku:
            binding.data["sku"] = sku  # the cart's SKU changed: the binding still holds
            session.add(binding)
        return
    if sku is None:
        result.no_sku.append(ref)
        result.warnings.append(ItemError(ref, "the cart product has no SKU, so no item is matched or made for it"))
        return
    if sku in seen and seen[sku] != product.external_id:
        result.warnings.append(
            ItemError(
                sku, f"two cart products have this SKU (ids {seen[sku]} and {product.external_id}); both are bound to its item"
            )
        )
    seen.setdefault(sku, product.external_id)
    item = items.get(sku)
    if item is None:
        if not create:
            result.not_in_back_office.append(sku)
            return
        item = item_from_product(product, group_id)
        session.add(item)
        session.flush()
        items[sku] = item
        result.created += 1
    else:
        result.bound += 1
    assert item.id is not None
    live[item.id] = item
    if binding is None:
        binding = m.ExternalRef(integration_id=integration_id, kind=PRODUCT, external_id=product.external_id)
        bindings[product.external_id] = binding
    binding.local_id = item.id
    binding.data = {**binding.data, "sku": sku}
    session.add(binding)


# --- export ----------------------------------------------------------------------------------


@dataclass
class ProductExportResult:
    """What an export of items to the cart did; ``unchanged`` counts items not sent (same digest)
    and those the cart said needed no change."""

    considered: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[ItemError] = field(default_factory=list)
    warnings: list[ItemError] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)  # SKU -> created / updated / unchanged / failed

    def counts(self) -> dict[str, int]:
        return {
            "fetched": self.considered,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.unchanged,
            "failed": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "considered": self.considered,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "results": self.results,
            "errors": [{"sku": e.ref, "message": e.message, "retryable": e.retryable} for e in self.errors],
            "warnings": [{"sku": e.ref, "message": e.message} for e in self.warnings],
        }


@dataclass
class _Export:
    item: m.Item
    binding: m.ExternalRef | None
    product: CartProduct
    digest: str


def product_from_item(item: m.Item, external_id: str | None) -> CartProduct:
    """The cart product an item is exported as."""
    return CartProduct(
        sku=item.sku,
        name=item.name,
        external_id=external_id,
        description=item.description,
        price=item.price,
        weight=item.weight,
        active=item.active,
    )


def product_digest(product: CartProduct) -> str:
    """A fingerprint of what an export sends for a product (not its cart id)."""
    fields = product.model_dump(mode="json", include={"sku", "name", "description", "price", "weight", "active"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def _exports(
    session: Session, settings: IntegrationSettings, bindings: list[m.ExternalRef], skus: Iterable[str] | None
) -> list[_Export]:
    """The items to export with their bindings, by SKU (see the module's rules)."""
    bound = bound_items(session, bindings)
    cart_ids: dict[int, str] = {}
    if settings.general.cart_items:
        selected = items_by_sku(session, [row.sku for row in settings.general.cart_items])
        items = {}
        for row in settings.general.cart_items:
            item = selected.get(row.sku)
            if item is not None and item.id is not None:
                items[item.id] = item
                cart_ids.setdefault(item.id, row.cart_id)
    else:
        sellable = session.exec(
            select(m.Item).where(m.Item.active == True, m.Item.type.not_in(sorted(NOT_SOLD)))  # type: ignore[attr-defined]  # noqa: E712
        )
        items = {item.id: item for item in sellable if item.id is not None}
        items.update({item_id: item for item_id, (item, _) in bound.items()})
    if skus is not None:
        wanted = set(skus)
        items = {i: item for i, item in items.items() if item.sku in wanted}
    exports = []
    for item_id, item in sorted(items.items(), key=lambda pair: pair[1].sku):
        binding = bound[item_id][1] if item_id in bound else None
        external_id = binding.external_id if binding is not None else cart_ids.get(item_id)
        product = product_from_item(item, external_id)
        exports.append(_Export(item, binding, product, product_digest(product)))
    return exports


def export_products(
    session: Session,
    integration: m.Integration,
    driver: Any,
    connection: Connection,
    *,
    full: bool = False,
    skus: Iterable[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    settings: IntegrationSettings | None = None,
) -> ProductExportResult:
    """Create or update the integration's items as cart products (see the module's rules).

    Items whose exported fields did not change since their last export are not sent, unless
    ``full``. ``skus`` narrows the export to those items. Commits after each batch; a refused
    product is an error for its item only.
    """
    if batch_size < 1:
        raise ConfigError("The product batch size must be at least 1.")
    assert integration.id is not None
    result = ProductExportResult()
    bindings = product_bindings(session, integration.id)
    by_cart_id = {b.external_id: b for b in bindings}
    exports = _exports(session, settings or load_settings(session, integration), bindings, skus)
    if skus is not None:
        missing = sorted(set(skus) - {e.item.sku for e in exports})
        if missing:
            raise ConfigError(f"{', '.join(repr(s) for s in missing)}: not an item {integration.name!r} exports.")
    result.considered = len(exports)
    sendable = []
    for export in exports:
        if not full and export.binding is not None and export.binding.data.get("digest") == export.digest:
            result.unchanged += 1
            result.results[export.item.sku] = "unchanged"
        else:
            sendable.append(export)
    for start in range(0, len(sendable), batch_size):
        batch = sendable[start : start + batch_size]
        answers = driver.call("upsert_products", connection=connection, products=[e.product for e in batch])
        if answers is None or len(answers) != len(batch):
            got = 0 if answers is None else len(answers)
            raise FatalError(
                f"The cart driver answered {got} results for {len(batch)} products: it must answer one per product."
            )
        for export, answer in zip(batch, answers, strict=True):
            _record_export(session, integration.id, export, answer, by_cart_id, result)
        session.commit()
        if progress:
            progress(EXPORT_PHASE, result.counts())
    return result


def _record_export(
    session: Session,
    integration_id: int,
    export: _Export,
    answer: PushResult,
    by_cart_id: dict[str, m.ExternalRef],
    result: ProductExportResult,
) -> None:
    """Count the cart's answer for one item and record its binding (cart id, SKU, digest sent)."""
    sku = export.item.sku
    if not answer.ok:
        result.failed += 1
        result.results[sku] = "failed"
        message = answer.message or "the cart refused the product without saying why"
        result.errors.append(ItemError(sku, message, retryable=answer.retryable))
        return
    action = answer.action if answer.action in ("created", "updated", "unchanged") else "updated"
    setattr(result, action, getattr(result, action) + 1)
    result.results[sku] = action
    external_id = answer.external_id or export.product.external_id
    if external_id is None:
        result.warnings.append(ItemError(sku, "the cart gave no id for the product; it will be matched by SKU next time"))
        return
    binding = by_cart_id.get(external_id)
    if binding is None and export.binding is not None:
        binding = export.binding  # the cart answered with a new id for a bound product: follow it
        by_cart_id.pop(binding.external_id, None)
        binding.external_id = external_id
    if binding is None:
        binding = m.ExternalRef(integration_id=integration_id, kind=PRODUCT, external_id=external_id)
    by_cart_id[external_id] = binding
    binding.local_id = export.item.id
    binding.data = {**binding.data, "sku": sku, "digest": export.digest}
    session.add(binding)


__all__ = [
    "DEFAULT_BATCH_SIZE", "ProductExportResult", "ProductImportResult", "export_products", "import_products",
    "item_from_product", "product_digest", "product_from_item",
]  # fmt: skip
