"""An integration as text: the TOML file of ``export`` / ``apply``, and ``set``'s ``key=value`` edits.

The file is the whole integration::

    name = "shop"                 # which integration; created when none has this name
    cart = "shopify"              # its driver (cannot change once created)
    active = true                 # left out: kept as it is (a new integration starts inactive)

    [connection]                  # keys left out keep their current value
    website_name = "Dana's Shop"
    api_url = "https://dana.myshopify.com"
    username = ""
    password = "<keep current password>"   # or password_env = "VAR"; a literal sets it

    [general] ... [notify]        # every settings section: replaced whole, a key left out gets its default

Applying checks everything first (TOML syntax and nesting depth, unknown keys, types, back-office names, the rules
between settings) and reports every problem at once; a file with any problem changes nothing.
``export`` then ``apply`` of its output changes nothing either. A driver option ending in ``_file``
(``mapping_file = "shop.toml"``) names a file read when the file is applied and stored as the option
without ``_file`` (:func:`read_option_files`).
"""

from __future__ import annotations

import difflib
import enum
import os
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel
from sqlmodel import Session

from ecom import integrations
from ecom import models as m
from ecom.integration_checks import Problem, check_api_url, check_data, readiness_problems, required_problems
from ecom.settings import OLD_LOCATIONS_NOTE, IntegrationSettings

PASSWORD_PLACEHOLDER = "<keep current password>"
MAX_OPTION_FILE = 1_000_000  # bytes: a driver's mapping file, read into the settings
MAX_NESTING = 32  # arrays and tables inside each other; a settings file needs a handful
TOO_DEEP = f"TOML: arrays or tables are nested more than {MAX_NESTING} deep"
CONNECTION_FIELDS = ("website_name", "api_url", "username")
CONNECTION_KEYS = (*CONNECTION_FIELDS, "password", "password_env")
SECTIONS = tuple(IntegrationSettings.model_fields)
TOP_KEYS = ("name", "cart", "active", "connection", *SECTIONS)


@dataclass
class ApplyResult:
    """What ``apply`` did."""

    integration: m.Integration
    created: bool
    changed: bool
    notes: list[str] = field(default_factory=list)


# --- export ----------------------------------------------------------------------------------


def export_document(session: Session, integration: m.Integration) -> dict[str, Any]:
    """The integration as the TOML document's data (no secret: the password is a placeholder)."""
    settings = integrations.load_settings(session, integration)
    connection: dict[str, Any] = {key: getattr(integration, key) for key in CONNECTION_FIELDS}
    if integrations.password_is_set(integration):
        connection["password"] = PASSWORD_PLACEHOLDER
    document: dict[str, Any] = {"name": integration.name, "cart": integration.cart_kind, "active": integration.active}
    document["connection"] = connection
    document.update(_plain(settings.model_dump(mode="python", by_alias=True, exclude_none=True)))
    return document


def export_text(session: Session, integration: m.Integration) -> str:
    """The integration as a TOML file that ``apply`` reads back."""
    header = (
        f"# ecom integration {integration.name!r}. Change it, then: ecom integration apply FILE\n"
        f"# The password is never exported: {PASSWORD_PLACEHOLDER!r} keeps the current one.\n\n"
    )
    return header + tomli_w.dumps(export_document(session, integration))


