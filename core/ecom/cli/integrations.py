"""``ecom integration``: add, inspect, change, test and dry-run the connected carts.

The commands are thin: the rules live in :mod:`ecom.integrations` (the service and its checks)
and :mod:`ecom.integration_file` (TOML and ``key=value``); the wording of ``show`` and
``preview`` in :mod:`ecom.cli.integration_views` and :mod:`ecom.preview`. A password is read from a hidden prompt, an
environment variable or stdin, never from a flag, and never printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlmodel import Session

from ecom import db, integration_file, integrations, secrets
from ecom.cli import cli, echo_json
from ecom.cli.files import read_text
from ecom.cli.integration_views import checklist_lines, show_lines
from ecom.text import table
from ecom.errors import ConfigError
from ecom.connection_test import check_connection, report_lines
from ecom.jobs import schedule
from ecom.plugins import drivers
from ecom.preview import order_from_text, preview_lines, preview_order
from ecom.records import CartOrder
from ecom.settings import DiscountRow, PaymentMethodRow, ShipMethodRow

GRIDS = ("tax-states", "ship-methods", "payment-methods", "discounts")


@contextmanager
def back_office() -> Iterator[Session]:
    """A session on the back office that commits when the block ends (rolls back if it raises)."""
    engine = db.open_engine()
    try:
        with db.session(engine) as session:
            yield session
    finally:
        engine.dispose()


@cli.group()
def integration() -> None:
    """Connected carts: their connection, settings, mappings, test and preview."""


# --- passwords -------------------------------------------------------------------------------


def password_options(func: Any) -> Any:
    """--password-env / --password-stdin (and --ask-password on set): never a plain --password."""
    func = click.option("--password-stdin", is_flag=True, help="Read the password from stdin (first line).")(func)
    func = click.option("--password-env", metavar="VAR", help="Read the password from this environment variable.")(func)
    return func


def read_password(env_var: str | None, from_stdin: bool, *, ask: bool, empty_ok: bool = False) -> str | None:
    """The password from the environment, stdin or a hidden prompt (None = not given).

    An empty password is refused unless ``empty_ok`` (``add``'s prompt: empty means none).
    """
    if env_var and from_stdin:
        raise click.UsageError("Give --password-env or --password-stdin, not both.")
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise ConfigError(f"The environment variable {env_var} is not set, so there is no password to read.")
        where = f"The environment variable {env_var}"
    elif from_stdin:
        value, where = sys.stdin.readline().rstrip("\r\n"), "The first line of stdin"
    elif ask:
        value, where = click.prompt("Password", hide_input=True, default="", show_default=False), "The password typed"
    else:
        return None
    if not value and not (empty_ok and ask and not env_var and not from_stdin):
        raise ConfigError(f"{where} is empty: give the password, or use --no-password (add) / --clear-password (set).")
    return value


@contextmanager
def noting_key_file(session: Session) -> Iterator[None]:
    """Say so when the block creates the secret key file (on the first password saved)."""
    path = secrets.key_file_path(session.get_bind().url.render_as_string(hide_password=False))
    existed = bool(os.environ.get(secrets.KEY_ENV)) or path.exists()
    yield
    if not existed and path.exists():
        click.echo(f"Created the secret key file {path} (owner-only). Back it up: saved passwords need it.", err=True)


# --- add, list, show -------------------------------------------------------------------------


@integration.command("add")
@click.argument("name")
@click.option("--cart", "cart_kind", required=True, metavar="KIND", help="The cart's driver, e.g. shopify.")
@click.option("--website-name", default="", help="Website Name (what it means depends on the cart).")
@click.option("--api-url", default="", help="API URL of the cart.")
@click.option("--username", default="", help="Username (for some carts a key or client id).")
@password_options
@click.option("--no-password", is_flag=True, help="The cart needs no password: do not ask for one.")
def add_command(
    name: str, cart_kind: str, website_name: str, api_url: str, username: str, password_env: str | None, password_stdin: bool, no_password: bool
) -> None:
    """Add an integration (inactive until activated). The password is asked for, hidden (leave
    it empty for none), unless --password-env, --password-stdin or --no-password is given."""
    driver_title = _driver_title(cart_kind)
    if driver_title is None:
        click.echo(f"Note: no driver for cart {cart_kind!r} is installed yet (try: pip install ecom-{cart_kind.replace('_', '-')}).", err=True)
    password = None if no_password else read_password(password_env, password_stdin, ask=True, empty_ok=True)
    notes: list[str] = []
    with back_office() as session, noting_key_file(session):
        item = integrations.create(
            session, name, cart_kind, website_name=website_name, api_url=api_url, username=username, password=password, notes=notes
        )
        steps = integrations.checklist(session, item)
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(f"Added integration {name!r} ({driver_title or cart_kind}), inactive.")
    missing = integrations.missing_to_activate(steps)
    if missing:
        click.echo(f"Before it can be activated ({len(missing)} missing):")
        for line in checklist_lines(missing):
            click.echo(line)
    click.echo("Then:" if missing else "Next:")
    for line in checklist_lines([step for step in steps if not step.needed_to_activate]):
        click.echo(line)


@integration.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_command(as_json: bool) -> None:
    """List integrations: name, cart, active, API URL, last successful test."""
    with back_office() as session:
        rows = []
        for item in integrations.list_integrations(session):
            test = integrations.last_test(item)
            rows.append(
                {
                    "name": item.name,
                    "cart": item.cart_kind,
                    "active": item.active,
                    "website_name": item.website_name,
                    "api_url": item.api_url,
                    "tested_at": test.at.isoformat() if test else None,
                }
            )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No integrations yet. Add one: ecom integration add NAME --cart KIND --api-url URL")
        return
    for line in table(
        ("NAME", "CART", "ACTIVE", "API URL", "TESTED"),
        [(r["name"], r["cart"], "yes" if r["active"] else "no", r["api_url"] or "-", (r["tested_at"] or "never")[:16].replace("T", " ")) for r in rows],
        indent="",
    ):
        click.echo(line)


@integration.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_command(name: str, as_json: bool) -> None:
    """Show every tab of an integration (the password only as set or not)."""
    with back_office() as session:
        item = integrations.get(session, name)
        settings = integrations.load_settings(session, item)
        test = integrations.last_test(item)
        steps = integrations.checklist(session, item)
    runs = schedule.upcoming_runs(settings.schedule, test.at if test else None)
    if as_json:
        echo_json(
            {
                "name": item.name,
                "cart": item.cart_kind,
                "active": item.active,
                "checklist": [
                    {"step": s.key, "done": s.done, "needed_to_activate": s.needed_to_activate, "detail": s.detail, "command": s.command or None}
                    for s in steps
                ],
                "ready_to_activate": not integrations.missing_to_activate(steps),
                "connection": {
                    "website_name": item.website_name,
                    "api_url": item.api_url,
                    "username": item.username,
                    "password_set": integrations.password_is_set(item),
                },
                "connection_test": {"at": test.at.isoformat(), "message": test.message} if test else None,
                "next_runs": [run.isoformat() for run in runs],
                "settings": settings.model_dump(mode="json", by_alias=True),
            }
        )
        return
    fields = _driver_fields(item.cart_kind)

    def labelled(key: str, value: str) -> str:
        return f"{value or '-'}  ({fields[key]})" if key in fields else value or "-"

    tested = f"{test.at:%Y-%m-%d %H:%M} UTC: {test.message}" if test else f"never (ecom integration test {item.name})"
    header = {
        "name": item.name,
        "cart": item.cart_kind,
        "cart_title": _driver_title(item.cart_kind) or "driver not installed",
        "active": item.active,
        "connection": [
            ("website_name", labelled("website_name", item.website_name)),
            ("api_url", labelled("api_url", item.api_url)),
            ("username", labelled("username", item.username)),
            ("password", labelled("password", "set (encrypted)" if integrations.password_is_set(item) else "not set")),
            ("tested", tested),
            ("next runs", schedule.next_runs_text(settings.schedule, test.at if test else None, runs)),
        ],
    }
    for line in show_lines(header, settings.model_dump(mode="python", by_alias=True), steps):
        click.echo(line)


# --- set, activate, deactivate, remove -------------------------------------------------------


@integration.command("set")
@click.argument("name")
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--ask-password", is_flag=True, help="Ask for a new password (hidden).")
@password_options
@click.option("--clear-password", is_flag=True, help="Remove the stored password.")
def set_command(
    name: str, assignments: tuple[str, ...], ask_password: bool, password_env: str | None, password_stdin: bool, clear_password: bool
) -> None:
    """Change settings and connection fields (KEY=VALUE), or the password.

    \b
    ecom integration set shop shipping.default_method="UPS Ground" general.locations=Main,East

    Keys are the ones `show` and `export` print (website_name, api_url, username, name, and
    SECTION.KEY); an empty value resets a setting. Everything is checked first; if anything is
    wrong, nothing changes.
    """
    if sum((ask_password, bool(password_env), password_stdin, clear_password)) > 1:
        raise click.UsageError("Give one of --ask-password, --password-env, --password-stdin, --clear-password.")
    password = read_password(password_env, password_stdin, ask=ask_password)
    if not assignments and password is None and not clear_password:
        raise click.UsageError("Nothing to set: give KEY=VALUE pairs or a password option.")
    with back_office() as session, noting_key_file(session):
        item = integrations.get(session, name)
        notes: list[str] = []
        changed = integration_file.set_values(session, item, assignments, notes=notes) if assignments else []
        if (password or clear_password) and integrations.set_password(session, item, password or None):
            changed.append("password")
        final_name = item.name
    for note in notes:
        click.echo(f"Note: {note}", err=True)
    click.echo(f"Saved integration {final_name!r}: {', '.join(changed)}." if changed else f"Integration {final_name!r} is unchanged.")
    if any(key in changed for key in ("api_url", "connection.api_url", "username", "connection.username", "password")):
        click.echo(f"The connection changed: run `ecom integration test {final_name}` before its schedule runs again.")


@integration.command("activate")
@click.argument("name")
def activate_command(name: str) -> None:
    """Make an integration active: it syncs by hand and on its schedule."""
    with back_office() as session:
        item = integrations.get(session, name)
        integrations.activate(session, item)
        tested = integrations.last_test(item) is not None
    click.echo(f"Integration {name!r} is active.")
    if not tested:
        click.echo(f"Its schedule starts after a successful test: ecom integration test {name}")


@integration.command("deactivate")
@click.argument("name")
def deactivate_command(name: str) -> None:
    """Make an integration inactive: it no longer syncs."""
    with back_office() as session:
        integrations.deactivate(session, integrations.get(session, name))
    click.echo(f"Integration {name!r} is inactive.")


@integration.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove_command(name: str, yes: bool) -> None:
    """Remove an integration, its mappings, bindings and job history (imported orders stay)."""
    with back_office() as session:
        item = integrations.get(session, name)
        if not yes:
            click.confirm(f"Remove integration {name!r} with its mappings, bindings and job history?", abort=True)
        integrations.remove(session, item)
    click.echo(f"Removed integration {name!r}.")


# --- test ------------------------------------------------------------------------------------


@integration.command("test")
@click.argument("name")
@click.option("--activate", "then_activate", is_flag=True, help="After a success, activate the integration if nothing else is missing.")
def test_command(name: str, then_activate: bool) -> None:
    """Test Connection: ask the cart whether it answers and accepts the credentials.

    A success is recorded; the integration's schedule starts from it. After a success, an
    inactive integration that lacks nothing else is activated when --activate is given, or
    after asking (at a terminal); otherwise the command that activates it is printed.
    """
    with back_office() as session:
        item = integrations.get(session, name)
        report = check_connection(session, item)
        missing = [] if item.active else integrations.missing_to_activate(integrations.checklist(session, item))
        was_active = item.active
    for line in report_lines(report):
        click.echo(line)
    if was_active:
        return
    if missing:
        click.echo(f"Integration {name!r} is inactive; before it can be activated ({len(missing)} missing):")
        for line in checklist_lines(missing):
            click.echo(line)
        return
    if then_activate or (_interactive() and click.confirm(f"Nothing else is missing: activate {name!r} now?", default=False)):
        with back_office() as session:
            integrations.activate(session, integrations.get(session, name))
        click.echo(f"Integration {name!r} is active: it syncs by hand and on its schedule.")
    else:
        click.echo(f"Nothing else is missing: activate it with `ecom integration activate {_quoted(name)}` (or test with --activate).")


def _interactive() -> bool:
    """Whether a person is at the terminal to answer a question (not a script or a pipe)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


# --- export, apply ---------------------------------------------------------------------------


@integration.command("export")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout).")
def export_command(name: str, output: Path | None) -> None:
    """Write an integration as TOML (the password as a keep-current placeholder)."""
    with back_office() as session:
        text = integration_file.export_text(session, integrations.get(session, name))
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Exported integration {name!r} to {output}.")


