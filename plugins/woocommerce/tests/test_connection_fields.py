"""The store's connection fields as the core checks them with what this driver says (issues 11.6,
11.7, 18.1): the REST path pasted after the address is removed, plain HTTP to another machine needs
the ``allow_http`` option (requests are then signed, no secret in clear), and the consumer key and
secret are required."""

from __future__ import annotations

import pytest
from ecom import integrations


@pytest.fixture
def keys(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("WOO_SECRET", "cs_0123456789abcdef")


def add(ecom_cli, *args: str):
    return ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--username", "ck_0123456789abcdef", *args)


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_the_stores_fields_are_checked_when_added(ecom_db, ecom_cli, keys, tmp_path):
    insecure = add(ecom_cli, "--api-url", "http://shop.example.com", "--password-env", "WOO_SECRET")
    assert insecure.exit_code == 3
    assert ("api_url: 'http://shop.example.com' is plain HTTP to another machine: the credentials would cross the network "
            "unencrypted; use the cart's https:// address, or set general.driver_options.allow_http = true") in insecure.stderr
    no_secret = add(ecom_cli, "--api-url", "https://shop.example.com", "--no-password")
    assert no_secret.exit_code == 3 and "password: required by the WooCommerce driver: The consumer secret" in no_secret.stderr
    no_key = ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--api-url", "https://shop.example.com",
                      "--password-env", "WOO_SECRET")
    assert no_key.exit_code == 3 and "username: required by the WooCommerce driver: The REST API consumer key" in no_key.stderr

    pasted = add(ecom_cli, "--api-url", "https://shop.example.com/wp-json/wc/v3/", "--password-env", "WOO_SECRET")
    assert pasted.exit_code == 0, pasted.output
    assert "Note: /wp-json/wc/v3 is the API's own path, which the driver adds: https://shop.example.com is used" in pasted.stderr
    with ecom_db.session() as session:
        assert integrations.get(session, "woo").api_url == "https://shop.example.com"

    (tmp_path / "woo.toml").write_text('name = "woo"\n[general]\ndriver_options = { allow_http = true }\n'
                                       '[connection]\napi_url = "http://shop.example.com"\n')
    applied = ecom_cli("integration", "apply", str(tmp_path / "woo.toml"))
    assert applied.exit_code == 0, applied.output  # signed with OAuth 1.0a: allowed when the admin says so
