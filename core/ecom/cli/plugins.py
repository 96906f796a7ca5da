"""``ecom plugins``: which cart drivers are installed and what they implement, and a new driver
rendered from the template (:mod:`ecom.template`)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ecom.cli import cli, echo_json
from ecom.plugins import plugin_rows


@cli.group()
def plugins() -> None:
    """Installed cart drivers, and new ones from the template."""


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


@plugins.command("new")
@click.argument("name")
@click.option(
    "--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="Folder to create the driver's folder in.",
)
def new_plugin(name: str, parent: Path) -> None:
    """Create a new cart driver from the template: ecom plugins new "Acme Cart".

    Writes ecom-acme-cart/ (package ecom_acme_cart, cart kind acme_cart): the driver with every
    hook, a fake of a simple REST cart, tests that pass as rendered, a benchmark and a README.
    """
    from ecom.template import render_driver

    names, target = render_driver(name, parent)
    click.echo(f"Created {target}: driver {names.package}, cart kind {names.kind!r}. Next:")
    click.echo(f"  pip install -e {shlex.quote(f'{target}[test]')}")
    click.echo(f"  python -m pytest {shlex.quote(str(target))}")
    click.echo("  ecom plugins list")
