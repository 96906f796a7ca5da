"""Benchmark: how long ecom takes to compute every item's quantity for a cart.

Generates a back office in a temporary SQLite database (migrated as ``ecom init`` would):
50,000 SKUs over 3 locations, 2,000 of them assemblies or kits whose bills of materials nest up
to 3 levels, open purchase-order lines and vendor quantities. Then it times, separately:

- **load**: reading what the formula needs (:func:`ecom.inventory.load_inventory_data`, a few
  bulk queries);
- **compute**: every item's quantity with all three add-ons on, over all locations
  (:func:`ecom.inventory.compute_availability`, including sorting the BOM graph);
- **compute per location**: the same, once per location (as a location map to three cart
  locations does).

Target: compute under 1 s on one core. Run: ``.venv/bin/python bench/availability.py``
(``--help`` for the sizes). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from ecom import db
from ecom import models as m
from ecom.inventory import Formula, compute_availability, load_inventory_data
from sqlmodel import Session

LOCATIONS = ("Main", "East", "West")


def generate(engine: sa.Engine, items: int, assemblies: int, seed: int) -> dict[str, int]:
    """Fill the back office; returns how many rows of each kind were written."""
    rng = random.Random(seed)
    raw = items - assemblies
    levels = (assemblies // 2, assemblies * 3 // 10, assemblies - assemblies // 2 - assemblies * 3 // 10)
    rows: dict[str, list[dict]] = {
        "locations": [],
        "items": [],
        "stock": [],
        "bom_lines": [],
        "purchase_order_lines": [],
        "item_vendors": [],
    }
    rows["locations"] = [{"id": n, "name": name} for n, name in enumerate(LOCATIONS, start=1)]

    def item(n: int, sku: str, kind: m.ItemType) -> dict:
        return {
            "id": n,
            "sku": sku,
            "name": sku.title(),
            "type": kind.value,
            "price": Decimal("9.99"),
            "taxable": True,
            "active": True,
        }

    rows["items"] = [item(n, f"RAW-{n:06d}", m.ItemType.INVENTORY) for n in range(1, raw + 1)]
    tiers: list[list[int]] = [list(range(1, raw + 1))]
    next_id = raw + 1
    for level, count in enumerate(levels, start=1):
        tier = []
        for _ in range(count):
            kind = m.ItemType.KIT if rng.random() < 0.3 else m.ItemType.ASSEMBLY
            rows["items"].append(item(next_id, f"ASM{level}-{next_id:06d}", kind))
            lower = [i for t in tiers for i in rng.sample(t, 1)] if level > 1 else []  # one from each lower tier
            parts = set(lower) | set(rng.sample(tiers[0], rng.randint(2, 5)))
            for component in sorted(parts):
                per = Decimal(rng.choice(("1", "1", "2", "3", "0.5", "4")))
                rows["bom_lines"].append({"assembly_id": next_id, "component_id": component, "quantity": per})
            tier.append(next_id)
            next_id += 1
        tiers.append(tier)

    for n in range(1, items + 1):
        for location in range(1, len(LOCATIONS) + 1):
            on_hand = Decimal(rng.randint(0, 500)) if rng.random() < 0.9 else Decimal(rng.randint(0, 2000)) / 4
            committed = Decimal(rng.randint(0, 60))
            rows["stock"].append({"item_id": n, "location_id": location, "on_hand": on_hand, "committed": committed})
    for n in range(items // 5):
        ordered = Decimal(rng.randint(1, 200))
        received = Decimal(rng.randint(0, 250))
        rows["purchase_order_lines"].append(
            {
                "po_number": f"PO-{n // 8:05d}",
                "item_id": rng.randint(1, items),
                "location_id": rng.randint(1, len(LOCATIONS)),
                "ordered": ordered,
                "received": received,
            }
        )
    vendor_items = rng.sample(range(1, items + 1), items // 10)
    rows["item_vendors"] = [{"item_id": i, "vendor": "Acme", "quantity": Decimal(rng.randint(0, 100))} for i in vendor_items]
    # a PO line is unique per (PO, item, location): drop random repeats
    seen, unique_po = set(), []
    for row in rows["purchase_order_lines"]:
        key = (row["po_number"], row["item_id"], row["location_id"])
        if key not in seen:
            seen.add(key)
            unique_po.append(row)
    rows["purchase_order_lines"] = unique_po

    tables = {"locations": m.Location, "items": m.Item, "stock": m.Stock, "bom_lines": m.BomLine,
              "purchase_order_lines": m.PurchaseOrderLine, "item_vendors": m.ItemVendor}  # fmt: skip
    with engine.begin() as connection:
        for name, table in tables.items():
            if rows[name]:
                connection.execute(sa.insert(table.__table__), rows[name])  # type: ignore[attr-defined]
    return {name: len(found) for name, found in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=50_000, help="SKUs in all (default 50,000)")
    parser.add_argument("--assemblies", type=int, default=2_000, help="of which assemblies and kits (default 2,000)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="compute this many times, report the best")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(url)
        engine = db.make_engine(url)
        started = time.perf_counter()
        counts = generate(engine, args.items, args.assemblies, args.seed)
        generated = time.perf_counter() - started

        with Session(engine) as session:
            data, loaded = timed(lambda: load_inventory_data(session))

        formula = Formula(include_buildable=True, include_on_po=True, include_vendor_qty=True)
        computes, per_location = [], []
        for _ in range(args.repeat):
            data.__dict__.pop("bom_plan", None)  # sort the BOM graph again each time: it is part of the work
            result, seconds = timed(lambda: compute_availability(data, formula))
            computes.append(seconds)
            _, seconds = timed(
                lambda: [
                    compute_availability(
                        data, Formula(include_buildable=True, include_on_po=True, locations=frozenset({location}))
                    )
                    for location in data.locations
                ]
            )
            per_location.append(seconds)
        engine.dispose()

    built = sum(1 for a in result.values() if a.buildable)
    total = sum(a.quantity or 0 for a in result.values())
    versions = f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}"
    print(f"ecom availability benchmark  ({versions})")
    print("  rows: " + ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items()))
    print(f"  generate + insert        {generated:7.3f} s wall")
    print(f"  load (bulk queries)      {show(loaded)}")
    print(f"  compute, all locations   {show(best(computes))}   (best of {args.repeat}; {len(result):,} quantities, "
          f"{built:,} assemblies can build, sum {total:,})")  # fmt: skip
    print(f"  compute, per location    {show(best(per_location))}   ({len(data.locations)} × every item)")


Seconds = tuple[float, float]  # wall clock, CPU


def timed(work):  # type: ignore[no-untyped-def]
    """Run ``work``; returns its result and the (wall clock, CPU) seconds it took."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def best(runs: list[Seconds]) -> Seconds:
    return min(runs, key=lambda run: run[1])


def show(seconds: Seconds) -> str:
    return f"{seconds[0]:7.3f} s wall  {seconds[1]:7.3f} s CPU"


if __name__ == "__main__":
    main()