@integration.command("apply")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
def apply_command(file: Path) -> None:
    """Create or update the integration a TOML file describes (see `export`).

    Everything is checked first and every problem listed; if anything is wrong, nothing changes.
    """
    source, text = read_text(file, "an integration file")
    with back_office() as session, noting_key_file(session):
        folder = None if str(file) == "-" else file.parent
        result = integration_file.apply_text(session, text, source=source, folder=folder)
        item = result.integration
        state = "active" if item.active else "inactive"
    if result.created:
        click.echo(f"Created integration {item.name!r} ({item.cart_kind}), {state}.")
    elif result.changed:
        click.echo(f"Updated integration {item.name!r}, {state}.")
    else:
        click.echo(f"Integration {item.name!r} is unchanged.")
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)


# --- grids -----------------------------------------------------------------------------------


@integration.group("grid")
def grid() -> None:
    """Mapping grids: tax-states (STATE → item sales tax), ship-methods (cart method → ship method),
    payment-methods (cart method → payment method [+ term]), discounts (cart code → discount)."""


@grid.command("list")
@click.argument("name")
@click.argument("grid_name", metavar="[GRID]", required=False, type=click.Choice(GRIDS))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def grid_list(name: str, grid_name: str | None, as_json: bool) -> None:
    """List the rows of one grid, or of all four."""
    with back_office() as session:
        settings = integrations.load_settings(session, integrations.get(session, name))
    chosen = [grid_name] if grid_name else list(GRIDS)
    rows = {g: _grid_rows(settings, g) for g in chosen}
    if as_json:
        echo_json(rows if grid_name is None else rows[grid_name])
        return
    headers = {
        "tax-states": ("STATE", "ITEM SALES TAX"),
        "ship-methods": ("CART METHOD", "CART CARRIER", "SHIP METHOD"),
        "payment-methods": ("CART METHOD", "PAYMENT METHOD", "TERM"),
        "discounts": ("CART CODE", "DISCOUNT"),
    }
    for index, g in enumerate(chosen):
        if index:
            click.echo("")
        click.echo(f"{g}:")
        if not rows[g]:
            click.echo("  (no rows)")
            continue
        for line in table(headers[g], [[v or "-" for v in row.values()] for row in rows[g]]):
            click.echo(line)


