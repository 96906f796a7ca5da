"""``ecom demo``: see ecom work end to end against the installed drivers' fake stores."""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import click

from ecom.cli import cli
from ecom.cli.sync import PhaseProgress
from ecom.demo import run_demo


@cli.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep the demo's back office in this folder.")
def demo(keep: Path | None) -> None:
    """Run a full sync against each installed driver's fake store, in a throwaway back office."""
    folder = keep or Path(tempfile.mkdtemp(prefix="ecom-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    progress: dict[str, PhaseProgress] = {}

    def make_progress(kind: str) -> PhaseProgress:
        for earlier in progress.values():
            earlier.done()
        click.echo(f"\n== {kind}: fake store on a loopback port, {60} orders, full sync ==", err=True)
        progress[kind] = PhaseProgress()
        return progress[kind]

    try:
        results = run_demo(folder, progress=make_progress)
        for p in progress.values():
            p.done()
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if not results:
        click.echo("No cart drivers are installed, so there is nothing to demonstrate. Install one or more:")
        click.echo("  pip install ./plugins/shopify ./plugins/woocommerce ./plugins/custom_cart    (from a clone of ecom)")
        return
    click.echo("\nWhat happened:")
    for r in results:
        if r.problem:
            click.echo(f"  {r.title}: could not run: {r.problem}")
            continue
        report = r.report or {}
        orders = report.get("counts", {}).get("import_orders", {})
        stock = report.get("counts", {}).get("push_inventory", {})
        click.echo(
            f"  {r.title}: {r.connection.rstrip('.')}. Job {report.get('id')} {report.get('status', '').replace('_', ' ')}: "
            f"{orders.get('created', 0)} orders imported of {orders.get('fetched', 0)} read "
            f"({orders.get('skipped', 0)} skipped: archived or filtered), {r.customers} customers created, "
            f"{stock.get('updated', 0)} quantities pushed, {report.get('error_count', 0)} errors."
        )
        for e in report.get("errors", [])[:3]:
            click.echo(f"      {e['record'] or e['phase']}: {e['message']}")
    ecom = program()
    click.echo("\nNext, try:")
    if keep is None:
        click.echo(f"  {ecom} demo --keep demo        # the same, keeping its back office in ./demo to look around")
        folder = Path("demo")
    where = f"{ecom} --db {shlex.quote(str(folder / 'ecom.db'))}"
    first = next((r.kind for r in results if not r.problem), results[0].kind)
    for command in ("orders list", "jobs list", "jobs show 1", f"integration show demo-{first}", f"inventory preview demo-{first}"):
        click.echo(f"  {where} {command}")
    click.echo(f"  {ecom} plugins list")


def program() -> str:
    """How to run this ecom again from here: ``ecom`` when the shell finds this very one, else its
    path (as after the README's quick start, which runs ``.venv/bin/ecom`` without activating)."""
    script = Path(sys.argv[0])
    if script.name != "ecom":
        return "ecom"
    found = shutil.which("ecom")
    if found and Path(found).resolve() == script.resolve():
        return "ecom"
    return shlex.quote(str(script))
