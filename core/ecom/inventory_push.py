"""Pushing inventory to a cart: what would be sent (the plan), and sending only what changed.

**Cart locations.** With no location map, each carried item gets one quantity, for the cart's
default location, computed over the integration's selected back-office locations (none = all).
With a location map (``general.location_map``: back-office location → cart location, by name or id), each
cart location named in it gets its own quantity, computed over the back-office locations mapped
to it (and selected, when a selection is set). Back-office locations that are not mapped are not
pushed anywhere, and a cart location whose mapped locations are all unselected gets no quantity.
Buildable and on-PO quantities follow the same locations; vendor quantity belongs to no
location, so it is added once, to the first cart location of the map.

**Delta push.** The quantity the cart accepted is remembered per (integration, item, cart
location) (:class:`~ecom.models.InventoryPush`). A push sends only quantities that differ from the
remembered one, or that were never sent; ``full=True`` sends all of them. Quantities go out in
batches; after each batch what the cart accepted is remembered and committed, so a crash loses at
most the batch in flight. What the cart refused is an error for that item only, and its
remembered quantity is forgotten, so it is sent again on the next push.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, select

from ecom import models as m
from ecom.catalog import Carried, ItemError, Progress, carried_items
from ecom.errors import ConfigError, FatalError
from ecom.integrations import load_settings
from ecom.inventory import (
    STOCKED_TYPES,
    Availability,
    Formula,
    compute_availability,
    load_inventory_data,
    location_ids,
)
from ecom.models import utcnow
from ecom.records import Connection, StockLevel
from ecom.settings import General, IntegrationSettings

PHASE = "push_inventory"
DEFAULT_BATCH_SIZE = 250
DEFAULT_LOCATION = ""  # how the cart's default location is keyed in ``inventory_pushes``


# --- where quantities go ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A cart location (None = the cart's default) and the formula its quantities follow.

    :ivar counted: names of the back-office locations counted; empty = all of them.
    """

    cart_location: str | None
    formula: Formula
    counted: tuple[str, ...] = ()


