"""The web admin's users: names and argon2 password hashes, checked at login.

``ecom users add|list|remove|password`` and the login page of ``ecom serve`` both use these
functions. A password is never stored, logged or printed: only its argon2id hash is kept
(argon2-cffi's defaults), and a hash made with older parameters is renewed at the next login.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ecom import models as m
from ecom.errors import ConfigError

MIN_PASSWORD = 10
NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be a login password, or None."""
    if len(password) < MIN_PASSWORD:
        return f"the password is too short: give at least {MIN_PASSWORD} characters"
    return None


def find(session: Session, username: str) -> m.User | None:
    return session.exec(select(m.User).where(m.User.username == username)).first()


def get(session: Session, username: str) -> m.User:
    user = find(session, username)
    if user is None:
        raise ConfigError(f"There is no user {username!r}: `ecom users list` shows them.")
    return user


def list_users(session: Session) -> list[m.User]:
    return list(session.exec(select(m.User).order_by(m.User.username)))


def add(session: Session, username: str, password: str) -> m.User:
    """Create a user; ConfigError naming the user when the name or password cannot be used."""
    if not NAME.match(username):
        raise ConfigError(f"User {username!r} was not added: a user name is 1 to 64 letters, digits, or . _ @ -")
    if find(session, username) is not None:
        raise ConfigError(f"User {username!r} was not added: there is already one by that name (`ecom users password {username}` changes the password).")
    if problem := password_problem(password):
        raise ConfigError(f"User {username!r} was not added: {problem}.")
    user = m.User(username=username, password_hash=_hasher.hash(password))
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, username: str, password: str) -> None:
    user = get(session, username)
    if problem := password_problem(password):
        raise ConfigError(f"The password of {username!r} was not changed: {problem}.")
    user.password_hash = _hasher.hash(password)
    session.add(user)
    session.commit()


def remove(session: Session, username: str) -> None:
    session.delete(get(session, username))
    session.commit()


def authenticate(session: Session, username: str, password: str) -> m.User | None:
    """The user when ``password`` is theirs, else None (same time spent for an unknown name)."""
    user = find(session, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
        session.commit()
    return user
