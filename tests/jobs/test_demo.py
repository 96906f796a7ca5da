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
