"""ecom's pytest plugin, for the core's tests and for driver authors.

Installed with ecom (entry point ``pytest11``), so any suite gets these fixtures:

- ``ecom_db``: a fresh, migrated back-office database (SQLite, and PostgreSQL when reachable),
  with ``ECOM_DATABASE_URL`` pointing at it for the test's duration;
- ``ecom_cli``: run ``ecom`` commands in process and read their output and exit code;
- ``ecom_plugins``: a plugin manager of the test's own, with no installed driver loaded, and a
  ``register`` to add a driver module for the test.

and :func:`ecom.testing.conformance.driver_conformance`, the conformance suite a driver runs
against its own fake cart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ecom import plugins as ecom_plugins_module
from ecom.testing.conformance import driver_conformance  # noqa: F401  (the conformance suite)
from ecom.testing.drivers import ecom_http_sleeps  # noqa: F401  (fixture re-exported for pytest)
from ecom.testing.database import ecom_db  # noqa: F401  (fixture re-exported for pytest)


@dataclass
class PluginsFixture:
    """The ``ecom_plugins`` fixture: the test's own plugin manager."""

    manager: ecom_plugins_module.PluginManager

    def register(self, plugin: Any, name: str | None = None) -> Any:
        """Register a driver module or object for this test; returns it."""
        self.manager.pm.register(plugin, name=name)
        self.manager.pm.check_pending()
        return plugin


@pytest.fixture
def ecom_plugins() -> Iterator[PluginsFixture]:
    """A plugin manager with no installed driver loaded, made the process's for this test."""
    manager = ecom_plugins_module.make_manager(load_entrypoints=False)
    previous = ecom_plugins_module.set_manager(manager)
    try:
        yield PluginsFixture(manager)
    finally:
        ecom_plugins_module.set_manager(previous)


@pytest.fixture
def ecom_cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run an ``ecom`` command in process: ``ecom_cli("plugins", "list", "--json")``.

    Returns click's :class:`~click.testing.Result` (``exit_code``, ``stdout``, ``stderr``).
    Errors are shown as users see them (``ECOM_RAISE_ERRORS`` is unset).
    """
    from ecom.cli import cli

    monkeypatch.delenv("ECOM_RAISE_ERRORS", raising=False)

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:  # noqa: A002
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return run
