"""The driver authoring kit: ``plugin_template/``, ``ecom plugins new``, and the rendered driver
working in a fresh virtual environment from a regular (non-editable) install of ecom."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from ecom import template
from ecom.errors import ConfigError
from ecom.template import DriverNames, render_driver

ROOT = Path(__file__).resolve().parents[1]

#: What ``ecom plugins new "Acme Cart"`` writes, and nothing else.
RENDERED = {
    "README.md",
    "pyproject.toml",
    "bench/requests.py",
    "ecom_acme_cart/__init__.py",
    "ecom_acme_cart/driver.py",
    "ecom_acme_cart/fake.py",
    "tests/test_conformance.py",
    "tests/test_driver.py",
}
HOOKS = [
    "describe_cart", "fake_cart", "fetch_orders", "fetch_orders_by_id", "fetch_products", "push_inventory",
    "push_status", "test_connection", "upsert_products",
]  # fmt: skip


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("typed", "kind", "package", "dist"),
    [
        ("Acme Cart", "acme_cart", "ecom_acme_cart", "ecom-acme-cart"),
        ("  acme-cart ", "acme_cart", "ecom_acme_cart", "ecom-acme-cart"),
        ("Café Crème", "cafe_creme", "ecom_cafe_creme", "ecom-cafe-creme"),
        ("ecom-Shop2Go", "shop2go", "ecom_shop2go", "ecom-shop2go"),
    ],
)
def test_a_name_is_normalised_into_kind_package_and_distribution(typed: str, kind: str, package: str, dist: str) -> None:
    names = DriverNames.from_title(typed)
    assert (names.kind, names.package, names.dist) == (kind, package, dist)


def test_the_command_renders_the_template_and_says_the_next_three_commands(ecom_cli, tmp_path: Path) -> None:
    result = ecom_cli("plugins", "new", "Acme Cart", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    target = tmp_path / "ecom-acme-cart"
    assert files(target) == RENDERED
    lines = result.output.splitlines()
    assert len(lines) == 4 and str(target) in lines[0]
    assert [line.split()[0:2] for line in lines[1:]] == [["pip", "install"], ["python", "-m"], ["ecom", "plugins"]]
    pyproject = (target / "pyproject.toml").read_text()
    assert 'acme_cart = "ecom_acme_cart.driver"' in pyproject and 'name = "ecom-acme-cart"' in pyproject
    assert "{{" not in "".join((target / rel).read_text() for rel in RENDERED), "a placeholder was left unrendered"


@pytest.mark.parametrize("typed", ["3D Cart", "  ", "!!!", "日本"])
def test_a_name_that_gives_no_identifier_is_refused_in_one_line(ecom_cli, tmp_path: Path, typed: str) -> None:
    result = ecom_cli("plugins", "new", typed, "--dir", str(tmp_path))
    assert result.exit_code == 3
    assert "not a Python identifier" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("typed", ['Acme "Best" Cart', "Acme\\Cart", "Acme {Cart}"])
def test_a_name_that_would_break_the_rendered_code_is_refused(ecom_cli, tmp_path: Path, typed: str) -> None:
    result = ecom_cli("plugins", "new", typed, "--dir", str(tmp_path))
    assert result.exit_code == 3 and "leave out quotes" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_an_apostrophe_and_symbols_renders_valid_python_and_toml(tmp_path: Path) -> None:
    names, target = render_driver("Bob's Cart & Co.", tmp_path)
    assert (names.kind, names.title) == ("bob_s_cart_co", "Bob's Cart & Co.")
    for path in target.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["ecom"] == {"bob_s_cart_co": "ecom_bob_s_cart_co.driver"}
    assert "Bob's Cart & Co." in project["description"]


def test_an_existing_folder_is_never_written_into(ecom_cli, tmp_path: Path) -> None:
    (tmp_path / "ecom-acme-cart").mkdir()
    (tmp_path / "ecom-acme-cart" / "mine.txt").write_text("keep")
    result = ecom_cli("plugins", "new", "Acme Cart", "--dir", str(tmp_path))
    assert result.exit_code == 3 and "already exists" in result.stderr
    assert files(tmp_path / "ecom-acme-cart") == {"mine.txt"}


def test_the_name_of_an_installed_driver_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="already installed"):
        render_driver("Shopify", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_rendered_driver_stays_under_300_lines(tmp_path: Path) -> None:
    _, target = render_driver("Acme Cart", tmp_path)
    lines = len((target / "ecom_acme_cart" / "driver.py").read_text().splitlines())
    assert lines < 300, f"the template's driver is {lines} lines"


def test_the_packaged_template_is_the_top_level_one() -> None:
    assert template.TEMPLATE.resolve() == (ROOT / "plugin_template").resolve()


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.venv
def test_a_new_driver_installs_and_passes_its_tests_in_a_fresh_environment(tmp_path: Path) -> None:
    """ecom built as a wheel (a regular install: the template must ship as package data), a fresh
    venv, ``ecom plugins new`` from it, the result installed editable, its tests and the
    conformance suite run there, and ``ecom plugins list --json`` showing it with its hooks."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ECOM_", "PYTEST_", "VIRTUAL_ENV"))}
    run(*pip, "wheel", "--no-deps", "--wheel-dir", tmp_path / "wheels", ROOT, env=env)
    [wheel] = (tmp_path / "wheels").glob("ecom-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python, ecom = venv / "bin" / "python", venv / "bin" / "ecom"
    installing = [*pip, "--python", python, "install", "--no-compile"]
    run(*installing, wheel, "pytest>=8", "setuptools>=69", env=env)  # what the new driver's tests need

    started = time.perf_counter()
    out = run(ecom, "plugins", "new", "Acme Cart", "--dir", tmp_path, env=env)
    target = tmp_path / "ecom-acme-cart"
    assert files(target) == RENDERED, out
    run(*installing, "--no-build-isolation", "--no-deps", "-e", target, env=env)
    tests = run(python, "-m", "pytest", "-v", "-p", "no:cacheprovider", cwd=target, env=env)
    took = time.perf_counter() - started
    assert " passed" in tests and "failed" not in tests and "SKIPPED" not in tests, tests
    assert "TestAcmeCartConformance::test_fetch_orders_pages_to_the_end PASSED" in tests, tests

    rows = json.loads(run(ecom, "plugins", "list", "--json", env=env))
    [row] = [r for r in rows if r["name"] == "ecom-acme-cart"]
    assert row["carts"] == ["acme_cart"] and row["hooks"] == HOOKS
    print(f"ecom plugins new -> installed -> tests green: {took:.1f} s")


def test_the_guides_hook_reference_is_generated_from_the_hookspecs() -> None:
    from ecom import hookdocs

    guide = (ROOT / hookdocs.GUIDE).read_text(encoding="utf-8")
    assert hookdocs.refreshed(guide) == guide, "docs/writing-a-driver.md is stale: run python -m ecom.hookdocs"
    for name in hookdocs.hooks():
        assert f"### `{name}(" in guide


def test_the_hook_reference_follows_a_changed_docstring(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecom import hookdocs, hookspecs

    guide = (ROOT / hookdocs.GUIDE).read_text(encoding="utf-8")
    monkeypatch.setattr(hookspecs.fetch_orders, "__doc__", "Read orders.\\n\\n:return: pages.")
    assert hookdocs.refreshed(guide) != guide
    assert "Read orders." in hookdocs.reference()


def test_the_template_driver_implements_every_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ecom_plugins) -> None:
    from ecom import hookdocs
    from ecom.plugins import get_driver

    _, target = render_driver("Acme Cart", tmp_path)
    monkeypatch.syspath_prepend(str(target))
    try:
        ecom_plugins.register(importlib.import_module("ecom_acme_cart.driver"))
        assert get_driver("acme_cart").hooks == sorted(hookdocs.hooks()) == HOOKS, "a new hook: add it to the template"
        assert get_driver("acme_cart").fake().kind == "acme_cart"
    finally:  # the rendered package leaves with its folder
        for name in [n for n in sys.modules if n.split(".")[0] == "ecom_acme_cart"]:
            del sys.modules[name]


def test_a_folder_it_cannot_write_to_is_one_line_and_leaves_nothing(ecom_cli, tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where the folder should be")
    result = ecom_cli("plugins", "new", "Acme Cart", "--dir", str(tmp_path / "blocked" / "sub"))
    assert result.exit_code == 3 and "Cannot write the new driver" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked"]


def test_a_write_that_fails_midway_leaves_no_half_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[Path] = []
    real_write = Path.write_text

    def failing_write(self: Path, *args: object, **kwargs: object) -> int:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(self)
        return real_write(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", failing_write)
    with pytest.raises(ConfigError, match="No space left on device"):
        render_driver("Acme Cart", tmp_path)
    assert list(tmp_path.iterdir()) == []
