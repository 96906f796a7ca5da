"""``ecom init``: create the back-office database, or bring it to the latest revision."""

from __future__ import annotations

import click

from ecom import db
from ecom.cli import cli


@cli.command("init")
def init_command() -> None:
    """Create the database, or upgrade it to the latest revision (data is kept).

    The database is ECOM_DATABASE_URL, or the file ecom.db in the working folder.
    """
    report = db.init()
    where = db.display_url(report.url)
    if report.before is None:
        click.echo(f"Created the ecom database {where} at revision {report.after} (latest).")
    elif report.changed:
        click.echo(f"Upgraded the ecom database {where} from revision {report.before} to {report.after} (latest).")
    else:
        click.echo(f"The ecom database {where} is at revision {report.after} (latest): nothing to do.")
    if report.tightened is not None:
        click.echo(
            f"The database file {where} could be read by other users (mode {report.tightened:04o}): "
            "it is owner-only (0600) now, as ecom creates it.",
            err=True,
        )
    from ecom import secrets  # integration passwords are encrypted with this key (docs/integrations.md)

    if (key_file := secrets.init_key_file(report.url)) is not None:
        click.echo(f"Created the secret key file {key_file} (owner-only): integration passwords are encrypted with it.", err=True)
