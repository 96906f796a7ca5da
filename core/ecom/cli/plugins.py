"""``ecom plugins``: which cart drivers are installed and what they implement."""

from __future__ import annotations

import click

from ecom.cli import cli, echo_json
from ecom.plugins import plugin_rows


@cli.group()
def plugins() -> None:
    """Installed cart drivers."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_plugins(as_json: bool) -> None:
    """List installed drivers with their version, hooks and the carts they provide."""
    rows = plugin_rows()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No cart drivers installed. From a clone of ecom: pip install ./plugins/shopify ./plugins/woocommerce")
        return
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        if "error" in row:
            click.echo(f"{row['name']:<{width}}  BROKEN: {row['error']}")
            continue
        carts = ", ".join(row["carts"]) or "-"
        click.echo(f"{row['name']:<{width}}  {row['version'] or '-':<8}  carts: {carts}  hooks: {', '.join(row['hooks'])}")
