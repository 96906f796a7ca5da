"""``ecom mail``: how the end-of-job report is emailed (SMTP settings), and a test message."""

from __future__ import annotations

import os
import sys

import click
from sqlmodel import Session

from ecom import db, notify, secrets
from ecom import models as m
from ecom.cli import cli, echo_json
from ecom.errors import ConfigError


@cli.group()
def mail() -> None:
    """SMTP settings for the end-of-job email."""


@mail.command("set")
@click.option("--host", required=True)
@click.option("--port", type=click.IntRange(1, 65535), default=587, show_default=True)
@click.option("--security", type=click.Choice(["starttls", "ssl", "none"]), default="starttls", show_default=True)
@click.option("--username")
@click.option("--from", "from_address", required=True, help="The sender address.")
@click.option("--password-env", metavar="VAR", help="Read the SMTP password from this environment variable.")
@click.option("--password-stdin", is_flag=True, help="Read the SMTP password from standard input.")
@click.option("--no-password", is_flag=True, help="The server needs no password.")
def set_mail(host: str, port: int, security: str, username: str | None, from_address: str,
             password_env: str | None, password_stdin: bool, no_password: bool) -> None:  # fmt: skip
    """Set the SMTP server. The password is prompted for (hidden) unless given another way."""
    if no_password:
        password = None
    elif password_env:
        password = os.environ.get(password_env)
        if password is None:
            raise ConfigError(f"The environment variable {password_env} is not set.")
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("SMTP password", hide_input=True, default="", show_default=False) or None
    with db.session(db.open_engine()) as session:
        row = notify.mail_settings(session) or m.MailSettings(host=host, from_address=from_address)
        row.host, row.port, row.security, row.username, row.from_address = host, port, security, username, from_address
        row.password_encrypted = secrets.encrypt(password) if password else None
        session.add(row)
    click.echo(f"Mail goes through {host}:{port} ({security}) from {from_address}.")


@mail.command("show")
@click.option("--json", "as_json", is_flag=True)
def show_mail(as_json: bool) -> None:
    """The SMTP settings (never the password)."""
    with Session(db.open_engine()) as session:
        row = notify.mail_settings(session)
    data = None if row is None else {
        "host": row.host, "port": row.port, "security": row.security, "username": row.username,
        "from": row.from_address, "password": "(set)" if row.password_encrypted else "(none)",
    }  # fmt: skip
    if as_json:
        echo_json(data)
    elif data is None:
        click.echo("No mail settings: `ecom mail set --host ... --from ...`.")
    else:
        for key, value in data.items():
            click.echo(f"{key:<10} {value if value is not None else '-'}")


@mail.command("test")
@click.argument("address")
def test_mail(address: str) -> None:
    """Send a test message to ADDRESS."""
    with Session(db.open_engine()) as session:
        row = notify.mail_settings(session)
    if row is None:
        raise ConfigError("No mail settings: `ecom mail set --host ... --from ...` first.")
    try:
        notify.send(row, [address], "ecom test message", "ecom can send you its job reports.")
    except OSError as exc:
        raise ConfigError(f"Could not send through {row.host}:{row.port}: {exc}") from exc
    click.echo(f"Sent a test message to {address}.")
