"""``ecom integration items NAME import|export|list``: the item table of a cart that names items its own way.

The table maps the cart's item codes to back-office SKUs and says which items the cart carries.
It is stored with the integration, in ``general.driver_options.items`` (``{"cart code": "SKU"}``),
so every worker reads the same one; a driver that maps item codes (the Custom Cart) reads it
there. The CSV has two columns, ``cart_item,sku`` (a header row). An import checks every row and
adds the good ones; each bad row is one line naming the row and why, and never stops the others.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.cli import echo_json
from ecom.cli.files import read_text
from ecom.cli.integrations import back_office, integration
from ecom.errors import ConfigError

KEY = "items"
COLUMNS = ("cart_item", "sku")


@integration.group("items")
@click.argument("name")
@click.pass_context
def items(ctx: click.Context, name: str) -> None:
    """The item table of integration NAME: which items the cart carries, and the cart's code for each SKU.

    \b
    ecom integration items shop import items.csv     (CSV: cart_item,sku)
    ecom integration items shop list --json
    ecom integration items shop export -o items.csv
    """
    ctx.obj = name


@items.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_command(name: str, as_json: bool) -> None:
    """Show the item table."""
    with back_office() as session:
        table = _table(integrations.load_settings(session, integrations.get(session, name)).general.driver_options)
    if as_json:
        echo_json([{"cart_item": code, "sku": sku} for code, sku in sorted(table.items())])
    elif not table:
        click.echo(f"Integration {name!r} has no item table: the cart's item codes are read as SKUs.")
    else:
        width = max(len(code) for code in table)
        click.echo(f"{'CART ITEM':<{width}}  SKU")
        for code, sku in sorted(table.items()):
            click.echo(f"{code:<{width}}  {sku}")


@items.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
@click.pass_obj
def export_command(name: str, output: Path | None) -> None:
    """Write the item table as CSV (cart_item,sku)."""
    with back_office() as session:
        table = _table(integrations.load_settings(session, integrations.get(session, name)).general.driver_options)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(sorted(table.items()))
    if output is None:
        click.echo(out.getvalue(), nl=False)
    else:
        output.write_text(out.getvalue(), encoding="utf-8")
        click.echo(f"Wrote {len(table)} items to {output}.")


@items.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the whole table (default: add to it, a code given again is remapped).")
@click.pass_obj
def import_command(name: str, file: Path, replace: bool) -> None:
    """Read the item table from a CSV file (cart_item,sku; - for stdin)."""
    source, text = read_text(file, "a CSV file of cart_item,sku")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != list(COLUMNS):
        raise ConfigError(f"{source}: the first row must be the header cart_item,sku.")
    with back_office() as session:
        item = integrations.get(session, name)
        settings = integrations.load_settings(session, item)
        table = {} if replace else _table(settings.general.driver_options)
        known = set(session.exec(select(m.Item.sku)).all())
        added, bad = 0, []
        seen: dict[str, int] = {}
        for n, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            code, sku = (row + ["", ""])[:2]
            code, sku = code.strip(), sku.strip()
            if len(row) > 2 and any(cell.strip() for cell in row[2:]):
                bad.append(f"{source} row {n}: more than two columns")
            elif not code or not sku:
                bad.append(f"{source} row {n}: cart_item and sku are both required")
            elif sku not in known:
                bad.append(f"{source} row {n}: cart item {code!r}: no back-office item has SKU {sku!r}")
            elif code in seen:
                bad.append(f"{source} row {n}: cart item {code!r} is already on row {seen[code]}")
            else:
                seen[code] = n
                table[code] = sku
                added += 1
        settings.general.driver_options = {**settings.general.driver_options, KEY: table}
        integrations.save_settings(session, item, settings)
    for line in bad:
        click.echo(line, err=True)
    click.echo(f"Item table of {name!r}: {added} rows imported, {len(bad)} refused; {len(table)} items in the table.")
    if bad:
        raise SystemExit(5)


def _table(options: dict) -> dict[str, str]:
    table = options.get(KEY) or {}
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}
