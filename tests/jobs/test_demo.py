"""``ecom demo``: a full sync against every installed driver's fake, in a throwaway back office."""

from __future__ import annotations

import os
import stat

from ecom.testing import testcart


def test_demo_without_drivers_says_what_to_install(ecom_plugins, ecom_cli):
    result = ecom_cli("demo")
    assert result.exit_code == 0
    assert "No cart drivers are installed" in result.stdout and "pip install ./plugins/shopify" in result.stdout


def test_demo_syncs_each_installed_driver_and_leaves_nothing_behind(ecom_plugins, ecom_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOM_DATABASE_URL", "sqlite:///must-not-be-touched.db")
    ecom_plugins.register(testcart, name="testcart")
    result = ecom_cli("demo", "--keep", "kept")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("Test Cart:"))
    assert "Job 1 succeeded" in line and "0 errors" in line
    imported = int(line.split(" orders imported")[0].rsplit(" ", 1)[1])
    assert imported > 40  # of 60 seeded, the archived ones skipped
    assert "quantities pushed" in line and " 0 quantities pushed" not in line
    assert stat.S_IMODE((tmp_path / "kept" / "ecom.db").stat().st_mode) == 0o600  # customers' addresses: owner only
    assert not (tmp_path / "must-not-be-touched.db").exists()
    assert os.environ["ECOM_DATABASE_URL"] == "sqlite:///must-not-be-touched.db"  # restored


def test_demo_next_commands_are_short_and_each_one_works(ecom_plugins, ecom_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOM_DATABASE_URL", raising=False)
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "not-the-demos.key"))
    ecom_plugins.register(testcart, name="testcart")
    result = ecom_cli("demo", "--keep", "kept")
    assert result.exit_code == 0, result.output
    after = result.stdout.split("Next, try:\n", 1)[1].splitlines()
    commands = [line.split("#")[0].split() for line in after if line.startswith("  ecom ")]
    with_db = [c for c in commands if c[1] == "--db"]
    assert len(with_db) >= 4 and all(c[2] == "kept/ecom.db" for c in with_db)
    assert "ECOM_" not in result.stdout
    assert (tmp_path / "kept" / "ecom.db.key").exists() and not (tmp_path / "not-the-demos.key").exists()
    monkeypatch.delenv("ECOM_SECRET_KEY_FILE")
    for command in with_db:
        ran = ecom_cli(*command[1:])
        assert ran.exit_code == 0, f"{' '.join(command)}: {ran.output}"
        assert ran.stdout.strip()
    assert not (tmp_path / "ecom.db").exists()  # every command used the demo's database


def test_demo_names_ecom_as_the_shell_finds_it(monkeypatch, tmp_path):
    from ecom.cli.demo import program

    script = tmp_path / "venv" / "bin" / "ecom"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr("sys.argv", [str(script)])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert program() == str(script)  # run by its path, not on PATH: say the path
    monkeypatch.setenv("PATH", str(script.parent))
    assert program() == "ecom"
    monkeypatch.setattr("sys.argv", ["/usr/lib/python3/site-packages/pytest/__main__.py"])
    assert program() == "ecom"
