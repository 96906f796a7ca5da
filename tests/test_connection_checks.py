"""The connection fields an admin saves, checked in the core for every driver (issues 11.6, 11.7, 18.1).

An API URL is normalised where it can be (``https://`` added, the API's own path removed, each
with a note) and refused in words where it cannot (not http(s), plain HTTP to another machine, a
secret inside it); a field the driver says it requires is refused empty, at ``add``, ``set`` and
``apply`` alike. The driver below says what it requires through ``describe_cart``.
"""

from __future__ import annotations

import pytest

from ecom import hookimpl, integrations, secrets
from ecom.records import CartInfo, ConnectionFields, WebOrderStatus

ADD = ("integration", "add", "shop", "--cart", "strict", "--website-name", "Dana's")


class StrictDriver:
    @hookimpl
    def describe_cart(self) -> CartInfo:
        return CartInfo(
            kind="strict", title="Strict Cart",
            fields=ConnectionFields(website_name="A name", api_url="The store's address", username="Not used",
                                    password="The API token from Settings > API"),
            statuses={"open": WebOrderStatus.PROCESSING},
            required=["api_url", "password"], api_paths=[r"/api(/v2)?"], plain_http_option="allow_http",
        )


@pytest.fixture(autouse=True)
def setup(ecom_db, ecom_plugins, monkeypatch, tmp_path):
    monkeypatch.delenv(secrets.KEY_ENV, raising=False)
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(tmp_path / "secret.key"))
    monkeypatch.setenv("TOKEN", "tok-123456")
    ecom_plugins.register(StrictDriver(), name="strict")
    return ecom_db


def saved_url(ecom_db, name: str = "shop") -> str | None:
    with ecom_db.session() as session:
        found = integrations.find(session, name)
        return None if found is None else found.api_url


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("file:///etc/passwd", "api_url: 'file:///etc/passwd' is not a web address: it must start with https://"),
        ("ftp://shop.example.com", "api_url: 'ftp://shop.example.com' is not a web address"),
        ("http://shop.example.com", "api_url: 'http://shop.example.com' is plain HTTP to another machine: the credentials "
                                    "would cross the network unencrypted; use the cart's https:// address, or set "
                                    "general.driver_options.allow_http = true"),
        ("https://admin:hunter22@shop.example.com", "api_url: the API URL holds a user name or password"),
        ("https://shop.example.com/?page=1", "has a query or fragment"),
        ("https://shop.example.com:99999", "has a port that is not a number from 1 to 65535"),
        ("https://", "names no host"),
    ],
)
def test_add_refuses_an_api_url_that_cannot_be_used_in_words(typed, words, ecom_cli, setup):
    result = ecom_cli(*ADD, "--api-url", typed, "--password-env", "TOKEN")
    assert result.exit_code == 3, result.output
    assert words in result.stderr
    assert "hunter22" not in result.output
    assert saved_url(setup) is None, "nothing was saved"


@pytest.mark.parametrize(
    ("typed", "saved", "note"),
    [
        ("shop.example.com", "https://shop.example.com", "no scheme given: https://shop.example.com is used"),
        ("https://shop.example.com/api/v2/", "https://shop.example.com", "/api/v2 is the API's own path, which the driver adds"),
        ("https://shop.example.com/store/api", "https://shop.example.com/store", "/api is the API's own path"),
        ("  http://127.0.0.1:8080/ ", "http://127.0.0.1:8080", None),
        ("http://localhost:8080", "http://localhost:8080", None),
    ],
)
def test_add_normalises_what_it_can_with_a_note(typed, saved, note, ecom_cli, setup):
    result = ecom_cli(*ADD, "--api-url", typed, "--password-env", "TOKEN")
    assert result.exit_code == 0, result.output
    assert saved_url(setup) == saved
    if note:
        assert f"Note: {note}" in result.stderr
    else:
        assert "Note:" not in result.stderr


def test_a_field_the_driver_requires_is_refused_empty_at_add_set_and_apply(ecom_cli, setup, tmp_path):
    refused = ecom_cli(*ADD, "--api-url", "https://shop.example.com", "--no-password")
    assert refused.exit_code == 3
    assert "password: required by the Strict Cart driver: The API token from Settings > API" in refused.stderr
    missing_url = ecom_cli(*ADD, "--password-env", "TOKEN")
    assert missing_url.exit_code == 3 and "api_url: required by the Strict Cart driver: The store's address" in missing_url.stderr
    assert saved_url(setup) is None

    assert ecom_cli(*ADD, "--api-url", "https://shop.example.com", "--password-env", "TOKEN").exit_code == 0
    cleared = ecom_cli("integration", "set", "shop", "--clear-password")
    assert cleared.exit_code == 3 and "password: required by the Strict Cart driver" in cleared.stderr
    blanked = ecom_cli("integration", "set", "shop", "api_url=")
    assert blanked.exit_code == 3 and "api_url: required by the Strict Cart driver" in blanked.stderr
    assert saved_url(setup) == "https://shop.example.com"

    (tmp_path / "new.toml").write_text('name = "other"\ncart = "strict"\n[connection]\napi_url = "https://other.example.com"\n')
    applied = ecom_cli("integration", "apply", str(tmp_path / "new.toml"))
    assert applied.exit_code == 3 and "connection.password: required by the Strict Cart driver" in applied.stderr
    assert saved_url(setup, "other") is None


def test_set_and_apply_check_and_normalise_the_api_url_too(ecom_cli, setup, tmp_path):
    assert ecom_cli(*ADD, "--api-url", "https://shop.example.com", "--password-env", "TOKEN").exit_code == 0
    refused = ecom_cli("integration", "set", "shop", "api_url=http://shop.example.com")
    assert refused.exit_code == 3 and "api_url: 'http://shop.example.com' is plain HTTP to another machine" in refused.stderr
    moved = ecom_cli("integration", "set", "shop", "api_url=new.example.com/api")
    assert moved.exit_code == 0, moved.output
    assert "Note: no scheme given" in moved.stderr and "Note: /api is the API's own path" in moved.stderr
    assert saved_url(setup) == "https://new.example.com"
    allowed = ecom_cli("integration", "set", "shop", "general.driver_options={ allow_http = true }", "api_url=http://shop.example.com")
    assert allowed.exit_code == 0, allowed.output  # the driver says it sends no secret in clear then
    assert saved_url(setup) == "http://shop.example.com"

    (tmp_path / "shop.toml").write_text('name = "shop"\n[connection]\napi_url = "file:///etc/passwd"\n')
    applied = ecom_cli("integration", "apply", str(tmp_path / "shop.toml"))
    assert applied.exit_code == 3 and "connection.api_url: 'file:///etc/passwd' is not a web address" in applied.stderr
    (tmp_path / "shop.toml").write_text('name = "shop"\n[connection]\napi_url = "https://shop.example.com/api/v2"\n')
    applied = ecom_cli("integration", "apply", str(tmp_path / "shop.toml"))
    assert applied.exit_code == 0, applied.output
    assert "Note: /api/v2 is the API's own path" in applied.stderr
    assert saved_url(setup) == "https://shop.example.com"
