"""``ecom inventory``: explain the quantities an integration pushes, and push them by hand.

``preview`` shows, per carried item and cart location, the quantity a push would send, every part
of it and whether it changed since the last push; it reads only the back office. ``push`` runs
the push phase now, outside a sync job (``ecom sync NAME`` runs it as part of one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import click
from sqlmodel import Session

from ecom import db, integrations
from ecom import models as m
from ecom.binding import DbRefCache
from ecom.cli import cli, echo_json
from ecom.cli.items import echo_table
from ecom.jobs import lifecycle
from ecom.jobs.context import UnlockedDriver
from ecom.inventory_push import DEFAULT_BATCH_SIZE, InventoryPlan, PlannedLevel, binding_hint, plan_inventory, push_inventory
from ecom.plugins import Driver, get_driver
from ecom.records import Connection
from ecom.settings import IntegrationSettings


@dataclass
class PhaseContext:
    """What running a phase by hand needs: the session, the integration and its driver."""

    session: Session
    integration: m.Integration
    settings: IntegrationSettings
    driver: Driver
    connection: Connection
    job: m.Job
    phase: str

    def record(self, counts: dict[str, int]) -> None:
        """Keep the phase's counts on its job (``ecom jobs show``)."""
        self.job.counts = {self.phase: counts}


@contextmanager
def phase_context(name: str, phase: str) -> Iterator[PhaseContext]:
    """Open the back office, find integration ``name`` and its driver, for a phase run by hand.

    The phase runs as a job of its own (trigger manual), so it holds the integration's one-job
    lock like ``ecom sync``: refused (exit 6) while another job is queued or running, and listed
    by ``ecom jobs list`` afterwards. Like a sync job's, its heartbeat beats from a thread, and it
    commits before each cart call, so it never holds the database while it waits on the cart and a
    job cancelled meanwhile stops at its next call.
    """
    engine = db.open_engine()
    try:
        with Session(engine, expire_on_commit=False) as session:
            integration = integrations.get(session, name)
            job = lifecycle.create_job(
                session, integration, trigger=m.JobTrigger.MANUAL, options={"phases": [phase]}, claim=True
            )
            with lifecycle.KeepAlive(engine, job):  # a long cart call must not let the lease run out
                yield from _run_phase(session, integration, job, phase)
    finally:
        engine.dispose()


def _run_phase(session: Session, integration: m.Integration, job: m.Job, phase: str) -> Iterator[PhaseContext]:
    try:
        settings = integrations.load_settings(session, integration)
        driver = UnlockedDriver(get_driver(integration.cart_kind), session, job)  # commits before each cart call
        assert integration.id is not None
        connection = replace(integrations.connection(integration), refs=DbRefCache(session, integration.id))
        yield PhaseContext(session, integration, settings, driver, connection, job, phase)
        lifecycle.heartbeat(session, job)  # cancelled or taken over meanwhile: its work is not kept
        session.commit()
    except BaseException as exc:
        session.rollback()
        lifecycle.fail_job(session, job, f"{phase.replace('_', ' ')} stopped: {exc}")
        raise
    if not lifecycle.finish_job(session, job, m.JobStatus.SUCCEEDED):
        raise lifecycle.JobLostError(lifecycle.lost_message(session, job))


@cli.group()
def inventory() -> None:
    """Inventory quantities pushed to carts."""


def _formula_text(settings: IntegrationSettings) -> str:
    general = settings.general
    parts = [
        f"buildable {'on' if general.include_buildable else 'off'}",
        f"on PO {'on' if general.include_on_po else 'off'}",
        f"vendor {'on' if general.include_vendor_qty else 'off'}",
        f"locations: {', '.join(general.locations) or 'all'}",
    ]
    if general.location_map:
        parts.append("map: " + ", ".join(f"{k} → {v}" for k, v in general.location_map.items()))
    return "; ".join(parts)


def _number(value: Any) -> str:
    return "-" if value is None else str(value)


