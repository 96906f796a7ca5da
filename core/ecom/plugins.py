"""Finding cart drivers and calling the right one.

Drivers are modules registered under the entry-point group ``ecom``; each implements
:mod:`ecom.hookspecs`. They are loaded once, checked (``check_pending``), and indexed by the cart
kind they describe. An operation is then dispatched to **one** driver: :meth:`Driver.call` runs the
hook on that driver alone, so a driver never needs to check which cart it is called for.

Environment switches:

- ``ECOM_LOAD_PLUGINS``: a comma-separated list of distributions to load; empty loads none.
- ``ECOM_TRACE_PLUGINS``: print every hook call, its arguments and its result to stderr.

The plugin manager is the only global state in ecom.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ecom import hookspecs
from ecom.errors import ConfigError, EcomError
from ecom.records import CartInfo

GROUP = "ecom"
OPERATIONS = ("test_connection", "fetch_orders", "fetch_products", "push_status", "push_inventory", "upsert_products")


@dataclass
class PluginManager:
    """pluggy's manager plus what ecom knows about each plugin (distribution, load errors)."""

    pm: pluggy.PluginManager
    distributions: dict[str, importlib.metadata.Distribution] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)


def make_manager(*, load_entrypoints: bool = True) -> PluginManager:
    """A new plugin manager with the hookspecs, and the installed drivers unless told not to."""
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    manager = PluginManager(pm)
    if load_entrypoints:
        _load_entrypoints(manager)
    if os.environ.get("ECOM_TRACE_PLUGINS"):
        _trace(pm)
    pm.check_pending()
    return manager


def _load_entrypoints(manager: PluginManager) -> None:
    wanted = os.environ.get("ECOM_LOAD_PLUGINS")
    allowed = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        dist = ep.dist
        dist_name = dist.metadata["Name"] if dist is not None else ep.name
        if allowed is not None and dist_name not in allowed:
            continue
        if manager.pm.has_plugin(ep.name):
            continue
        try:
            module = ep.load()
            manager.pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - one broken driver must not hide the others
            manager.broken[ep.name] = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"ecom driver {ep.name!r} ({dist_name}) failed to load: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if dist is not None:
            manager.distributions[ep.name] = dist


def _entry_points() -> importlib.metadata.EntryPoints:
    return importlib.metadata.entry_points(group=GROUP)


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        print(f"ecom: {hook_name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})", file=sys.stderr)

    def after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
        exc = outcome.exception
        shown = f"raised {exc!r}" if exc is not None else f"-> {outcome.get_result()!r}"
        print(f"ecom: {hook_name} {shown}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


_manager: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process's plugin manager, loaded on first use."""
    global _manager
    if _manager is None:
        _manager = make_manager()
    return _manager


def set_manager(manager: PluginManager | None) -> PluginManager | None:
    """Replace the process's plugin manager (tests); returns the previous one."""
    global _manager
    previous, _manager = _manager, manager
    return previous


@dataclass
class Driver:
    """One installed cart driver, as the core sees it and calls it."""

    name: str
    plugin: Any
    info: CartInfo
    manager: PluginManager

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def hooks(self) -> list[str]:
        return sorted(impl.name for impl in self.manager.pm.get_hookcallers(self.plugin) or [])

    def implements(self, hook: str) -> bool:
        return hook in self.hooks

    def call(self, hook: str, **kwargs: Any) -> Any:
        """Run ``hook`` on this driver alone, with keyword arguments."""
        if not self.implements(hook):
            raise ConfigError(f"The {self.info.title} driver ({self.name}) cannot {hook.replace('_', ' ')}.")
        pm = self.manager.pm
        others = [p for p in pm.get_plugins() if p is not self.plugin]
        return pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)

    def fake(self) -> Any:
        """A new fake of this driver's cart (:class:`ecom.fake.FakeCart`)."""
        return self.call("fake_cart")


def drivers(manager: PluginManager | None = None) -> dict[str, Driver]:
    """Every loaded driver, by cart kind."""
    manager = manager or get_manager()
    found: dict[str, Driver] = {}
    for impl in manager.pm.hook.describe_cart.get_hookimpls():
        name = manager.pm.get_name(impl.plugin) or repr(impl.plugin)
        info = impl.function()
        if not isinstance(info, CartInfo):
            raise EcomError(f"Driver {name!r}: describe_cart must return a CartInfo, not {type(info).__name__}.")
        if info.kind in found:
            raise ConfigError(
                f"Two drivers claim the cart kind {info.kind!r}: {found[info.kind].name} and {name}. Uninstall one."
            )
        found[info.kind] = Driver(name=name, plugin=impl.plugin, info=info, manager=manager)
    return found


def get_driver(kind: str, manager: PluginManager | None = None) -> Driver:
    """The driver for cart ``kind``, or a :class:`ConfigError` saying what to install."""
    found = drivers(manager)
    if kind not in found:
        installed = ", ".join(sorted(found)) or "none"
        package = "ecom-" + kind.replace("_", "-")
        raise ConfigError(f"No driver for cart {kind!r} is installed (installed: {installed}). Try: pip install {package}")
    return found[kind]


def plugin_rows(manager: PluginManager | None = None) -> list[dict[str, Any]]:
    """What ``ecom plugins list`` shows: one row per plugin, sorted by name."""
    manager = manager or get_manager()
    carts: dict[str, list[str]] = {}
    for driver in drivers(manager).values():
        carts.setdefault(driver.name, []).append(driver.kind)
    rows = []
    for plugin in manager.pm.get_plugins():
        name = manager.pm.get_name(plugin)
        dist = manager.distributions.get(name)
        rows.append(
            {
                "name": dist.metadata["Name"] if dist else name,
                "version": dist.version if dist else None,
                "hooks": sorted(h.name for h in manager.pm.get_hookcallers(plugin) or []),
                "carts": sorted(carts.get(name, [])),
            }
        )
    for name, error in manager.broken.items():
        rows.append({"name": name, "version": None, "hooks": [], "carts": [], "error": error})
    return sorted(rows, key=lambda r: r["name"])
