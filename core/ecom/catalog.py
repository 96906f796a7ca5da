"""Which back-office items an integration's cart carries, and the product bindings that say so.

An integration *carries* an item when its cart sells it. Inventory is pushed for carried items
only, because a cart refuses a quantity for a SKU it does not have. The rule:

1. **An explicit item selection wins.** When the integration lists its cart's items
   (``general.cart_items``: the Custom Cart selection, SKU → the cart's item id), it carries
   exactly those items, and the cart's id for each goes with it. A listed SKU that is not an item
   in the back office is reported, not skipped silently.
2. **Otherwise, bound products.** A *product binding* (an :class:`~ecom.models.ExternalRef` of
   kind ``product``: the cart's product or variant id ↔ an item) says the cart has the item.
   Bindings are recorded by Import Products, which matches the cart's products to items **by
   SKU** (and can do only that, creating nothing: ``import_products(..., create=False)``), and
   by Export Products from what the cart answered. A binding whose item was deleted and
   re-created under the same SKU still counts: the binding keeps the SKU it was made for.

Bindings live in the database, unique per (integration, kind, external id), so binding the same
cart product twice is impossible, whichever process tries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from ecom import models as m
from ecom.integrations import load_settings
from ecom.settings import IntegrationSettings

PRODUCT = "product"  #: binding kind: the cart's product (or variant) id ↔ an item
CHUNK = 500

#: how a phase reports progress, as the job engine takes it: (phase, its counts so far)
Progress = Callable[[str, dict[str, int]], None]


@dataclass(frozen=True, slots=True)
class ItemError:
    """A problem with one item (or cart product) in a phase: which one, and what happened, in words.

    :ivar ref: the record as the merchant knows it: the SKU (or the cart product's name).
    :ivar location: the cart location a quantity was for, when it matters.
    :ivar retryable: the cart said trying again later may work.
    """

    ref: str
    message: str
    location: str | None = None
    retryable: bool = False

    def __str__(self) -> str:
        where = f" (cart location {self.location})" if self.location else ""
        return f"{self.ref}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CarriedItem:
    """An item the cart carries: its id, SKU, and the cart's id for it when known."""

    item_id: int
    sku: str
    cart_id: str | None = None


@dataclass
class Carried:
    """The items an integration carries, by item id, and how that was decided.

    :ivar source: ``selection`` (the integration's item list) or ``bindings``.
    :ivar unknown_skus: SKUs of the item selection that are not items in the back office.
    """

    items: dict[int, CarriedItem] = field(default_factory=dict)
    source: str = "bindings"
    unknown_skus: list[str] = field(default_factory=list)


def _items_by(session: Session, column: object, keys: Collection[object]) -> list[m.Item]:
    ordered = sorted(keys)  # type: ignore[type-var]
    found: list[m.Item] = []
    for start in range(0, len(ordered), CHUNK):
        found.extend(session.exec(select(m.Item).where(column.in_(ordered[start : start + CHUNK]))))  # type: ignore[attr-defined]
    return found


def items_by_sku(session: Session, skus: Iterable[str]) -> dict[str, m.Item]:
    """Items of the given SKUs, by SKU (a few queries, however many SKUs)."""
    return {item.sku: item for item in _items_by(session, m.Item.sku, set(skus))}


def items_by_id(session: Session, ids: Iterable[int]) -> dict[int, m.Item]:
    """Items of the given ids, by id."""
    return {item.id: item for item in _items_by(session, m.Item.id, set(ids)) if item.id is not None}


def product_bindings(session: Session, integration_id: int) -> list[m.ExternalRef]:
    """Every product binding of the integration, oldest first."""
    return list(
        session.exec(
            select(m.ExternalRef)
            .where(m.ExternalRef.integration_id == integration_id, m.ExternalRef.kind == PRODUCT)
            .order_by(m.ExternalRef.id)  # type: ignore[arg-type]
        )
    )


def bound_items(session: Session, bindings: list[m.ExternalRef]) -> dict[int, tuple[m.Item, m.ExternalRef]]:
    """Item id -> (item, its first binding), following each binding's item id, else its SKU."""
    by_id = items_by_id(session, [b.local_id for b in bindings if b.local_id is not None])
    orphans = [b for b in bindings if b.local_id not in by_id]
    by_sku = items_by_sku(session, [b.data.get("sku") for b in orphans if b.data.get("sku")])
    found: dict[int, tuple[m.Item, m.ExternalRef]] = {}
    for binding in bindings:
        item = by_id.get(binding.local_id) if binding.local_id is not None else None  # type: ignore[arg-type]
        if item is None:
            item = by_sku.get(binding.data.get("sku") or "")
        if item is not None and item.id is not None and item.id not in found:
            found[item.id] = (item, binding)
    return found


def carried_items(session: Session, integration: m.Integration, settings: IntegrationSettings | None = None) -> Carried:
    """The items ``integration``'s cart carries (see the module's rule)."""
    assert integration.id is not None
    settings = settings or load_settings(session, integration)
    selection = settings.general.cart_items
    if selection:
        items = items_by_sku(session, [row.sku for row in selection])
        carried = Carried(source="selection")
        for row in selection:
            item = items.get(row.sku)
            if item is None or item.id is None:
                carried.unknown_skus.append(row.sku)
            elif item.id not in carried.items:
                carried.items[item.id] = CarriedItem(item.id, item.sku, row.cart_id)
        return carried
    found = bound_items(session, product_bindings(session, integration.id))
    return Carried(items={i: CarriedItem(i, item.sku) for i, (item, _) in sorted(found.items())})


__all__ = [
    "PRODUCT", "Carried", "CarriedItem", "ItemError", "Progress", "bound_items", "carried_items",
    "items_by_id", "items_by_sku", "product_bindings",
]  # fmt: skip