def _row(level: PlannedLevel) -> list[Any]:
    a = level.availability
    last = "never" if level.last_pushed is None else str(level.last_pushed)
    buildable = "-" if a.buildable is None else f"{a.buildable}" + (f" ({a.limiting})" if a.limiting else "")
    places = ", ".join(f"{s.location} {s.on_hand}−{s.committed}" for s in a.locations) or "-"
    return [
        a.sku,
        level.cart_location or "default",
        "ERROR" if level.quantity is None else level.quantity,
        last + (" *" if level.changed else ""),
        a.on_hand,
        a.committed,
        buildable,
        _number(a.on_po),
        _number(a.vendor),
        places,
    ]


HEADERS = [
    "SKU",
    "CART LOCATION",
    "PUSH",
    "LAST",
    "ON HAND",
    "COMMITTED",
    "BUILDABLE (LIMIT)",
    "ON PO",
    "VENDOR",
    "BY LOCATION",
]


def _echo_plan(name: str, settings: IntegrationSettings, plan: InventoryPlan) -> None:
    click.echo(f"Inventory for {name} ({_formula_text(settings)})")
    if not plan.levels and not plan.errors:
        click.echo(f"Nothing to push: {_nothing_carried(name, plan)}")
        return
    echo_table(HEADERS, [_row(level) for level in plan.levels], right=("PUSH", "ON HAND", "COMMITTED", "ON PO", "VENDOR"))
    for level in plan.levels:
        if level.availability.error:
            click.echo(f"{level.sku}: {level.availability.error}")
    for error in plan.errors:
        click.echo(str(error))
    changed = len(plan.changed)
    click.echo(
        f"{changed} of {len(plan.levels)} quantities changed since the last push (*): `ecom inventory push {name}` sends them."
    )


def _nothing_carried(name: str, plan: InventoryPlan) -> str:
    if plan.carried.items:  # carried, but none holds stock
        return f"none of the items {name!r} carries holds stock (services, non-inventory parts, charges)."
    what = "the item list (general.cart_items) names" if plan.carried.source == "selection" else "carries"
    hint = binding_hint(name, plan.carried)
    return f"{name!r} {what} no item yet. {hint[0].upper()}{hint[1:]}."


@inventory.command()
@click.argument("name")
@click.option("--sku", "skus", multiple=True, help="Only this item (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def preview(name: str, skus: tuple[str, ...], as_json: bool) -> None:
    """Show the quantity integration NAME would push per item, with its parts.

    Per item and cart location: the quantity, what was last pushed (* = changed since), on hand,
    committed, per back-office location, buildable and its limiting component, on PO and vendor
    quantities (- = not counted). Reads the back office only; nothing is sent.
    """
    engine = db.open_engine()
    try:
        with Session(engine) as session:
            integration = integrations.get(session, name)
            settings = integrations.load_settings(session, integration)
            plan = plan_inventory(session, integration, settings=settings, skus=skus or None)
    finally:
        engine.dispose()
    if as_json:
        general = settings.general
        echo_json(
            {
                "integration": name,
                "formula": {
                    "locations": general.locations,
                    "location_map": general.location_map,
                    "include_buildable": general.include_buildable,
                    "include_on_po": general.include_on_po,
                    "include_vendor_qty": general.include_vendor_qty,
                },
                "levels": [level.as_dict() for level in plan.levels],
                "errors": [{"sku": e.ref, "message": e.message} for e in plan.errors],
                "changed": len(plan.changed),
                "count": len(plan.levels),
                "note": None if plan.levels or plan.errors else f"Nothing to push: {_nothing_carried(name, plan)}",
            }
        )
        return
    _echo_plan(name, settings, plan)


@inventory.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Send every quantity, not only the changed ones.")
@click.option(
    "--batch-size",
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    type=click.IntRange(min=1),
    help="Quantities per call to the cart.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def push(name: str, full: bool, batch_size: int, as_json: bool) -> None:
    """Push integration NAME's changed quantities to its cart now (all of them with --full).

    Exit code 5 when the cart refused some quantities (they are sent again next time).
    """
    with phase_context(name, "push_inventory") as ctx:
        result = push_inventory(
            ctx.session, ctx.integration, ctx.driver, ctx.connection, full=full, batch_size=batch_size, settings=ctx.settings
        )
        ctx.record(result.counts())
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(
            f"{result.accepted} quantities accepted, {result.failed} refused, {result.unchanged} unchanged "
            f"({result.items} items, {result.levels} quantities)."
        )
        for error in result.errors:
            click.echo(f"  {error}")
    if result.errors:
        raise SystemExit(5)
