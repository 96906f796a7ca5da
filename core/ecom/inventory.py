"""Availability: the quantity of an item ecom tells a cart it can sell, and how it was reached.

The formula (SPEC §2 General, "Update inventory"), per item, over a set of back-office locations
(the integration's selected ones; none selected = all)::

    available = on hand − committed                  (summed over the locations; may be negative)
    total     = available
              + buildable   if "calculate items that can be made" is on, for assemblies and kits
              + on PO       if "include inventory on purchase order" is on (ordered − received,
                            never below 0 per PO line, for PO lines at those locations)
              + vendor      if "include item vendor quantity" is on (every vendor's quantity)
    quantity  = floor(total), and 0 if that is below 0      (what the cart receives: an integer)

**Buildable** is how many more units of an assembly or kit could be made from component stock
at the same locations: the minimum, over its bill of materials, of floor(what the component has
/ quantity per assembly). What a component *has* is its own available quantity plus, when it is
itself an assembly or kit, what can be built of it (nested bills of materials, any depth), never
below 0; purchase-order and vendor quantities are not counted for components (they are not on
the shelf to build with). The component with the smallest result is the *limiting component*.

Buildable is a **"could build" figure**: every assembly counts the whole stock of its components,
so a component shared by two assemblies counts fully for each of them, although building one
uses up the stock the other was counted from. That is what a cart should show for each product
on its own (either one can be bought), and it is the figure the merchant sees explained in
``ecom inventory preview``.

Fractions: back-office quantities are decimals (2.5 kg), cart quantities are integers. Buildable
is floored per component (half a kit cannot be sold) and the total is floored once at the end,
so a cart is never told it has more than the back office holds.

Details, decided here:

- Only items of type assembly or kit use their bill of materials; BOM lines of other items are
  ignored. An assembly with no BOM line (or only lines of quantity 0 or less, which are skipped)
  can build 0.
- A bill of materials that reaches a cycle (A uses B, B uses A) cannot be computed: the items
  whose buildable would depend on it get an error naming the cycle and no quantity; every other
  item is computed as usual. Finding it is part of a topological sort, so it never hangs.

Everything is computed set-wise: :func:`load_inventory_data` reads the rows in a few bulk
queries, then :func:`compute_availability` makes one pass in Python over the items, in
topological order of the BOM graph for buildable quantities. The formula itself is pure.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from sqlmodel import Session, select

from ecom import models as m
from ecom.models import ItemType

ZERO = Decimal(0)
SHOWN_IN_CYCLE = 8  # items named in a cycle's error; a longer cycle is shortened
ASSEMBLY_TYPES = frozenset(t for t in ItemType if t.has_components)
#: item types that hold stock, so a cart is told their quantity
STOCKED_TYPES = frozenset({ItemType.INVENTORY, *ASSEMBLY_TYPES})


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """Which parts of the formula count, and over which back-office locations.

    :ivar locations: location ids to count stock and purchase orders at; None = all locations.
    """

    include_buildable: bool = False
    include_on_po: bool = False
    include_vendor_qty: bool = False
    locations: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    """What the formula needs to know about an item."""

    id: int
    sku: str
    type: ItemType


class LocationStock(NamedTuple):
    """An item's stock at one back-office location (id and name)."""

    location_id: int
    location: str
    on_hand: Decimal
    committed: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.committed


@dataclass
class InventoryData:
    """The back-office rows the formula reads, fetched in bulk (:func:`load_inventory_data`).

    :ivar stock: item id -> its stock per location
    :ivar bom: assembly or kit id -> [(component id, quantity per assembly)]
    :ivar on_po: item id -> [(location id, open PO quantity)], open quantity never below 0 per line
    :ivar vendor: item id -> the sum of its vendors' quantities
    """

    items: dict[int, ItemRow] = field(default_factory=dict)
    locations: dict[int, str] = field(default_factory=dict)
    stock: dict[int, list[LocationStock]] = field(default_factory=dict)
    bom: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)
    on_po: dict[int, list[tuple[int, Decimal]]] = field(default_factory=dict)
    vendor: dict[int, Decimal] = field(default_factory=dict)

    @cached_property
    def bom_plan(self) -> BomPlan:
        """The bills of materials in build order, and the assemblies a cycle makes uncomputable."""
        return plan_bom(self.bom, {i: row.sku for i, row in self.items.items()})


