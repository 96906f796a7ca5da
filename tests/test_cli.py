"""The CLI turns ecom's errors into one line and a documented exit code, in one place."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

import ecom
from ecom.cli import EcomGroup
from ecom.errors import AuthError, ConfigError, EcomError, MappingError, RecordError


@click.group(cls=EcomGroup)
def app():
    pass


@app.command()
@click.argument("kind")
def fail(kind):
    errors = {
        "config": ConfigError("Setting 'default ship method': 'UPS Blue' does not exist."),
        "auth": AuthError("[API] Invalid API key or access token (unrecognized login or wrong password)", status=401),
        "mapping": MappingError("SKU 'TEE-XL' is not an item in the back office.", ref="#1042"),
        "other": EcomError("Something ecom knows about."),
        "bug": ZeroDivisionError("division by zero"),
    }
    raise errors[kind]


@pytest.mark.parametrize(
    ("kind", "code", "line"),
    [
        ("config", 3, "Error: Setting 'default ship method': 'UPS Blue' does not exist.\n"),
        ("auth", 4, "Error: [API] Invalid API key or access token (unrecognized login or wrong password)\n"),
        ("mapping", 5, "Error: #1042: SKU 'TEE-XL' is not an item in the back office.\n"),
        ("other", 1, "Error: Something ecom knows about.\n"),
    ],
)
def test_errors_become_one_line_and_their_exit_code(kind, code, line, monkeypatch):
    monkeypatch.delenv("ECOM_RAISE_ERRORS", raising=False)
    result = CliRunner().invoke(app, ["fail", kind])
    assert result.exit_code == code
    assert result.stderr == line
    assert "Traceback" not in result.output


def test_raise_errors_env_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("ECOM_RAISE_ERRORS", "1")
    result = CliRunner().invoke(app, ["fail", "config"])
    assert isinstance(result.exception, ConfigError)


def test_a_bug_is_not_disguised_as_a_user_error(monkeypatch):
    monkeypatch.delenv("ECOM_RAISE_ERRORS", raising=False)
    result = CliRunner().invoke(app, ["fail", "bug"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_record_error_without_ref_is_just_the_message():
    assert str(RecordError("bad row")) == "bad row"


def test_version(ecom_cli):
    result = ecom_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"ecom, version {ecom.__version__}\n"
