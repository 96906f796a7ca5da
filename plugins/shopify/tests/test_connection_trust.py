"""Where the access token may go (issue 18 points 1 and 2) and the shop's connection fields (issue 11
points 6 and 7), through the CLI.

The token travels in the ``X-Shopify-Access-Token`` header, which httpx does not strip on a
redirect to another host: a 307 to another loopback origin must not receive it. Plain HTTP to
another machine is refused when saved and again when a request is made.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from ecom import integrations
from ecom.errors import ConfigError

import ecom_shopify
from ecom_shopify.fake import ShopifyFake

NAME = "shop"


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class Recorder:
    """Another origin on this machine: records the headers of every request it gets."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.headers.append({k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"data": {}}).encode()]


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    app = Recorder()
    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def keys(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))


def add(ecom_cli, monkeypatch, token: str, *args: str):
    monkeypatch.setenv("SHOPIFY_TOKEN", token)
    return ecom_cli("integration", "add", NAME, "--cart", "shopify", "--website-name", "ecom-demo", *args,
                    "--password-env", "SHOPIFY_TOKEN")


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_a_redirect_to_another_origin_never_gets_the_token(ecom_db, ecom_cli, keys, recorder, clock, monkeypatch):
    other, other_url = recorder
    fake = ShopifyFake(clock=clock)
    with fake.serve() as url:
        assert add(ecom_cli, monkeypatch, fake.token, "--api-url", url).exit_code == 0
        assert ecom_cli("integration", "test", NAME).exit_code == 0  # the shop answers where it is
        fake.redirect_next(other_url)
        result = ecom_cli("integration", "test", NAME)
    assert other.headers == [], "nothing at all reached the other origin"
    assert result.exit_code == 4, result.output
    assert f"the cart redirected the request to {other_url}, another address; ecom does not follow" in result.stderr
    assert fake.token not in result.output


def test_plain_http_to_another_machine_is_refused_when_a_request_is_made(fake: ShopifyFake, connection):
    """An integration saved before the rule (or edited behind ecom's back) sends nothing."""
    insecure = dataclasses.replace(connection, api_url="http://shop.example.com")
    with pytest.raises(ConfigError, match="plain HTTP to another machine: the credentials would cross the network unencrypted"):
        ecom_shopify.test_connection(connection=insecure, operations=frozenset())
    assert fake.requests == []


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_add_refuses_plain_http_and_a_missing_token_and_normalises_a_pasted_api_url(ecom_db, ecom_cli, keys, monkeypatch):
    insecure = add(ecom_cli, monkeypatch, "shpat_0123456789", "--api-url", "http://shop.example.com")
    assert insecure.exit_code == 3
    assert "api_url: 'http://shop.example.com' is plain HTTP to another machine" in insecure.stderr
    assert "driver_options" not in insecure.stderr, "Shopify has no option to allow it: the token would go in clear"
    anything = ecom_cli("integration", "add", NAME, "--cart", "shopify", "--api-url", "https://acme.myshopify.com", "--no-password")
    assert anything.exit_code == 3
    assert "password: required by the Shopify driver: The Admin API access token" in anything.stderr

    pasted = add(ecom_cli, monkeypatch, "shpat_0123456789", "--api-url", "acme.myshopify.com/admin/api/2026-07/graphql.json")
    assert pasted.exit_code == 0, pasted.output
    assert "Note: no scheme given" in pasted.stderr
    assert "Note: /admin/api/2026-07/graphql.json is the API's own path, which the driver adds: https://acme.myshopify.com is used" in pasted.stderr
    with ecom_db.session() as session:
        assert integrations.get(session, NAME).api_url == "https://acme.myshopify.com"