# --- results ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Availability:
    """An item's quantity for a cart, with every part of it, so it can be explained.

    A part that is switched off is None (``buildable`` is None too for items that are not
    assemblies or kits). ``error`` is set, and ``quantity`` is None, when the quantity cannot be
    computed (a bill of materials cycle).
    """

    item_id: int
    sku: str
    on_hand: Decimal
    committed: Decimal
    locations: tuple[LocationStock, ...] = ()
    buildable: int | None = None
    limiting: str | None = None
    on_po: Decimal | None = None
    vendor: Decimal | None = None
    error: str | None = None

    @property
    def available(self) -> Decimal:
        """On hand less committed at the counted locations (may be negative)."""
        return self.on_hand - self.committed

    @property
    def total(self) -> Decimal:
        """Every counted part added up, before flooring and clamping."""
        return self.available + (self.buildable or 0) + (self.on_po or ZERO) + (self.vendor or ZERO)

    @property
    def quantity(self) -> int | None:
        """What the cart is told: the total floored to a whole number, and never below 0."""
        return None if self.error else cart_quantity(self.total)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``ecom inventory preview --json`` prints (decimals as strings)."""
        return {
            "sku": self.sku,
            "quantity": self.quantity,
            "total": str(self.total),
            "on_hand": str(self.on_hand),
            "committed": str(self.committed),
            "available": str(self.available),
            "locations": [
                {"location": s.location, "on_hand": str(s.on_hand), "committed": str(s.committed)} for s in self.locations
            ],
            "buildable": self.buildable,
            "limiting_component": self.limiting,
            "on_po": None if self.on_po is None else str(self.on_po),
            "vendor": None if self.vendor is None else str(self.vendor),
            "error": self.error,
        }


def cart_quantity(total: Decimal) -> int:
    """A decimal total as the cart's whole quantity: floored, never below 0."""
    return int(total // 1) if total > 0 else 0  # // truncates toward 0: the floor of a positive number


# --- bills of materials ----------------------------------------------------------------------


@dataclass(frozen=True)
class BomPlan:
    """Assemblies in an order where every component assembly comes before the ones using it.

    :ivar order: assembly ids, components first.
    :ivar errors: assembly id -> why its buildable quantity cannot be computed (a cycle).
    """

    order: tuple[int, ...]
    errors: Mapping[int, str]


def plan_bom(bom: Mapping[int, list[tuple[int, Decimal]]], skus: Mapping[int, str]) -> BomPlan:
    """Sort the assemblies of ``bom`` components-first (Kahn's algorithm).

    Assemblies left over are on a cycle or use one; each gets an error naming a cycle it reaches,
    as SKUs (``A → B → A``).
    """
    uses = {a: {c for c, _ in lines if c in bom} for a, lines in bom.items()}
    waiting = {a: len(parts) for a, parts in uses.items()}
    used_by: dict[int, list[int]] = defaultdict(list)
    for a, parts in uses.items():
        for c in parts:
            used_by[c].append(a)
    ready = deque(sorted(a for a, n in waiting.items() if n == 0))
    order: list[int] = []
    while ready:
        a = ready.popleft()
        order.append(a)
        for user in used_by[a]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    stuck = {a for a, n in waiting.items() if n > 0}
    return BomPlan(order=tuple(order), errors=_cycle_errors(uses, stuck, skus))


def _cycle_errors(uses: Mapping[int, set[int]], stuck: set[int], skus: Mapping[int, str]) -> dict[int, str]:
    """An error for each stuck assembly, naming a cycle it is on or reaches.

    Every stuck assembly uses another stuck one, so following those links from any of them ends
    on a cycle. Each assembly is walked once: the cycle found is shared by the whole path.
    """
    reaches: dict[int, tuple[int, ...]] = {}
    turns: dict[int, int] = {}  # an assembly on a cycle -> its place in that cycle
    for start in sorted(stuck):
        path: list[int] = []
        position: dict[int, int] = {}
        current = start
        while current not in reaches and current not in position:
            position[current] = len(path)
            path.append(current)
            current = min(c for c in uses[current] if c in stuck)
        if current in position:
            cycle = tuple(path[position[current] :])
            turns.update((node, k) for k, node in enumerate(cycle))
        else:
            cycle = reaches[current]
        for node in path:
            reaches[node] = cycle

    def names(cycle: tuple[int, ...], turn: int = 0) -> str:
        """The cycle as SKUs from its ``turn``-th item back to it; a long one shortened."""
        shown = [cycle[(turn + k) % len(cycle)] for k in range(min(len(cycle), SHOWN_IN_CYCLE))]
        text = " → ".join(skus.get(i, f"item #{i}") for i in shown)
        if len(cycle) > SHOWN_IN_CYCLE:
            text += f" → … {len(cycle) - SHOWN_IN_CYCLE} more …"
        return f"{text} → {skus.get(cycle[turn], f'item #{cycle[turn]}')}"

    errors = {}
    for assembly in sorted(stuck):
        cycle = reaches[assembly]
        if assembly in turns:
            text = f"its bill of materials is a cycle ({names(cycle, turns[assembly])})"
        else:
            text = f"its bill of materials reaches a cycle ({names(cycle)})"
        errors[assembly] = text + ", so the quantity that can be built cannot be computed"
    return errors


def _buildable(data: InventoryData, available: Mapping[int, Decimal]) -> tuple[dict[int, int], dict[int, int | None]]:
    """Buildable quantity and limiting component of every computable assembly, in one pass."""
    built: dict[int, int] = {}
    limiting: dict[int, int | None] = {}
    bom = data.bom
    for assembly in data.bom_plan.order:
        best: int | None = None
        limit: int | None = None
        for component, per in bom[assembly]:
            if per <= 0:
                continue
            has = available.get(component, ZERO) + built.get(component, 0)
            can = int(has // per) if has > 0 else 0
            if best is None or can < best:
                best, limit = can, component
        built[assembly] = best or 0
        limiting[assembly] = limit
    return built, limiting


# --- the formula -----------------------------------------------------------------------------


def compute_availability(
    data: InventoryData, formula: Formula, item_ids: Iterable[int] | None = None
) -> dict[int, Availability]:
    """The :class:`Availability` of ``item_ids`` (default: every item in ``data``) under ``formula``.

    ``data`` must hold the components of the assemblies asked for (:func:`load_inventory_data`
    fetches them). Pure: reads ``data``, changes nothing.
    """
    wanted = list(data.items) if item_ids is None else list(item_ids)
    counted = formula.locations  # None: every location

    totals: dict[int, tuple[Decimal, Decimal]] = {}
    per_location: dict[int, tuple[LocationStock, ...]] = {}
    available: dict[int, Decimal] = {}
    for item_id, rows in data.stock.items():  # the hot loop: kept flat on purpose
        shown = tuple(rows) if counted is None else tuple(r for r in rows if r[0] in counted)
        on_hand = committed = ZERO
        for _, _, oh, cm in shown:
            on_hand += oh
            committed += cm
        totals[item_id] = (on_hand, committed)
        per_location[item_id] = shown
        available[item_id] = on_hand - committed

    built: dict[int, int] = {}
    limiting: dict[int, int | None] = {}
    errors: Mapping[int, str] = {}
    if formula.include_buildable:
        built, limiting = _buildable(data, available)
        errors = data.bom_plan.errors

    result: dict[int, Availability] = {}
    for item_id in wanted:
        row = data.items[item_id]
        on_hand, committed = totals.get(item_id, (ZERO, ZERO))
        buildable: int | None = None
        limit_sku: str | None = None
        if formula.include_buildable and row.type in ASSEMBLY_TYPES:
            buildable = built.get(item_id, 0)
            limit_id = limiting.get(item_id)
            limit_sku = data.items[limit_id].sku if limit_id is not None else None
        on_po: Decimal | None = None
        if formula.include_on_po:
            on_po = ZERO
            for location_id, quantity in data.on_po.get(item_id, ()):
                if counted is None or location_id in counted:
                    on_po += quantity
        result[item_id] = Availability(
            item_id=item_id,
            sku=row.sku,
            on_hand=on_hand,
            committed=committed,
            locations=per_location.get(item_id, ()),
            buildable=buildable,
            limiting=limit_sku,
            on_po=on_po,
            vendor=data.vendor.get(item_id, ZERO) if formula.include_vendor_qty else None,
            error=errors.get(item_id) if row.type in ASSEMBLY_TYPES else None,
        )
    return result


# --- reading the back office in bulk ---------------------------------------------------------

#: above this many items, whole tables are read and filtered in Python (one query each) instead
#: of asking for the items in chunks of :data:`CHUNK`
LOAD_ALL_ABOVE = 5_000
CHUNK = 500


def _select_for(session: Session, statement: Any, column: Any, ids: Collection[int] | None) -> Iterator[Any]:
    """Rows of ``statement`` for ``ids`` of ``column`` (None = all): a few queries, never one per id."""
    if ids is None or len(ids) > LOAD_ALL_ABOVE:
        wanted = None if ids is None else set(ids)
        for row in session.exec(statement):
            if wanted is None or row[0] in wanted:
                yield row
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield from session.exec(statement.where(column.in_(ordered[start : start + CHUNK])))


def load_inventory_data(
    session: Session,
    item_ids: Iterable[int] | None = None,
    *,
    buildable: bool = True,
    on_po: bool = True,
    vendor: bool = True,
) -> InventoryData:
    """Read what the formula needs for ``item_ids`` (None = every item), in a few bulk queries.

    With ``buildable``, the bills of materials are read and every item they reach from
    ``item_ids`` is loaded too (components, their components, ...). Parts switched off are not
    read. Quantities stay exact decimals (they are text on SQLite, so they are summed here).
    """
    data = InventoryData()
    data.locations = dict(session.exec(select(m.Location.id, m.Location.name)).all())  # type: ignore[arg-type]

    if buildable:
        lines = session.exec(
            select(m.BomLine.assembly_id, m.BomLine.component_id, m.BomLine.quantity)
            .join(m.Item, m.Item.id == m.BomLine.assembly_id)  # type: ignore[arg-type]
            .where(m.Item.type.in_(sorted(ASSEMBLY_TYPES)))  # type: ignore[attr-defined]
            .order_by(m.BomLine.assembly_id, m.BomLine.id)
        )
        for assembly_id, component_id, quantity in lines:
            data.bom.setdefault(assembly_id, []).append((component_id, quantity))

    wanted: set[int] | None = None
    if item_ids is not None:
        wanted = set(item_ids)
        frontier = list(wanted)
        while frontier:  # close over bills of materials: components are needed to build
            assembly = frontier.pop()
            for component, _ in data.bom.get(assembly, ()):
                if component not in wanted:
                    wanted.add(component)
                    frontier.append(component)

    for item_id, sku, item_type in _select_for(session, select(m.Item.id, m.Item.sku, m.Item.type), m.Item.id, wanted):
        data.items[item_id] = ItemRow(item_id, sku, item_type)
    if wanted is not None:
        wanted &= data.items.keys()
    data.bom = {a: [(c, q) for c, q in lines if c in data.items] for a, lines in data.bom.items() if a in data.items}

    stock = select(m.Stock.item_id, m.Stock.location_id, m.Stock.on_hand, m.Stock.committed).order_by(
        m.Stock.item_id, m.Stock.location_id
    )
    names = data.locations
    for item_id, location_id, on_hand, committed in _select_for(session, stock, m.Stock.item_id, wanted):
        data.stock.setdefault(item_id, []).append(LocationStock(location_id, names[location_id], on_hand, committed))

    if on_po:
        open_qty: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        po = select(
            m.PurchaseOrderLine.item_id,
            m.PurchaseOrderLine.location_id,
            m.PurchaseOrderLine.ordered,
            m.PurchaseOrderLine.received,
        )
        for item_id, location_id, ordered, received in _select_for(session, po, m.PurchaseOrderLine.item_id, wanted):
            if ordered > received:
                open_qty[(item_id, location_id)] += ordered - received
        for (item_id, location_id), quantity in sorted(open_qty.items()):
            data.on_po.setdefault(item_id, []).append((location_id, quantity))

    if vendor:
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        vendors = select(m.ItemVendor.item_id, m.ItemVendor.quantity)
        for item_id, quantity in _select_for(session, vendors, m.ItemVendor.item_id, wanted):
            totals[item_id] += quantity
        data.vendor = dict(totals)
    return data


def location_ids(session: Session, names: Iterable[str]) -> dict[str, int | None]:
    """Back-office location names -> ids (None for a name that is not a location)."""
    names = list(names)
    if not names:
        return {}
    found = dict(session.exec(select(m.Location.name, m.Location.id).where(m.Location.name.in_(names))).all())  # type: ignore[attr-defined,arg-type]
    return {name: found.get(name) for name in names}


__all__ = [
    "Availability", "BomPlan", "Formula", "InventoryData", "ItemRow", "LocationStock", "STOCKED_TYPES",
    "cart_quantity", "compute_availability", "load_inventory_data", "location_ids", "plan_bom",
]  # fmt: skip