def _grid_rows(settings: Any, grid_name: str) -> list[dict[str, Any]]:
    if grid_name == "tax-states":
        return [{"state": s, "item_sales_tax": t} for s, t in settings.sales_tax.states.items()]
    if grid_name == "ship-methods":
        return [{"cart_method": r.cart_method, "cart_carrier": r.cart_carrier, "method": r.method} for r in settings.shipping.methods]
    if grid_name == "payment-methods":
        return [{"cart_method": r.cart_method, "method": r.method, "term": r.term} for r in settings.payments.methods]
    return [{"cart_code": r.cart_code, "discount": r.discount} for r in settings.discounts.codes]


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@grid.command("add")
@click.argument("name")
@click.argument("grid_name", metavar="GRID", type=click.Choice(GRIDS))
@click.argument("key")
@click.argument("value")
@click.option("--carrier", default="", help="ship-methods: the cart's carrier too (default: any).")
@click.option("--term", default=None, help="payment-methods: the term to record.")
def grid_add(name: str, grid_name: str, key: str, value: str, carrier: str, term: str | None) -> None:
    """Add a row: KEY is the cart's side (state, cart method, cart code), VALUE the back office's
    name. A row for the same KEY is replaced.

    \b
    ecom integration grid add shop tax-states NY "NY 8.875%"
    ecom integration grid add shop ship-methods "Priority Mail" "USPS Priority" --carrier USPS
    ecom integration grid add shop payment-methods paypal PayPal --term Prepaid
    ecom integration grid add shop discounts WELCOME10 Welcome
    """
    _grid_options_fit(grid_name, carrier, term)
    with back_office() as session:
        item = integrations.get(session, name)
        settings = integrations.load_settings(session, item)
        replaced = _grid_remove(settings, grid_name, key, carrier)
        if grid_name == "tax-states":
            settings.sales_tax.states = {**settings.sales_tax.states, key: value}
        elif grid_name == "ship-methods":
            settings.shipping.methods = [*settings.shipping.methods, ShipMethodRow(method=value, cart_method=key, cart_carrier=carrier)]
        elif grid_name == "payment-methods":
            settings.payments.methods = [*settings.payments.methods, PaymentMethodRow(method=value, term=term, cart_method=key)]
        else:
            settings.discounts.codes = [*settings.discounts.codes, DiscountRow(discount=value, cart_code=key)]
        integrations.save_settings(session, item, settings)
    click.echo(f"{'Replaced' if replaced else 'Added'} {grid_name} row {key!r} → {value!r} on integration {name!r}.")


