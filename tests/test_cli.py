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


# --- starting fast: ecom --help and --version load no command module -------------------------

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic", "pluggy", "httpx", "cryptography", "jinja2", "ecom.cli.")


def _modules_loaded_by(*argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``ecom ARGV`` (the console script's path)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ecom.cli import main\n"
        f"sys.argv = ['ecom', *{list(argv)!r}]\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(done.stderr.split())


@pytest.mark.parametrize("argv", [("--help",), ("--version",), ()])
def test_help_and_version_import_no_database_driver_or_http_layer(argv):
    loaded = _modules_loaded_by(*argv)
    heavy = sorted(m for m in loaded if m.startswith(HEAVY) or m.split(".")[0] in {h.rstrip(".") for h in HEAVY})
    assert heavy == []


def test_a_commands_help_imports_only_its_module():
    loaded = _modules_loaded_by("plugins", "--help")
    assert "ecom.cli.plugins" in loaded
    assert not {"ecom.cli.integrations", "ecom.cli.sync", "ecom.cli.demo", "sqlalchemy", "alembic"} & loaded


def test_every_command_is_listed_with_its_own_first_sentence():
    from ecom.cli import COMMANDS, cli

    for name, (module, short_help) in COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None, f"{module} defines no command {name!r}"
        assert command.callback.__module__ == module
        assert short_help == command.get_short_help_str(limit=1000), f"COMMANDS[{name!r}] differs from the command's help"
    assert sorted(cli.commands) == sorted(COMMANDS), "a command module registers a command COMMANDS does not list"


def test_help_lists_every_command(ecom_cli):
    from ecom.cli import COMMANDS

    listed = ecom_cli("--help").stdout.split("Commands:\n", 1)[1]
    assert [line.split()[0] for line in listed.splitlines()] == sorted(COMMANDS)


def test_an_unknown_command_is_a_usage_error(ecom_cli):
    result = ecom_cli("nosuch")
    assert result.exit_code == 2 and "No such command 'nosuch'" in result.stderr


# --- ecom --db PATH ---------------------------------------------------------------------------


def test_db_option_names_the_back_office_for_one_command(ecom_cli, tmp_path, monkeypatch):
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOM_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.delenv("ECOM_SECRET_KEY", raising=False)
    monkeypatch.delenv("ECOM_SECRET_KEY_FILE", raising=False)
    (tmp_path / "office").mkdir()
    created = ecom_cli("--db", "office/ecom.db", "init")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "office" / "ecom.db").exists() and (tmp_path / "office" / "ecom.db.key").exists()
    assert not (tmp_path / "elsewhere.db").exists()
    assert os.environ["ECOM_DATABASE_URL"] == "sqlite:///elsewhere.db"  # only for that command
    listed = ecom_cli("--db", str(tmp_path / "office" / "ecom.db"), "integration", "list", "--json")
    assert (listed.exit_code, listed.stdout) == (0, "[]\n")
    by_url = ecom_cli("--db", f"sqlite:///{tmp_path / 'office' / 'ecom.db'}", "integration", "list", "--json")
    assert (by_url.exit_code, by_url.stdout) == (0, "[]\n")
    missing = ecom_cli("--db", "nowhere/ecom.db", "integration", "list")
    assert missing.exit_code == 3 and len(missing.stderr.splitlines()) == 1 and "nowhere/ecom.db" in missing.stderr
    folder = ecom_cli("--db", "office", "integration", "list")
    assert folder.exit_code == 2 and "office is a folder: give the database file in it, e.g. office/ecom.db" in folder.stderr
    assert not (tmp_path / "elsewhere.db").exists()
    empty = ecom_cli("--db", "", "integration", "list")
    assert empty.exit_code == 2 and "is empty" in empty.stderr


def test_everything_ecom_exports_is_there_when_asked_for():
    import importlib

    fresh = importlib.import_module("ecom")
    for name in fresh.__all__:
        assert getattr(fresh, name) is not None, name
    assert fresh.CartOrder is importlib.import_module("ecom.records").CartOrder
    assert fresh.hookimpl is importlib.import_module("ecom.hookspecs").hookimpl
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        fresh.Nothing  # noqa: B018
    namespace: dict = {}
    exec("from ecom import *", namespace)
    assert set(fresh.__all__) <= set(namespace)
