"""The ``ecom`` command line: the root group, and errors turned into words in one place.

Each command group lives in its own module here and is added below. Every ``EcomError`` becomes
one line on stderr and the exit code of its class (:mod:`ecom.errors`); ``ECOM_RAISE_ERRORS=1``
shows the traceback instead. Exit codes:

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

import json
import os
import sys
from typing import Any

import click

import ecom
from ecom.errors import EcomError


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


@click.group(cls=EcomGroup)
@click.version_option(ecom.__version__, prog_name="ecom")
def cli() -> None:
    """ecom: import cart orders into your back office; push status, stock and products back."""


def echo_json(data: Any) -> None:
    """Print machine-readable output: stable key order, Decimals and datetimes as strings."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def main() -> None:  # console script entry point
    cli(prog_name="ecom")


from ecom.cli import plugins as _plugins  # noqa: E402  (command modules register themselves)
from ecom.cli import integrations as _integrations  # noqa: E402
from ecom.cli import db as _db  # noqa: E402
from ecom.cli import importer as _importer  # noqa: E402
from ecom.cli import items as _items  # noqa: E402
from ecom.cli import orders as _orders  # noqa: E402
from ecom.cli import sync as _sync  # noqa: E402
from ecom.cli import jobs as _jobs  # noqa: E402
from ecom.cli import mail as _mail  # noqa: E402
from ecom.cli import worker as _worker  # noqa: E402
from ecom.cli import demo as _demo  # noqa: E402
from ecom.cli import inventory as _inventory  # noqa: E402
from ecom.cli import products as _products  # noqa: E402

__all__ = ["cli", "echo_json", "main"]
if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