@grid.command("remove")
@click.argument("name")
@click.argument("grid_name", metavar="GRID", type=click.Choice(GRIDS))
@click.argument("key")
@click.option("--carrier", default="", help="ship-methods: the row's cart carrier.")
def grid_remove(name: str, grid_name: str, key: str, carrier: str) -> None:
    """Remove the row for KEY (the cart's side: state, cart method or cart code)."""
    _grid_options_fit(grid_name, carrier, None)
    with back_office() as session:
        item = integrations.get(session, name)
        settings = integrations.load_settings(session, item)
        if not _grid_remove(settings, grid_name, key, carrier):
            raise ConfigError(f"Integration {name!r} has no {grid_name} row for {key!r}: see ecom integration grid list {name} {grid_name}")
        integrations.save_settings(session, item, settings)
    click.echo(f"Removed {grid_name} row {key!r} from integration {name!r}.")


def _grid_options_fit(grid_name: str, carrier: str, term: str | None) -> None:
    if carrier and grid_name != "ship-methods":
        raise click.UsageError("--carrier is for ship-methods only.")
    if term is not None and grid_name != "payment-methods":
        raise click.UsageError("--term is for payment-methods only.")


def _grid_remove(settings: Any, grid_name: str, key: str, carrier: str) -> bool:
    """Remove the row for ``key`` from ``settings``; whether there was one."""
    if grid_name == "tax-states":
        states = dict(settings.sales_tax.states)
        found = states.pop(key.strip().upper(), None) is not None
        settings.sales_tax.states = states
        return found
    if grid_name == "ship-methods":
        rows = settings.shipping.methods
        kept = [r for r in rows if not (_same(r.cart_method, key) and _same(r.cart_carrier, carrier))]
        settings.shipping.methods = kept
    elif grid_name == "payment-methods":
        rows = settings.payments.methods
        kept = [r for r in rows if not _same(r.cart_method, key)]
        settings.payments.methods = kept
    else:
        rows = settings.discounts.codes
        kept = [r for r in rows if not _same(r.cart_code, key)]
        settings.discounts.codes = kept
    return len(kept) != len(rows)


