"""The database under faults and odd input: created private, refused in one line, lost mid-job."""

from __future__ import annotations

import os
import stat

import pytest


@pytest.fixture
def loose_umask():
    """The usual umask (files readable by every user unless ecom says otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ecom_init_creates_the_sqlite_database_readable_by_its_owner_only(ecom_cli, tmp_path, monkeypatch, loose_umask):
    path = tmp_path / "ecom.db"
    monkeypatch.setenv("ECOM_DATABASE_URL", f"sqlite:///{path}")
    result = ecom_cli("init")
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
    assert all(mode(other) == 0o600 for other in tmp_path.glob("ecom.db*"))  # journal / WAL files, if any remain
