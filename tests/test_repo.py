"""House rules about the repository itself: the quick start and CI stay true."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\s*\$ (.+)$", quick, flags=re.M)


def test_readme_quick_start_is_exactly_two_commands():
    assert len(readme_commands()) == 2


def test_ci_runs_the_readmes_two_commands_as_written():
    printed = subprocess.run(["bash", str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True, check=True, timeout=60)
    assert printed.stdout.splitlines() == readme_commands()


def test_ci_runs_each_command_in_order_and_fails_when_one_fails(tmp_path):
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text((ROOT / ".ci" / "run").read_text())
    readme = "# x\n\n## Quick start\n\n```console\n$ echo first > out && echo ran\n$ {second}\n```\n\n## Next\n\n$ echo never\n"

    def run(second):
        (tmp_path / "README.md").write_text(readme.format(second=second))
        return subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)

    passed = run("cat out && echo second >> out")
    assert passed.returncode == 0 and passed.stdout == "ran\nfirst\n" and (tmp_path / "out").read_text() == "first\nsecond\n"
    failed = run("false && echo not-here")
    assert failed.returncode != 0 and "not-here" not in failed.stdout


def test_the_quick_start_installs_into_a_virtual_environment_never_the_systems_python():
    # PEP 668: Debian, Ubuntu, Fedora and Homebrew Pythons refuse `pip install` outside a venv.
    for command in readme_commands():
        # The venv is made without pip (Debian's python3-venv package, which holds ensurepip, may be
        # missing); the system's pip installs into it with --python, pip itself first.
        steps = [step.split() for step in command.split("&&")]
        assert steps[0] == ["python3", "-m", "venv", "--without-pip", ".venv"], command
        assert steps[1][:7] == ["python3", "-m", "pip", "--python", ".venv/bin/python", "install", "pip"], command
        for step in steps[2:]:
            assert step[0].startswith(".venv/bin/"), f"{' '.join(step)!r} does not run from the virtual environment"


def test_the_test_command_runs_the_whole_suite():
    assert readme_commands()[1].endswith("&& .venv/bin/python -m pytest -n auto")


def test_the_test_commands_parallel_runner_is_installed_by_requirements_dev():
    # `-n auto` is pytest-xdist's option: without it installed the README's test command is a usage error.
    listed = [line.split("#")[0].strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    assert " -n " in readme_commands()[1] + " "
    assert any(re.match(r"pytest-xdist\b", line) for line in listed), "requirements-dev.txt does not install pytest-xdist"


def test_building_a_distribution_leaves_nothing_git_shows():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "build/lib/x.py", "plugins/shopify/build/lib/x.py", "plugins/woocommerce/build/bdist/x",
         "core/ecom.egg-info/PKG-INFO", "plugins/shopify/ecom_shopify.egg-info/PKG-INFO", "dist/ecom-0.1.0.tar.gz", ".venv/bin/ecom"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert len(ignored.stdout.splitlines()) == 7, ignored.stdout


def test_every_plugin_distribution_is_installed_for_the_tests():
    listed = (ROOT / "requirements-dev.txt").read_text().split()
    for pyproject in sorted((ROOT / "plugins").glob("*/pyproject.toml")):
        assert f"./plugins/{pyproject.parent.name}" in listed or f"plugins/{pyproject.parent.name}" in listed, (
            f"requirements-dev.txt does not install {pyproject.parent}"
        )
