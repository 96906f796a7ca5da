"""``ecom users``: who may log in to the web admin (``ecom serve``).

A password is typed at a hidden prompt (twice) or read from the first line of stdin
(``--password-stdin``), never from a flag, and never printed.
"""

from __future__ import annotations

import sys

import click

from ecom import users as users_service
from ecom.cli import cli, echo_json
from ecom.cli.integrations import back_office
from ecom.errors import ConfigError


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise ConfigError("The first line of stdin is empty: give the password there.")
        return value
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@cli.group()
def users() -> None:
    """Users of the web admin: add, list, remove, password."""


@users.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def add_user(username: str, password_stdin: bool) -> None:
    """Add a user who may log in to `ecom serve`."""
    password = _read_password(password_stdin)
    with back_office() as session:
        users_service.add(session, username, password)
    click.echo(f"Added user {username!r}: they can log in to `ecom serve` now.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_users(as_json: bool) -> None:
    """The users, by name."""
    with back_office() as session:
        rows = [{"username": u.username, "created_at": u.created_at.isoformat()} for u in users_service.list_users(session)]
    if as_json:
        echo_json(rows)
    elif not rows:
        click.echo("No users yet: `ecom users add NAME` adds one.")
    for row in [] if as_json else rows:
        click.echo(f"{row['username']:<24} added {row['created_at'][:19]}")


@users.command("remove")
@click.argument("username")
def remove_user(username: str) -> None:
    """Remove a user (they cannot log in any more)."""
    with back_office() as session:
        users_service.remove(session, username)
    click.echo(f"Removed user {username!r}.")


@users.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def change_password(username: str, password_stdin: bool) -> None:
    """Set a user's password."""
    with back_office() as session:
        users_service.get(session, username)
    password = _read_password(password_stdin)
    with back_office() as session:
        users_service.set_password(session, username, password)
    click.echo(f"Changed the password of {username!r}.")