def targets(general: General, ids: dict[str, int | None]) -> list[Target]:
    """The cart locations an integration pushes to, from its General settings.

    ``ids`` maps every location name the settings use to its id (None: no such location), as
    :func:`ecom.inventory.location_ids` gives it. Pure.
    """
    unknown = sorted(name for name, location_id in ids.items() if location_id is None)
    if unknown:
        raise ConfigError(
            f"No back-office location is named {', '.join(repr(n) for n in unknown)} "
            "(General: locations / location map): fix the integration's settings."
        )
    base = Formula(
        include_buildable=general.include_buildable,
        include_on_po=general.include_on_po,
        include_vendor_qty=general.include_vendor_qty,
    )
    selected = list(dict.fromkeys(general.locations))
    if not general.location_map:
        locations = frozenset(ids[n] for n in selected) if selected else None  # type: ignore[misc]
        return [Target(None, replace(base, locations=locations), tuple(selected))]
    by_cart: dict[str, list[str]] = {}
    for name, cart_location in general.location_map.items():
        if not selected or name in selected:
            by_cart.setdefault(cart_location, []).append(name)
    found = []
    for index, (cart_location, names) in enumerate(by_cart.items()):
        formula = replace(
            base,
            locations=frozenset(ids[n] for n in names),  # type: ignore[misc]
            include_vendor_qty=base.include_vendor_qty and index == 0,
        )
        found.append(Target(cart_location, formula, tuple(names)))
    return found


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLevel:
    """One quantity an inventory push would send: the item's availability at one cart location,
    and what was last pushed there (None = never)."""

    availability: Availability
    cart_location: str | None
    last_pushed: int | None
    cart_id: str | None = None
    counted: tuple[str, ...] = ()

    @property
    def item_id(self) -> int:
        return self.availability.item_id

    @property
    def sku(self) -> str:
        return self.availability.sku

    @property
    def quantity(self) -> int | None:
        return self.availability.quantity

    @property
    def key(self) -> tuple[int, str]:
        return (self.item_id, self.cart_location or DEFAULT_LOCATION)

    @property
    def changed(self) -> bool:
        """Whether the quantity differs from the last one the cart accepted (or none was sent)."""
        return self.quantity is not None and self.quantity != self.last_pushed

    def stock_level(self) -> StockLevel:
        assert self.quantity is not None
        return StockLevel(sku=self.sku, quantity=self.quantity, location=self.cart_location, external_id=self.cart_id)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of ``ecom inventory preview --json``."""
        return {
            **self.availability.as_dict(),
            "cart_location": self.cart_location,
            "counted_locations": list(self.counted) or None,
            "last_pushed": self.last_pushed,
            "changed": self.changed,
        }


@dataclass
class InventoryPlan:
    """Every quantity an integration's inventory push would consider, and the problems found.

    :ivar remembered: the last accepted quantities, by (item id, cart location key).
    """

    levels: list[PlannedLevel] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)
    carried: Carried = field(default_factory=Carried)
    remembered: dict[tuple[int, str], m.InventoryPush] = field(default_factory=dict)

    @property
    def changed(self) -> list[PlannedLevel]:
        return [level for level in self.levels if level.changed]


def remembered_pushes(session: Session, integration_id: int) -> dict[tuple[int, str], m.InventoryPush]:
    rows = session.exec(select(m.InventoryPush).where(m.InventoryPush.integration_id == integration_id))
    return {(row.item_id, row.cart_location): row for row in rows}


def binding_hint(name: str, carried: Carried) -> str:
    """How an item comes to be carried by integration ``name``, in words, for a message about one that is not."""
    if carried.source == "selection":
        return f"the integration's item list (general.cart_items) decides what {name!r} carries: add it there"
    how = (
        f"a sync binds the cart's products to back-office items by SKU (`ecom sync {name}`, with general.update_inventory on), "
        f"or `ecom products import {name} --no-create` binds them without pushing anything"
    )
    if not carried.items:
        return f"no cart product is bound to a back-office item yet (no sync has read the cart's products): {how}"
    return f"no product of the cart with this SKU was bound when the cart's products were last read: {how}"


def plan_inventory(
    session: Session,
    integration: m.Integration,
    *,
    settings: IntegrationSettings | None = None,
    skus: Iterable[str] | None = None,
) -> InventoryPlan:
    """What an inventory push of ``integration`` would send, per carried item and cart location.

    ``skus`` narrows the plan to those items (each must be carried, else a ConfigError names it).
    Items that do not hold stock (services, non-inventory, charges) are left out. Reads the back
    office in a few bulk queries; changes nothing.
    """
    assert integration.id is not None
    settings = settings or load_settings(session, integration)
    general = settings.general
    carried = carried_items(session, integration, settings)
    plan = InventoryPlan(carried=carried, remembered=remembered_pushes(session, integration.id))
    plan.errors.extend(
        ItemError(sku, "is in the integration's item list but is not an item in the back office")
        for sku in carried.unknown_skus
    )
    chosen = dict(carried.items)
    if skus is not None:
        wanted = list(dict.fromkeys(skus))
        by_sku = {c.sku: c for c in chosen.values()}
        missing = [s for s in wanted if s not in by_sku]
        if missing:
            raise ConfigError(f"{', '.join(repr(s) for s in missing)}: not an item {integration.name!r} carries: {binding_hint(integration.name, carried)}.")
        chosen = {by_sku[s].item_id: by_sku[s] for s in wanted}

    names = list(dict.fromkeys([*general.locations, *general.location_map]))
    places = targets(general, location_ids(session, names))
    data = load_inventory_data(
        session,
        chosen,
        buildable=general.include_buildable,
        on_po=general.include_on_po,
        vendor=general.include_vendor_qty,
    )
    stocked = [i for i in chosen if i in data.items and data.items[i].type in STOCKED_TYPES]
    for place in places:
        computed = compute_availability(data, place.formula, stocked)
        for item_id in stocked:
            availability = computed[item_id]
            key = (item_id, place.cart_location or DEFAULT_LOCATION)
            last = plan.remembered.get(key)
            plan.levels.append(
                PlannedLevel(
                    availability=availability,
                    cart_location=place.cart_location,
                    last_pushed=last.quantity if last is not None else None,
                    cart_id=chosen[item_id].cart_id,
                    counted=place.counted,
                )
            )
    plan.levels.sort(key=lambda level: (level.sku, level.cart_location or ""))
    return plan


# --- the push --------------------------------------------------------------------------------


@dataclass
class InventoryPushResult:
    """What an inventory push did.

    :ivar levels: quantities considered (carried items × cart locations).
    :ivar sent: quantities sent to the cart; ``accepted`` + ``failed`` of them.
    :ivar unchanged: quantities not sent because the cart already has them.
    :ivar errors: one per item the cart refused or whose quantity could not be computed.
    """

    items: int = 0
    levels: int = 0
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    unchanged: int = 0
    errors: list[ItemError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The job's counts for this phase (``fetched, created, updated, skipped, failed``)."""
        return {
            "fetched": self.levels,
            "created": 0,
            "updated": self.accepted,
            "skipped": self.unchanged,
            "failed": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "levels": self.levels,
            "sent": self.sent,
            "accepted": self.accepted,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "errors": [
                {"sku": e.ref, "cart_location": e.location, "message": e.message, "retryable": e.retryable} for e in self.errors
            ],
        }


