"""House rules about the repository itself: the quick start and CI stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\s*\$ (.+)$", quick, flags=re.M)


def test_readme_quick_start_is_exactly_two_commands():
    assert len(readme_commands()) == 2


def test_ci_runs_the_readmes_test_command():
    test_command = readme_commands()[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_every_plugin_distribution_is_installed_for_the_tests():
    listed = (ROOT / "requirements-dev.txt").read_text().split()
    for pyproject in sorted((ROOT / "plugins").glob("*/pyproject.toml")):
        assert f"./plugins/{pyproject.parent.name}" in listed or f"plugins/{pyproject.parent.name}" in listed, (
            f"requirements-dev.txt does not install {pyproject.parent}"
        )
