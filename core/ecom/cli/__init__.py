"""The ``ecom`` command line: the root group, and errors turned into words in one place.

Each command group lives in its own module here, registered on :data:`cli` by its decorators, and
is named in :data:`COMMANDS` below with its one-line help. A module is imported only when its
command runs (click's lazy subcommands), so ``ecom --help`` and ``ecom --version`` load neither
the database layer nor the drivers; ``tests/test_cli.py`` checks the list against the modules.
The global ``--db PATH`` names the back office (a SQLite file, or any database URL) for one
command, instead of ``ECOM_DATABASE_URL``.

Every ``EcomError`` becomes one line on stderr and the exit code of its class (:mod:`ecom.errors`);
``ECOM_RAISE_ERRORS=1`` shows the traceback instead. Exit codes:

====  ==========================================================
0     done
1     an ecom error not classed below
2     usage error (unknown option, missing argument)
3     configuration error: bad settings or input, nothing ran
4     the cart failed or refused (driver error), or the database stopped answering
5     a record could not be imported or mapped
6     another sync job of the integration is queued or running
====  ==========================================================
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ecom.errors import EcomError

# Every top-level command: the module that defines it, and its one-line help for `ecom --help`
# (the first sentence of the command's own help; tests/test_cli.py keeps the two the same).
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("ecom.cli.demo", "Run a full sync against each installed driver's fake store, in a throwaway back office."),
    "import": ("ecom.cli.importer", "Import a back-office list from a CSV file."),
    "init": ("ecom.cli.db", "Create the database, or upgrade it to the latest revision (data is kept)."),
    "integration": ("ecom.cli.integrations", "Connected carts: their connection, settings, mappings, test and preview."),
    "inventory": ("ecom.cli.inventory", "Inventory quantities pushed to carts."),
    "items": ("ecom.cli.items", "Back-office items."),
    "jobs": ("ecom.cli.jobs", "Sync jobs: list, show, errors, retry, cancel."),
    "mail": ("ecom.cli.mail", "SMTP settings for the end-of-job email."),
    "orders": ("ecom.cli.orders", "Back-office sales orders and ship docs."),
    "plugins": ("ecom.cli.plugins", "Installed cart drivers, and new ones from the template."),
    "products": ("ecom.cli.products", "Products between the back office and carts."),
    "serve": ("ecom.cli.serve", "Serve the web admin: integrations, their editor, jobs and their errors."),
    "sync": ("ecom.cli.sync", "Run a sync job for integration NAME now."),
    "users": ("ecom.cli.users", "Users of the web admin: add, list, remove, password."),
    "worker": ("ecom.cli.worker", "Queue scheduled jobs when they are due and run queued jobs."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands, listed in :data:`COMMANDS`, are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])  # its decorators add it to this group
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:  # a command not imported yet is described by its line in COMMANDS
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class EcomGroup(click.Group):
    """A click group that turns ecom's errors into one line and a documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            error = exc if isinstance(exc, EcomError) else _database_error(exc)
            if error is None or os.environ.get("ECOM_RAISE_ERRORS"):
                raise
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)


def _database_error(exc: Exception) -> EcomError | None:
    """A database that stopped answering is said in words (exit 4), wherever it happened."""
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from ecom.db import unavailable

    return unavailable(exc)


class RootGroup(LazyGroup, EcomGroup):
    """The ``ecom`` group: lazy subcommands, ecom's errors as one line and an exit code."""


def _use_database(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """``--db``: point ``ECOM_DATABASE_URL`` at PATH (or the URL given) while the command runs."""
    if value is None:
        return
    if not value.strip():
        raise click.BadParameter("is empty: give the database file (e.g. ecom.db) or a database URL", ctx=ctx)
    if "://" in value:
        url = value
    else:
        path = Path(value).expanduser()
        if path.is_dir():
            raise click.BadParameter(f"{value} is a folder: give the database file in it, e.g. {path / 'ecom.db'}", ctx=ctx)
        url = f"sqlite:///{path}"
    previous = os.environ.get("ECOM_DATABASE_URL")
    os.environ["ECOM_DATABASE_URL"] = url

    def restore() -> None:
        if previous is None:
            os.environ.pop("ECOM_DATABASE_URL", None)
        else:
            os.environ["ECOM_DATABASE_URL"] = previous

    ctx.call_on_close(restore)


@click.group(cls=RootGroup)
@click.version_option(package_name="ecom", prog_name="ecom")
@click.option(
    "--db", metavar="PATH", expose_value=False, callback=_use_database,
    help="The back-office database: a SQLite file (its key file is PATH.key) or a database URL. "
    "Default: ECOM_DATABASE_URL, else ecom.db here.",
)  # fmt: skip
def cli() -> None:
    """ecom: import cart orders into your back office; push status, stock and products back."""


def echo_json(data: Any) -> None:
    """Print machine-readable output: stable key order, Decimals and datetimes as strings."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def main() -> None:  # console script entry point
    cli(prog_name="ecom")


__all__ = ["COMMANDS", "cli", "echo_json", "main"]
if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