def push_inventory(
    session: Session,
    integration: m.Integration,
    driver: Any,
    connection: Connection,
    full: bool = False,
    progress: Progress | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    settings: IntegrationSettings | None = None,
) -> InventoryPushResult:
    """Push the carried items' quantities to the cart: the changed ones, or all with ``full``.

    ``driver`` is the integration's :class:`ecom.plugins.Driver`; ``settings`` its settings when
    the caller has them loaded already. Commits after each batch.
    A refused quantity is an error for its item and is retried next time; a driver error that
    fails the whole batch (:class:`~ecom.errors.AuthError`, :class:`~ecom.errors.RetryableError`)
    propagates, with the earlier batches kept.
    """
    if batch_size < 1:
        raise ConfigError("The inventory batch size must be at least 1.")
    plan = plan_inventory(session, integration, settings=settings)
    result = InventoryPushResult(items=len(plan.carried.items), levels=len(plan.levels), errors=list(plan.errors))
    sendable = []
    for level in plan.levels:
        if level.quantity is None:
            result.errors.append(ItemError(level.sku, level.availability.error or "no quantity", level.cart_location))
        elif full or level.changed:
            sendable.append(level)
        else:
            result.unchanged += 1
    if progress:
        progress(PHASE, result.counts())
    for start in range(0, len(sendable), batch_size):
        batch = sendable[start : start + batch_size]
        answers = driver.call(PHASE, connection=connection, levels=[level.stock_level() for level in batch])
        if answers is None or len(answers) != len(batch):
            got = 0 if answers is None else len(answers)
            raise FatalError(
                f"The cart driver answered {got} results for {len(batch)} quantities: it must answer one per quantity."
            )
        for level, answer in zip(batch, answers, strict=True):
            _remember(session, integration, plan, level, answer.ok)
            result.sent += 1
            if answer.ok:
                result.accepted += 1
            else:
                result.failed += 1
                message = answer.message or "the cart refused the quantity without saying why"
                result.errors.append(ItemError(level.sku, message, level.cart_location, answer.retryable))
        session.commit()
        if progress:
            progress(PHASE, result.counts())
    return result


def _remember(session: Session, integration: m.Integration, plan: InventoryPlan, level: PlannedLevel, accepted: bool) -> None:
    """Remember an accepted quantity; forget the last one when the cart refused, so it is resent."""
    row = plan.remembered.get(level.key)
    if not accepted:
        if row is not None:
            session.delete(row)
            del plan.remembered[level.key]
        return
    if row is None:
        assert integration.id is not None
        row = m.InventoryPush(integration_id=integration.id, item_id=level.item_id, cart_location=level.key[1], quantity=0)
        plan.remembered[level.key] = row
    row.quantity = level.quantity  # type: ignore[assignment]
    row.pushed_at = utcnow()
    session.add(row)


__all__ = [
    "DEFAULT_BATCH_SIZE", "InventoryPlan", "InventoryPushResult", "PlannedLevel", "Progress", "Target",
    "plan_inventory", "push_inventory", "remembered_pushes", "targets",
]  # fmt: skip
