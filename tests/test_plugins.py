"""Loading drivers from entry points, the environment switches, and ``ecom plugins list``."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ecom import plugins

from .conftest import RecordingDriver

DRIVER_SOURCE = '''
from ecom import CartInfo, ConnectionFields, ConnectionReport, WebOrderStatus, hookimpl

@hookimpl
def describe_cart():
    return CartInfo(
        kind="{kind}", title="{kind} cart",
        fields=ConnectionFields(website_name="n", api_url="u", username="k", password="s"),
        statuses={{"paid": WebOrderStatus.APPROVED}},
    )

@hookimpl
def test_connection(connection, operations):
    return ConnectionReport(message="hello from {kind}")
'''


def install_fake_distribution(root: Path, dist: str, version: str, module: str, kind: str, source: str | None = None) -> None:
    """Lay out a module and its .dist-info as pip would, so importlib.metadata finds the entry point."""
    (root / f"{module}.py").write_text(source if source is not None else DRIVER_SOURCE.format(kind=kind))
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[ecom]\n{kind} = {module}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A private site-packages: only the distributions a test lays out here are 'installed'."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("ECOM_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("ECOM_TRACE_PLUGINS", raising=False)

    def only_here():
        eps = [ep for d in importlib.metadata.distributions(path=[str(tmp_path)]) for ep in d.entry_points]
        return importlib.metadata.EntryPoints(ep for ep in eps if ep.group == plugins.GROUP)

    monkeypatch.setattr(plugins, "_entry_points", only_here)
    return tmp_path


def test_no_driver_installed_lists_nothing(site):
    assert plugins.plugin_rows(plugins.make_manager()) == []


def test_an_installed_driver_appears_with_version_hooks_and_cart(site):
    install_fake_distribution(site, "ecom-acme", "1.2.3", "ecom_acme", "acme")
    rows = plugins.plugin_rows(plugins.make_manager())
    assert rows == [
        {"name": "ecom-acme", "version": "1.2.3", "hooks": ["describe_cart", "test_connection"], "carts": ["acme"]}
    ]


def test_rows_are_sorted_by_distribution_name(site):
    install_fake_distribution(site, "ecom-zeta", "0.1", "ecom_zeta", "zeta")
    install_fake_distribution(site, "ecom-alpha", "2.0", "ecom_alpha", "alpha")
    assert [r["name"] for r in plugins.plugin_rows(plugins.make_manager())] == ["ecom-alpha", "ecom-zeta"]


def test_load_plugins_env_loads_only_the_named_distributions(site, monkeypatch):
    install_fake_distribution(site, "ecom-one", "1", "ecom_one", "one")
    install_fake_distribution(site, "ecom-two", "1", "ecom_two", "two")
    monkeypatch.setenv("ECOM_LOAD_PLUGINS", "ecom-two")
    assert sorted(plugins.drivers(plugins.make_manager())) == ["two"]
    monkeypatch.setenv("ECOM_LOAD_PLUGINS", "")
    assert plugins.drivers(plugins.make_manager()) == {}


def test_a_broken_driver_is_reported_and_does_not_hide_the_others(site):
    install_fake_distribution(site, "ecom-good", "1", "ecom_good", "good")
    install_fake_distribution(site, "ecom-bad", "1", "ecom_bad", "bad", source="raise ImportError('needs libfoo')\n")
    with pytest.warns(RuntimeWarning, match="'bad'.*failed to load: needs libfoo"):
        manager = plugins.make_manager()
    rows = plugins.plugin_rows(manager)
    assert [r["name"] for r in rows] == ["bad", "ecom-good"]
    assert rows[0]["error"] == "ImportError: needs libfoo"


def test_a_hookimpl_without_a_spec_is_refused_at_load(site):
    source = DRIVER_SOURCE.format(kind="typo") + "\n@hookimpl\ndef push_inventroy(connection, levels):\n    return []\n"
    install_fake_distribution(site, "ecom-typo", "1", "ecom_typo", "typo", source=source)
    with pytest.raises(Exception, match="push_inventroy"):
        plugins.make_manager()


def test_trace_plugins_prints_each_hook_call_without_secrets(site, monkeypatch, capsys):
    from pydantic import SecretStr

    from ecom.records import Connection

    install_fake_distribution(site, "ecom-acme", "1", "ecom_acme", "acme")
    monkeypatch.setenv("ECOM_TRACE_PLUGINS", "1")
    manager = plugins.make_manager()
    connection = Connection(website_name="Acme", api_url="https://acme.test", password=SecretStr("hunter2-token"))
    plugins.get_driver("acme", manager).call("test_connection", connection=connection, operations=frozenset())
    err = capsys.readouterr().err
    assert "ecom: test_connection(connection=Connection(website_name='Acme'" in err
    assert "hello from acme" in err
    assert "hunter2-token" not in err


def test_plugins_list_json_with_only_the_core_installed_is_an_empty_list():
    """Through the real console script, in a fresh process, loading no installed driver."""
    script = textwrap.dedent(
        """
        import sys
        from ecom.cli import main
        sys.argv = ["ecom", "plugins", "list", "--json"]
        main()
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={"ECOM_LOAD_PLUGINS": "", "PATH": ""},
    )
    assert json.loads(out.stdout) == []


def test_plugins_list_json_shows_registered_drivers(ecom_plugins, ecom_cli):
    ecom_plugins.register(RecordingDriver("alpha"), name="ecom-alpha")
    result = ecom_cli("plugins", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "name": "ecom-alpha",
            "version": None,
            "carts": ["alpha"],
            "hooks": [
                "describe_cart", "fake_cart", "fetch_orders", "fetch_orders_by_id", "fetch_products", "push_inventory",
                "push_status", "test_connection", "upsert_products",
            ],
        }
    ]
    human = ecom_cli("plugins", "list").stdout
    assert "ecom-alpha" in human and "carts: alpha" in human


def test_plugins_list_without_drivers_says_what_to_install(ecom_plugins, ecom_cli):
    assert "pip install ./plugins/shopify" in ecom_cli("plugins", "list").stdout
