"""Secrets at rest: integration passwords are encrypted with one secret key, never kept in clear.

The key is a Fernet key (AES-128-CBC + HMAC-SHA256, from ``cryptography``). It comes from, in
this order:

1. ``ECOM_SECRET_KEY``: the key itself (set it on every machine that runs ecom against a shared
   PostgreSQL database);
2. ``ECOM_SECRET_KEY_FILE``: a file holding the key;
3. the default key file: next to a SQLite database (``ecom.db`` → ``ecom.db.key``), or
   ``$XDG_CONFIG_HOME/ecom/secret.key`` (``~/.config/ecom/secret.key``) for other databases.

A key file is created, owner-only (0600), by ``ecom init`` next to a SQLite database, or on first
need (the first password saved). A key file others can read is refused, as ssh does. A token that
the key cannot open (the key was changed or lost) is a :class:`~ecom.errors.ConfigError` saying
so and what to do; the password itself never appears in any message.

Other keys are derived from it for their one purpose (:func:`derived_key`): the web admin signs
its session cookies with one, so a restart of ``ecom serve`` keeps everyone logged in, and
replacing the secret key logs everyone out.
"""

from __future__ import annotations

import os
import stat
import base64
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ecom import db
from ecom.errors import ConfigError

KEY_ENV = "ECOM_SECRET_KEY"
KEY_FILE_ENV = "ECOM_SECRET_KEY_FILE"
NEW_KEY_HINT = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


@dataclass(frozen=True)
class SecretKey:
    """A loaded key and where it came from, in words (for messages; never the key itself)."""

    fernet: Fernet
    source: str
    material: bytes = field(default=b"", repr=False)  # the key's 32 bytes, for :func:`derived_key`


def key_file_path(database_url: str | None = None) -> Path:
    """Where the key file is (or would be) for the database at ``database_url`` (see module doc)."""
    explicit = os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    sqlite = db.sqlite_path(db.database_url(database_url))
    if sqlite is not None:
        return sqlite.with_name(sqlite.name + ".key")
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "ecom" / "secret.key"


def ensure_key_file(database_url: str | None = None) -> Path | None:
    """Create the key file if ecom will need one and it does not exist; return it if created.

    Nothing is created when ``ECOM_SECRET_KEY`` holds the key.
    """
    if os.environ.get(KEY_ENV):
        return None
    path = key_file_path(database_url)
    if path.exists():
        return None
    _create_key_file(path)
    return path


def init_key_file(database_url: str | None = None) -> Path | None:
    """What ``ecom init`` does: make the key file if it belongs next to the SQLite database (or
    ``ECOM_SECRET_KEY_FILE`` names it) and is missing; return it if created.

    For other databases without ``ECOM_SECRET_KEY_FILE``, the key file in the config folder is
    made on first need instead (better: set ``ECOM_SECRET_KEY`` on every machine).
    """
    if not os.environ.get(KEY_FILE_ENV) and db.sqlite_path(db.database_url(database_url)) is None:
        return None
    return ensure_key_file(database_url)


def encrypt(plaintext: str, database_url: str | None = None) -> str:
    """``plaintext`` encrypted with the key (created on first need); a text token to store."""
    key = load_key(database_url, create=True)
    return key.fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, database_url: str | None = None, *, what: str = "the password", remedy: str = "") -> str:
    """The plain text of ``token``, or a ConfigError saying ``what`` cannot be decrypted and why.

    :param what: the secret in words, e.g. "the password of integration 'shop'".
    :param remedy: a sentence saying how to set the secret again, added to the error.
    """
    key = load_key(database_url, create=False, what=what, remedy=remedy)
    try:
        return key.fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise ConfigError(
            f"{_capital(what)} cannot be decrypted with the secret key from {key.source}: it was encrypted with "
            f"another key. Put back the key it was saved with{' or ' + remedy if remedy else ''}."
        ) from None


def load_key(database_url: str | None = None, *, create: bool = False, what: str = "the password", remedy: str = "") -> SecretKey:
    """The key from ``ECOM_SECRET_KEY`` or the key file; ``create`` makes a missing key file."""
    value = os.environ.get(KEY_ENV)
    if value:
        return SecretKey(_fernet(value.strip(), KEY_ENV), KEY_ENV, _material(value.strip()))
    path = key_file_path(database_url)
    if not path.exists():
        if not create:
            raise ConfigError(
                f"{_capital(what)} cannot be decrypted: there is no secret key (no {KEY_ENV}, and no key file {path}). "
                f"Restore the key it was saved with{' or ' + remedy if remedy else ''}."
            )
        _create_key_file(path)
    source = f"the key file {path}"
    _check_permissions(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeError) as exc:
        raise ConfigError(f"Cannot read {source}: {getattr(exc, 'strerror', None) or exc}.") from None
    return SecretKey(_fernet(text, source), source, _material(text))


def derived_key(purpose: str, database_url: str | None = None) -> bytes:
    """32 bytes for ``purpose`` (e.g. ``"web session"``), derived from the secret key (made on
    first need) with HKDF-SHA256: the same on every start and every machine that shares the key,
    different for each purpose, and telling nothing about the key itself."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    material = load_key(database_url, create=True).material
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"ecom {purpose}".encode()).derive(material)


def _material(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def _fernet(value: str, source: str) -> Fernet:
    try:
        return Fernet(value.encode("ascii"))
    except (ValueError, UnicodeError):
        raise ConfigError(
            f"{source} does not hold a valid secret key (32 url-safe base64-encoded bytes). Make one with: {NEW_KEY_HINT}"
        ) from None


def _create_key_file(path: Path) -> None:
    """Write a new key to ``path``, readable by its owner only; never overwrite an existing one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: use theirs
    except OSError as exc:
        raise ConfigError(f"Cannot create the secret key file {path}: {exc.strerror}. Set {KEY_FILE_ENV} or {KEY_ENV}.") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(Fernet.generate_key().decode("ascii") + "\n")


def _check_permissions(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"The secret key file {path} can be read by other users (mode {mode:04o}): run `chmod 600 {path}`."
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