# --- preview ---------------------------------------------------------------------------------


@integration.command("preview")
@click.argument("name")
@click.option("--order", "order_file", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="A canonical order in its JSON form (docs/records.md); - for stdin.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the mapping outcome as JSON.")
@click.pass_context
def preview_command(ctx: click.Context, name: str, order_file: Path, as_json: bool) -> None:
    """Show the transaction one order would become, with every warning and error; writes nothing.

    Exits 5 when the order would not be imported because of errors.
    """
    order = _read_order(order_file)
    engine = db.open_engine()
    try:
        with Session(engine) as session:
            outcome = preview_order(session, integrations.get(session, name), order)
    finally:
        engine.dispose()
    if as_json:
        echo_json(outcome.model_dump(mode="json", by_alias=True))
    else:
        for line in preview_lines(outcome):
            click.echo(line)
    if outcome.errors:
        ctx.exit(5)


def _read_order(path: Path) -> CartOrder:
    return order_from_text(*read_text(path, "an order"))


# --- drivers, when installed -----------------------------------------------------------------


def _driver_title(kind: str) -> str | None:
    try:
        found = drivers()
    except ConfigError:
        return None
    return found[kind].info.title if kind in found else None


def _driver_fields(kind: str) -> dict[str, str]:
    try:
        found = drivers()
    except ConfigError:
        return {}
    return found[kind].info.fields.model_dump() if kind in found else {}



from ecom.cli import integration_items  # noqa: E402,F401  (registers `integration items`)
