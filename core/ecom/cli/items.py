"""``ecom items list``: the back office's items, and the aligned table helper list commands share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from sqlmodel import select

from ecom import db
from ecom.cli import cli, echo_json
from ecom.models import Item, ItemGroup


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()) -> None:
    """Print rows under headers, columns aligned; columns named in ``right`` align right (numbers)."""
    text = [[("" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in text)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if h in right else cell.ljust(w) for cell, w, h in zip(cells, widths, headers, strict=True)
        ).rstrip()

    click.echo(line(headers))
    for row in text:
        click.echo(line(row))


@cli.group()
def items() -> None:
    """Back-office items."""


@items.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_items(as_json: bool) -> None:
    """List items: SKU, name, type, group, price, active; sorted by SKU."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            query = select(Item, ItemGroup.name).outerjoin(ItemGroup, Item.group_id == ItemGroup.id).order_by(Item.sku)
            rows = [
                {
                    "sku": item.sku,
                    "name": item.name,
                    "type": item.type.value,
                    "group": group,
                    "price": str(item.price),
                    "active": item.active,
                }
                for item, group in session.exec(query)
            ]
    finally:
        engine.dispose()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No items yet. Import some: ecom import items FILE.csv")
        return
    echo_table(
        ("SKU", "NAME", "TYPE", "GROUP", "PRICE", "ACTIVE"),
        [(r["sku"], r["name"], r["type"], r["group"] or "-", r["price"], "yes" if r["active"] else "no") for r in rows],
        right=("PRICE",),
    )
