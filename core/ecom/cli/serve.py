"""``ecom serve``: the web admin (:mod:`ecom.web`), on loopback unless TLS protects it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from ecom.errors import ConfigError
from ecom.cli import cli


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(host: str, certfile: Path | None, keyfile: Path | None, behind_tls_proxy: bool) -> None:
    """Refuse to serve logins in clear text to the network."""
    if bool(certfile) != bool(keyfile):
        raise ConfigError("Give both --tls-cert and --tls-key, or neither.")
    if not is_loopback(host) and not certfile and not behind_tls_proxy:
        raise ConfigError(
            f"Refusing to listen on {host}: passwords and session cookies would cross the network in clear. "
            "Give --tls-cert and --tls-key, or --behind-tls-proxy if a TLS proxy in front of ecom is the only way in."
        )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--tls-cert", "certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS certificate (PEM).")
@click.option("--tls-key", "keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM).")
@click.option("--behind-tls-proxy", is_flag=True, help="A TLS proxy in front of ecom is the only way in: allow a non-loopback address.")
def serve(host: str, port: int, certfile: Path | None, keyfile: Path | None, behind_tls_proxy: bool) -> None:
    """Serve the web admin: integrations, their editor, jobs and their errors."""
    check_binding(host, certfile, keyfile, behind_tls_proxy)
    try:
        import uvicorn

        from ecom.web.app import create_app
    except ImportError as exc:
        raise ConfigError(f"The web admin is not installed ({exc.name} is missing): pip install 'ecom[web]'.") from None
    from ecom import db

    db.open_engine().dispose()  # refuses a database that is missing or not upgraded, before listening
    app = create_app(secure_cookies=bool(certfile) or behind_tls_proxy)
    click.echo(f"ecom web admin on http{'s' if certfile else ''}://{host}:{port}/ (Ctrl+C stops it)", err=True)
    uvicorn.run(
        app, host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None, proxy_headers=behind_tls_proxy, log_level="warning",
    )  # fmt: skip