def _plain(value: Any) -> Any:
    """Settings as TOML can write them: enums as their value, Nones left out."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- apply -----------------------------------------------------------------------------------


def apply_text(
    session: Session, text: str, *, source: str = "the file", env: Mapping[str, str] | None = None, folder: Path | None = None,
    read_files: bool = True,
) -> ApplyResult:
    """Create or update the integration a TOML file describes; every problem at once, or nothing.

    :param source: the file's name, for messages.
    :param folder: where the file is, for the files its driver options name (:func:`read_option_files`).
    :param env: where ``password_env`` is read (default: the process environment).
    :param read_files: False where the text does not come from the machine's admin (the web
        admin's editor): a driver option naming a file is then a problem, not a file read.
    """
    env = os.environ if env is None else env
    failed = f"{source} was not applied"
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise integrations.SettingsError(failed, [Problem("", f"TOML syntax: {exc}")]) from None
    except RecursionError:  # the parser recurses once per level: hundreds of [ or { inside each other
        raise integrations.SettingsError(failed, [Problem("", TOO_DEEP)]) from None
    if _depth(document) > MAX_NESTING:
        raise integrations.SettingsError(failed, [Problem("", TOO_DEEP)])

    problems: list[Problem] = []
    for key in document:
        if key not in TOP_KEYS:
            problems.append(Problem(key, "unknown key" + _did_you_mean(key, TOP_KEYS)))
    name = _typed(document, "name", str, problems, required=True)
    cart = _typed(document, "cart", str, problems)
    active = _typed(document, "active", bool, problems)
    connection = document.get("connection", {})
    if not isinstance(connection, dict):
        problems.append(Problem("connection", "must be a table: [connection]"))
        connection = {}
    for key, value in connection.items():
        if key not in CONNECTION_KEYS:
            problems.append(Problem(f"connection.{key}", "unknown key" + _did_you_mean(key, CONNECTION_KEYS)))
        elif not isinstance(value, str):
            problems.append(Problem(f"connection.{key}", f"must be text (got {value!r})"))
    password, password_problems = _password(connection, env)
    problems += password_problems

    problems += read_option_files(document, folder) if read_files else _no_option_files(document)
    existing = integrations.find(session, name) if name else None
    kind = existing.cart_kind if existing is not None else cart
    settings, settings_problems = check_data(session, {k: v for k, v in document.items() if k in SECTIONS}, kind)
    problems += settings_problems

    if name and existing is None:
        problems += integrations.name_problems(session, name)
        if not cart:
            problems.append(Problem("cart", f"required: no integration is named {name!r}, so this file creates one"))
        else:
            problems += integrations.kind_problems(cart)
    if existing is not None and cart and cart != existing.cart_kind:
        problems.append(Problem("cart", f"integration {name!r} is a {existing.cart_kind} integration; to change its cart, remove it and add it again"))
    target_active = active if active is not None else bool(existing and existing.active)
    kind = existing.cart_kind if existing is not None else cart
    notes: list[str] = []
    if kind and isinstance(connection.get("api_url"), str):  # the URL as it will be saved, or why not
        options = settings.general.driver_options if settings is not None else {}
        connection["api_url"], url_problems, notes = check_api_url(kind, connection["api_url"], options)
        problems += [Problem(f"connection.{p.path}", p.message) for p in url_problems]
    if kind:  # the fields the driver requires: all of them for a new integration, the ones given otherwise
        present = {k: bool(v.strip()) for k, v in connection.items() if k in CONNECTION_FIELDS and isinstance(v, str)}
        if existing is None:
            present = {"website_name": False, "api_url": False, "username": False, **present, "password": password is not None}
        elif "password" in connection or "password_env" in connection:
            present["password"] = password is not None or integrations.password_is_set(existing)
        problems += [Problem(f"connection.{p.path}", p.message) for p in required_problems(kind, present)]
    api_url = connection.get("api_url", existing.api_url if existing else "")
    if target_active and settings is not None and isinstance(api_url, str):
        problems += readiness_problems(api_url, settings, active=True)
    if problems:
        raise integrations.SettingsError(failed, problems)
    assert name is not None and settings is not None

    general = document.get("general")
    if isinstance(general, dict) and isinstance(general.get("driver_options"), dict) and "locations" in general["driver_options"]:
        notes.append(OLD_LOCATIONS_NOTE)
    if "password" in connection and connection["password"] != PASSWORD_PLACEHOLDER:
        notes.append(f"{source} holds a password in clear: prefer password_env = \"VAR\" and delete the file's copy")
    fields = {k: connection[k] for k in CONNECTION_FIELDS if k in connection}
    if existing is None:
        if password is None and connection.get("password") == PASSWORD_PLACEHOLDER:
            notes.append(f"integration {name!r} is new, so the placeholder kept no password: ecom integration set {name} --ask-password")
        integration = integrations.create(session, name, cart or "", password=password, settings=settings, **fields)
        if target_active:
            integrations.activate(session, integration)
        return ApplyResult(integration, created=True, changed=True, notes=notes)

    changed = integrations.update_connection(session, existing, options=settings.general.driver_options, **fields)
    if password is not None:
        changed |= integrations.set_password(session, existing, password)
    if target_active != existing.active:
        existing.active, changed = target_active, True
    changed |= integrations.save_settings(session, existing, settings)
    return ApplyResult(existing, created=False, changed=changed, notes=notes)


def read_option_files(document: dict[str, Any], folder: Path | None) -> list[Problem]:
    """Read the files that driver options ending in ``_file`` name (``mapping_file = "shop.toml"``,
    relative to the integration file's folder) into the option without ``_file`` (``mapping``), so
    the text is stored with the integration and every worker reads the same one; the file's name
    is kept in ``<option>_source`` (``mapping_source``) for the driver's messages. The ``_file`` key
    itself is not stored, so ``export`` then ``apply`` needs no file."""
    general = document.get("general")
    options = general.get("driver_options") if isinstance(general, dict) else None
    if not isinstance(options, dict):
        return []
    problems = []
    for key, value in list(options.items()):
        if not key.endswith("_file") or key == "_file":
            continue
        where = f"general.driver_options.{key}"
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, "must name a file"))
            continue
        path = Path(value).expanduser()
        path = path if path.is_absolute() or folder is None else folder / path
        try:
            if path.stat().st_size > MAX_OPTION_FILE:
                problems.append(Problem(where, f"{value} is over {MAX_OPTION_FILE // 1000} kB"))
                continue
            options[key.removesuffix("_file")] = path.read_text(encoding="utf-8")
            options[key.removesuffix("_file") + "_source"] = value
            del options[key]
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(where, f"cannot read {value}: {getattr(exc, 'strerror', None) or exc}"))
    return problems


def _no_option_files(document: dict[str, Any]) -> list[Problem]:
    general = document.get("general")
    options = general.get("driver_options") if isinstance(general, dict) else None
    return [
        Problem(f"general.driver_options.{key}", f"a file on the server is read only by `ecom integration apply`: put its text in {key.removesuffix('_file')} instead")
        for key in (options if isinstance(options, dict) else {})
        if key.endswith("_file") and key != "_file"
    ]


def _password(connection: dict[str, Any], env: Mapping[str, str]) -> tuple[str | None, list[Problem]]:
    """The password to set (None = keep the current one), from ``password`` or ``password_env``."""
    literal, variable = connection.get("password"), connection.get("password_env")
    if literal is not None and variable is not None:
        return None, [Problem("connection", "give password or password_env, not both")]
    if isinstance(variable, str):
        if variable not in env:
            return None, [Problem("connection.password_env", f"the environment variable {variable} is not set")]
        return env[variable], []
    if isinstance(literal, str) and literal != PASSWORD_PLACEHOLDER:
        return literal, []
    return None, []


def _typed(document: dict[str, Any], key: str, kind: type, problems: list[Problem], *, required: bool = False) -> Any:
    if key not in document:
        if required:
            problems.append(Problem(key, "required: which integration the file is for"))
        return None
    value = document[key]
    if not isinstance(value, kind):
        problems.append(Problem(key, f"must be {'true or false' if kind is bool else 'text'} (got {value!r})"))
        return None
    return value


def _did_you_mean(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]}?)" if close else f" (expected one of: {', '.join(known)})"


# --- key=value edits (ecom integration set) --------------------------------------------------


def set_values(
    session: Session, integration: m.Integration, assignments: Sequence[str], *, notes: list[str] | None = None
) -> list[str]:
    """Apply ``key=value`` edits: dotted settings paths, connection fields, or ``name``.

    A value is read as a TOML value where the setting is not text (``true``, ``12``,
    ``["Main", "East"]``, ``{ a = 1 }``); a list also takes ``a,b``; an empty value resets the
    setting to its default (or deletes a table row, e.g. ``sales_tax.states.NY=``). Everything is
    checked as ``apply`` checks a file, and nothing changes if anything is wrong. Returns the keys
    changed; what was normalised (the API URL) is added to ``notes``.
    """
    problems: list[Problem] = []
    data = integrations.load_settings(session, integration).model_dump(mode="python", by_alias=True)
    fields: dict[str, str] = {}
    new_name: str | None = None
    keys = []
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(Problem(assignment, "expected key=value, e.g. shipping.default_method=\"UPS Ground\""))
            continue
        keys.append(key)
        bare = key.removeprefix("connection.")
        if bare in CONNECTION_FIELDS:
            fields[bare] = raw
        elif key == "name":
            new_name = raw.strip()
        elif bare in ("password", "password_env"):
            problems.append(Problem(key, "set the password with --ask-password, --password-env VAR or --password-stdin"))
        elif key in ("active", "cart"):
            hint = "ecom integration activate / deactivate" if key == "active" else "remove the integration and add it again"
            problems.append(Problem(key, f"cannot be set here: use {hint}"))
        else:
            try:
                _assign(data, key.split("."), raw)
            except KeyError as exc:
                problems.append(Problem(key, exc.args[0]))
            else:
                if _depth(data) > MAX_NESTING:  # as deep as in a file: `export` then `apply` must work
                    raise integrations.SettingsError(f"Integration {integration.name!r} was not changed", [*problems, Problem(key, TOO_DEEP)])
    settings, settings_problems = check_data(session, data, integration.cart_kind)
    problems += settings_problems
    options = settings.general.driver_options if settings is not None else {}
    if "api_url" in fields:
        fields["api_url"], url_problems, url_notes = check_api_url(integration.cart_kind, fields["api_url"], options)
        problems += url_problems
        if notes is not None:
            notes.extend(url_notes)
    problems += required_problems(integration.cart_kind, {k: bool(v.strip()) for k, v in fields.items()})
    if settings is not None:
        if integration.active:
            problems += readiness_problems(fields.get("api_url", integration.api_url), settings, active=True)
    if new_name is not None and new_name != integration.name:
        problems += integrations.name_problems(session, new_name)
    if problems:
        raise integrations.SettingsError(f"Integration {integration.name!r} was not changed", problems)
    assert settings is not None
    integrations.update_connection(session, integration, options=options, **fields)
    if new_name is not None:
        integrations.rename(session, integration, new_name)
    integrations.save_settings(session, integration, settings)
    return keys


def _assign(data: dict[str, Any], tokens: list[str], raw: str) -> None:
    """Set (or, with an empty ``raw``, reset) the setting at ``tokens`` in dumped settings ``data``."""
    model: type[BaseModel] = IntegrationSettings
    node = data
    for index, token in enumerate(tokens):
        path = ".".join(tokens[: index + 1])
        found = _field(model, token)
        if found is None:
            known = [f.alias or n for n, f in model.model_fields.items()]
            raise KeyError("unknown setting" + _did_you_mean(token, known))
        key, annotation = found
        last = index == len(tokens) - 1
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if last:
                raise KeyError(f"is a section: set one of its keys, e.g. {path}.{next(iter(annotation.model_fields))}")
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node, model = node[key], annotation
            continue
        if typing.get_origin(annotation) is dict and index == len(tokens) - 2:
            table = node.get(key) if isinstance(node.get(key), dict) else {}
            node[key] = table
            value_type = typing.get_args(annotation)[1] if typing.get_args(annotation) else Any
            _put(table, tokens[-1], raw, value_type)
            return
        if not last:
            raise KeyError(f"{path} is not a section or a table")
        _put(node, key, raw, annotation)
        return


def _put(node: dict[str, Any], key: str, raw: str, annotation: Any) -> None:
    if raw == "":
        node.pop(key, None)
    else:
        node[key] = _value(raw, annotation)


def _field(model: type[BaseModel], token: str) -> tuple[str, Any] | None:
    """The dump key and the (non-optional) annotation of ``model``'s field named or aliased ``token``."""
    for name, info in model.model_fields.items():
        if token in (name, info.alias):
            return info.alias or name, unwrap_optional(info.annotation)
    return None


def unwrap_optional(annotation: Any) -> Any:
    """``X`` from ``X | None`` (a setting's type, whether or not it may be left out)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _value(raw: str, annotation: Any) -> Any:
    """``raw`` as the setting's type: text stays text; anything else is read as a TOML value."""
    textual = annotation is str or typing.get_origin(annotation) is typing.Literal or (
        isinstance(annotation, type) and issubclass(annotation, enum.Enum)
    )
    text = raw.strip()
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"
    if textual and not quoted:
        return raw
    try:
        value = tomllib.loads(f"value = {text}", parse_float=Decimal)["value"]
    except RecursionError:
        raise KeyError(TOO_DEEP) from None
    except tomllib.TOMLDecodeError:
        if typing.get_origin(annotation) is list:
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw
    return value


def option_value(raw: str) -> Any:
    """A driver option typed in a form, read as ``ecom integration set`` reads one: a TOML value
    (``true``, ``12``, ``{ a = "b" }``, ``"quoted text"``), else the text as it is (also when it
    nests too deep to read)."""
    try:
        return _value(raw, Any)
    except KeyError:
        return raw


def option_text(value: Any) -> str:
    """A driver option as :func:`option_value` reads it back: text as it is, unless it would read
    as something else (``"true"``); anything else as its TOML value."""
    if isinstance(value, str) and option_value(value) == value:
        return value
    return _inline(value)


def _inline(value: Any) -> str:
    """``value`` as one TOML value on one line (tables inline)."""
    if isinstance(value, dict):
        pairs = [tomli_w.dumps({k: 0}).removesuffix(" = 0\n") + " = " + _inline(v) for k, v in value.items()]
        return "{ " + ", ".join(pairs) + " }" if pairs else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _depth(value: Any) -> int:
    """How deep arrays and tables nest in ``value`` (a TOML document or value); a scalar is 0."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        node, depth = todo.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            todo.extend((child, depth + 1) for child in children)
    return deepest
