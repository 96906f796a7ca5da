"""``ecom products``: move products between the back office and a cart by hand.

``import`` brings the cart's products in (binding them to items by SKU, and creating the missing
items when the integration's Import Products is on, or with ``--create``); ``export`` creates or
updates the integration's items in the cart. A sync job runs the same phases (``ecom sync``).
"""

from __future__ import annotations

import click

from ecom.cli import cli, echo_json
from ecom.cli.inventory import phase_context
from ecom.products import DEFAULT_BATCH_SIZE, export_products, import_products


@cli.group()
def products() -> None:
    """Products between the back office and carts."""


@products.command("import")
@click.argument("name")
@click.option(
    "--create/--no-create",
    default=None,
    help="Create items for SKUs the back office lacks (default: the integration's Import Products setting). "
    "--no-create only binds the cart's products to existing items.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def import_(name: str, create: bool | None, as_json: bool) -> None:
    """Import integration NAME's cart products into the back office.

    Products are matched to items by SKU and bound; products without a SKU are listed, never
    guessed. Exit code 5 when some products could not be read or bound.
    """
    with phase_context(name, "import_products") as ctx:
        result = import_products(ctx.session, ctx.integration, ctx.driver, ctx.connection, create=create, settings=ctx.settings)
        ctx.record(result.counts())
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(
            f"{result.fetched} cart products: {result.created} items created, {result.bound} bound to existing items, "
            f"{result.unchanged} already bound, {len(result.not_in_back_office)} not in the back office, "
            f"{len(result.no_sku)} without SKU."
        )
        for problem in [*result.errors, *result.warnings]:
            click.echo(f"  {problem}")
    if result.errors:
        raise SystemExit(5)


@products.command("export")
@click.argument("name")
@click.option("--sku", "skus", multiple=True, help="Only this item (repeatable).")
@click.option("--full", is_flag=True, help="Send every item, not only those changed since their last export.")
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(min=1),
    help="Products per call to the cart.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def export(name: str, skus: tuple[str, ...], full: bool, batch_size: int, as_json: bool) -> None:
    """Create or update integration NAME's items as products in its cart.

    Exit code 5 when the cart refused some products.
    """
    with phase_context(name, "export_products") as ctx:
        result = export_products(
            ctx.session, ctx.integration, ctx.driver, ctx.connection,
            full=full, skus=skus or None, batch_size=batch_size, settings=ctx.settings,
        )  # fmt: skip
        ctx.record(result.counts())
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(
            f"{result.considered} items: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.failed} refused."
        )
        for problem in [*result.errors, *result.warnings]:
            click.echo(f"  {problem}")
    if result.errors:
        raise SystemExit(5)
