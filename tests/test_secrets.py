"""Passwords are encrypted at rest with one key: from the environment or an owner-only key file."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from ecom import secrets
from ecom.errors import ConfigError

PLAIN = "shpat_Zq8-very-secret-token"


@pytest.fixture(autouse=True)
def no_key_settings(monkeypatch, tmp_path):
    """Each test starts with no key in the environment and a database in its own folder."""
    monkeypatch.delenv(secrets.KEY_ENV, raising=False)
    monkeypatch.delenv(secrets.KEY_FILE_ENV, raising=False)
    monkeypatch.setenv("ECOM_DATABASE_URL", f"sqlite:///{tmp_path}/ecom.db")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_a_token_hides_the_password_and_opens_with_the_same_key(monkeypatch):
    monkeypatch.setenv(secrets.KEY_ENV, Fernet.generate_key().decode())
    token = secrets.encrypt(PLAIN)
    assert PLAIN not in token
    assert secrets.encrypt(PLAIN) != token  # a fresh IV each time
    assert secrets.decrypt(token) == PLAIN


def test_the_key_file_is_made_next_to_a_sqlite_database_owner_only_on_first_need(tmp_path):
    path = secrets.key_file_path()
    assert path == tmp_path / "ecom.db.key"
    assert not path.exists()
    token = secrets.encrypt(PLAIN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    assert secrets.decrypt(token) == PLAIN
    assert secrets.ensure_key_file() is None  # never overwritten
    assert path.read_text() == key


def test_other_databases_use_the_config_folder_and_the_file_can_be_named(tmp_path, monkeypatch):
    assert secrets.key_file_path("postgresql://u@h/db") == tmp_path / "config" / "ecom" / "secret.key"
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(tmp_path / "keys" / "ecom.key"))
    assert secrets.key_file_path("postgresql://u@h/db") == tmp_path / "keys" / "ecom.key"
    assert secrets.init_key_file("postgresql://u@h/db") == tmp_path / "keys" / "ecom.key"


def test_init_makes_the_key_only_where_it_belongs_to_the_database(tmp_path, monkeypatch):
    assert secrets.init_key_file("postgresql://u@h/db") is None
    assert not (tmp_path / "config").exists()
    assert secrets.init_key_file() == tmp_path / "ecom.db.key"
    assert secrets.init_key_file() is None
    monkeypatch.setenv(secrets.KEY_ENV, Fernet.generate_key().decode())
    (tmp_path / "ecom.db.key").unlink()
    assert secrets.init_key_file() is None  # the environment holds the key: no file


def test_a_wrong_key_says_the_password_cannot_be_decrypted_and_what_to_do(monkeypatch):
    monkeypatch.setenv(secrets.KEY_ENV, Fernet.generate_key().decode())
    token = secrets.encrypt(PLAIN)
    monkeypatch.setenv(secrets.KEY_ENV, Fernet.generate_key().decode())
    with pytest.raises(ConfigError) as caught:
        secrets.decrypt(token, what="the password of integration 'shop'", remedy="set it again: ecom integration set shop --ask-password")
    message = str(caught.value)
    assert message.startswith("The password of integration 'shop' cannot be decrypted with the secret key from ECOM_SECRET_KEY")
    assert "encrypted with another key" in message
    assert "ecom integration set shop --ask-password" in message
    assert PLAIN not in message


def test_a_lost_key_file_is_named(tmp_path):
    token = secrets.encrypt(PLAIN)
    (tmp_path / "ecom.db.key").unlink()
    with pytest.raises(ConfigError, match=r"cannot be decrypted: there is no secret key .*ecom\.db\.key"):
        secrets.decrypt(token)
    assert not (tmp_path / "ecom.db.key").exists()  # decrypting never makes a new, useless key


def test_a_malformed_key_says_how_to_make_one(monkeypatch):
    monkeypatch.setenv(secrets.KEY_ENV, "not-a-key")
    with pytest.raises(ConfigError, match="ECOM_SECRET_KEY does not hold a valid secret key.*Fernet.generate_key"):
        secrets.encrypt(PLAIN)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_others_can_read_is_refused(tmp_path):
    secrets.encrypt(PLAIN)
    path = tmp_path / "ecom.db.key"
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"can be read by other users \(mode 0644\): run `chmod 600"):
        secrets.encrypt(PLAIN)


def test_ecom_init_creates_the_key_file(ecom_cli, tmp_path):
    result = ecom_cli("init")
    assert result.exit_code == 0, result.output
    path = tmp_path / "ecom.db.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Created the secret key file {path}" in result.stderr
    again = ecom_cli("init")
    assert "secret key" not in again.output
