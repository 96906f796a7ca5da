"""Integrations: each one connected cart, with its connection fields and its settings.

This is the service behind ``ecom integration``: create, find, list, change the connection,
activate and deactivate, remove; **load** an integration's :class:`~ecom.settings.IntegrationSettings`
and **save** them; build the :class:`~ecom.records.Connection` a driver is called with.

Where settings live: the scalar options are the ``settings`` JSON column (with one reserved key,
``connection_test``, recording the last successful Test Connection); the grids are tables of
their own, pointing at back-office rows by id: state → item sales tax
(:class:`~ecom.models.IntegrationTaxState`), ship methods, payment methods, discounts, and the
selected locations (:class:`~ecom.models.IntegrationLocation`).

Saving checks every setting against the back office first (:mod:`ecom.integration_checks`): all
problems are reported at once, in one :class:`SettingsError`, and nothing is saved. The
connection fields are checked too: the API URL is normalised (``https://`` added, a pasted API
path removed, each change in a note) or refused in words (not http(s), plain HTTP to another
machine, a secret inside it), and a field the driver requires may not be empty. An integration
is created inactive; it can be activated (and synced) only when it is ready: an API URL and a
default ship method. While active, a change that would make it not ready is refused.
:func:`checklist` says, step by step, what an integration has and still lacks on the way to its
first scheduled sync (``integration add``, ``show`` and ``test`` print it).
The password is encrypted (:mod:`ecom.secrets`) and never returned in clear except inside a
``Connection``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlalchemy.orm import object_session
from sqlmodel import Session, delete, select

from ecom import models as m
from ecom import secrets
from ecom.errors import ConfigError
from ecom.jobs.lifecycle import unfinished_job
from ecom.integration_checks import (
    GRID_TABLES,
    Problem,
    check_api_url,
    check_references,
    check_settings,
    name_ids,
    readiness_problems,
    required_problems,
    validation_problems,
)
from ecom.records import Connection, ConnectionReport
from ecom.settings import IntegrationSettings

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TEST_KEY = "connection_test"  # reserved key of the settings JSON: the last successful test
GRID_PATHS = (
    ("general", "locations"),
    ("sales_tax", "states"),
    ("shipping", "methods"),
    ("payments", "methods"),
    ("discounts", "codes"),
)

__all__ = [
    "ConnectionTest", "Problem", "SettingsError", "Step", "activate", "check_references", "check_settings",
    "checklist", "connection", "create", "deactivate", "enabled_operations", "find", "get", "kind_problems",
    "last_test", "list_integrations", "load_settings", "missing_to_activate", "name_problems", "password_is_set",
    "readiness_problems", "record_test", "remove", "rename", "require_ready", "save_settings",
    "set_password", "update_connection",
]  # fmt: skip


class SettingsError(ConfigError):
    """Settings that cannot be saved or used, with every problem; the message lists them, one a line.

    :param subject: what did not happen, e.g. "The settings of integration 'shop' were not saved".
    :param outcome: said after the count ("nothing was saved"); None to say nothing.
    """

    def __init__(self, subject: str, problems: Iterable[Problem | str], outcome: str | None = "nothing was saved"):
        ordered = sorted(problems, key=lambda p: p.sort_key() if isinstance(p, Problem) else (-1, p))
        self.problems = [str(p) for p in ordered]
        #: the same, each as a Problem (its path and message apart), for a form that shows each beside its field
        self.found = [p if isinstance(p, Problem) else Problem("", p) for p in ordered]
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        said = f", {outcome}" if outcome else ""
        super().__init__(f"{subject}: {count} problem{'s' if count != 1 else ''}{said}:\n{lines}")


@dataclass(frozen=True)
class ConnectionTest:
    """The last successful Test Connection: when, and what the cart said."""

    at: dt.datetime
    message: str


# --- finding ---------------------------------------------------------------------------------


def find(session: Session, name: str) -> m.Integration | None:
    """The integration called ``name``, or None."""
    return session.exec(select(m.Integration).where(m.Integration.name == name)).first()


def get(session: Session, name: str) -> m.Integration:
    """The integration called ``name``, or a ConfigError naming the ones that exist."""
    found = find(session, name)
    if found is None:
        names = [i.name for i in list_integrations(session)]
        known = f"the integrations are: {', '.join(names)}" if names else "there are none yet (ecom integration add)"
        raise ConfigError(f"No integration named {name!r}: {known}.")
    return found


def list_integrations(session: Session) -> list[m.Integration]:
    """Every integration, by name."""
    return list(session.exec(select(m.Integration).order_by(m.Integration.name)))


# --- creating and changing -------------------------------------------------------------------


def create(
    session: Session,
    name: str,
    cart_kind: str,
    *,
    website_name: str = "",
    api_url: str = "",
    username: str = "",
    password: str | None = None,
    settings: IntegrationSettings | None = None,
    notes: list[str] | None = None,
) -> m.Integration:
    """A new, inactive integration with these connection fields and settings (validated first).

    :param notes: where to add what was changed in the connection fields (the API URL normalised).
    """
    problems = name_problems(session, name) + kind_problems(cart_kind)
    settings = settings or IntegrationSettings()
    problems += check_settings(session, settings, cart_kind)
    api_url, url_problems, url_notes = check_api_url(cart_kind, api_url, settings.general.driver_options)
    problems += url_problems + required_problems(cart_kind, {
        "website_name": bool(website_name.strip()), "api_url": bool(api_url), "username": bool(username.strip()), "password": bool(password),
    })
    if problems:
        raise SettingsError(f"Integration {name!r} was not added", problems)
    integration = m.Integration(
        name=name, cart_kind=cart_kind, active=False, website_name=website_name.strip(), api_url=api_url.strip(),
        username=username.strip(), settings={},
    )
    session.add(integration)
    session.flush()
    if password:
        integration.password_encrypted = secrets.encrypt(password, _url(session))
    _write_settings(session, integration, settings)
    log.info("integration %s (%s) created", name, cart_kind)
    if notes is not None:
        notes.extend(url_notes)
    return integration


def rename(session: Session, integration: m.Integration, new_name: str) -> None:
    """Give ``integration`` another name (unique)."""
    if new_name == integration.name:
        return
    problems = name_problems(session, new_name)
    if problems:
        raise SettingsError(f"Integration {integration.name!r} was not renamed", problems)
    integration.name = new_name
    session.add(integration)


def update_connection(
    session: Session,
    integration: m.Integration,
    *,
    website_name: str | None = None,
    api_url: str | None = None,
    username: str | None = None,
    options: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> bool:
    """Change connection fields (None = keep). Returns whether anything changed.

    Changing the API URL or the username forgets the last successful Test Connection: the new
    connection must be tested before the schedule runs again.

    :param options: the driver options the new API URL will be used with (default: the saved ones).
    :param notes: where to add what was changed in the fields given (the API URL normalised).
    """
    if api_url is not None and integration.active and not api_url.strip():
        raise SettingsError(f"Integration {integration.name!r} was not changed", [Problem("api_url", "required while the integration is active")])
    problems: list[Problem] = []
    if api_url is not None:
        if options is None:
            options = (integration.settings or {}).get("general", {}).get("driver_options") or {}
        api_url, problems, url_notes = check_api_url(integration.cart_kind, api_url, options)
        if notes is not None:
            notes.extend(url_notes)
    given = {"website_name": website_name, "api_url": api_url, "username": username}
    problems += required_problems(integration.cart_kind, {k: bool(v.strip()) for k, v in given.items() if v is not None})
    if problems:
        raise SettingsError(f"Integration {integration.name!r} was not changed", problems)
    changed = reach = False
    if website_name is not None and website_name.strip() != integration.website_name:
        integration.website_name, changed = website_name.strip(), True
    if api_url is not None and api_url.strip() != integration.api_url:
        integration.api_url, changed, reach = api_url.strip(), True, True
    if username is not None and username.strip() != integration.username:
        integration.username, changed, reach = username.strip(), True, True
    if reach:
        _forget_test(integration)
    session.add(integration)
    return changed


def set_password(session: Session, integration: m.Integration, password: str | None) -> bool:
    """Store ``password`` encrypted (None or "" removes it, unless the driver requires one);
    returns whether it changed.

    A changed password forgets the last Test Connection; the same password again (a file applied
    twice with its ``password_env``) changes nothing.
    """
    problems = required_problems(integration.cart_kind, {"password": bool(password)})
    if problems:
        raise SettingsError(f"Integration {integration.name!r} was not changed", problems)
    if _same_password(session, integration, password):
        return False
    integration.password_encrypted = secrets.encrypt(password, _url(session)) if password else None
    _forget_test(integration)
    session.add(integration)
    log.info("integration %s: password %s", integration.name, "changed" if password else "removed")
    return True


def _same_password(session: Session, integration: m.Integration, password: str | None) -> bool:
    if not integration.password_encrypted or not password:
        return not integration.password_encrypted and not password
    try:
        current = secrets.decrypt(integration.password_encrypted, _url(session))
    except ConfigError:
        return False  # the stored one cannot be read (key changed): the new one replaces it
    return hmac.compare_digest(current.encode(), password.encode())


def password_is_set(integration: m.Integration) -> bool:
    return bool(integration.password_encrypted)


def activate(session: Session, integration: m.Integration) -> None:
    """Make the integration active, if it is ready (:func:`require_ready`)."""
    require_ready(session, integration, f"Integration {integration.name!r} cannot be activated", strict=True)
    integration.active = True
    session.add(integration)


def deactivate(session: Session, integration: m.Integration) -> None:
    """Make the integration inactive: it no longer syncs, by hand or by schedule."""
    integration.active = False
    session.add(integration)


def remove(session: Session, integration: m.Integration) -> None:
    """Delete the integration with its grids, bindings and job history.

    Transactions it imported stay in the back office (they only lose the link). Refused while
    one of its sync jobs is queued or running.
    """
    running = unfinished_job(session, integration.id)
    if running is not None:
        raise ConfigError(f"Integration {integration.name!r} has a sync job {running.status.value} (job {running.id}): wait for it to end, then remove.")
    session.delete(integration)  # the database cascades to grids, bindings, jobs and sync state
    session.flush()
    log.info("integration %s removed", integration.name)


# --- readiness -------------------------------------------------------------------------------


def require_ready(
    session: Session, integration: m.Integration, subject: str | None = None, *, strict: bool = False
) -> IntegrationSettings:
    """The settings of an integration that may be activated or synced, or a SettingsError.

    Ready means: the settings still fit the back office (nothing they name was deleted or renamed
    since they were saved), an API URL, and a default ship method. A sync calls this first; a
    problem only some orders meet (a ship method that lost its other-charge item since) does not
    stop it: those orders get the error and the others import.

    :param subject: how the error begins (default: "Integration 'NAME' is not ready to sync").
    :param strict: refuse the per-order problems too (activation does).
    """
    settings = load_settings(session, integration)
    problems = check_settings(session, settings, integration.cart_kind, per_order=strict) + readiness_problems(
        integration.api_url, settings
    )
    if problems:
        raise SettingsError(subject or f"Integration {integration.name!r} is not ready to sync", problems, outcome=None)
    return settings


@dataclass(frozen=True)
class Step:
    """One step on the way from ``add`` to a scheduled sync: done or not, and how to do it.

    :ivar key: ``api_url``, ``shipping.default_method``, ``settings``, ``tested`` or ``active``.
    :ivar needed_to_activate: whether ``activate`` (and a sync) refuses until it is done.
    :ivar detail: what is there (done) or what is missing, in words.
    :ivar command: the command that does it (empty when done).
    """

    key: str
    done: bool
    needed_to_activate: bool
    detail: str
    command: str = ""


def checklist(session: Session, integration: m.Integration) -> list[Step]:
    """What ``integration`` has and still lacks, in order: the steps needed to activate it, then
    a successful Test Connection (the schedule starts from it) and activation itself."""
    name = integration.name
    quoted = f'"{name}"' if " " in name else name
    try:
        settings: IntegrationSettings | None = load_settings(session, integration)
    except SettingsError as exc:
        settings, broken = None, exc.problems
    else:
        broken = [str(p) for p in check_settings(session, settings)]
    lacking = {p.path: p.message for p in readiness_problems(integration.api_url, settings)} if settings else {}
    default_method = settings.shipping.default_method if settings else None
    test = last_test(integration)
    steps = [
        Step("api_url", "api_url" not in lacking, True, integration.api_url or "not set: the cart's address",
             f"ecom integration set {quoted} api_url=URL" if "api_url" in lacking else ""),
        Step("shipping.default_method", "shipping.default_method" not in lacking, True,
             default_method or "not set: used for every cart ship method the grid does not map",
             f'ecom integration set {quoted} shipping.default_method="SHIP METHOD"' if "shipping.default_method" in lacking else ""),
    ]  # fmt: skip
    steps += [
        Step(path, False, True, message, f"ecom integration set {quoted} {path}=...")
        for path, message in lacking.items() if path not in ("api_url", "shipping.default_method")
    ]  # fmt: skip
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        steps.append(Step("settings", False, True, f"{broken[0]}{more}", f"ecom integration show {quoted}"))
    steps.append(
        Step("tested", test is not None, False,
             f"{test.at:%Y-%m-%d %H:%M} UTC: {test.message}" if test else "never: the schedule starts after a successful Test Connection",
             "" if test else f"ecom integration test {quoted}")
    )  # fmt: skip
    ready = all(step.done for step in steps if step.needed_to_activate)
    waiting = "" if ready else " (after the steps above)"
    steps.append(Step("active", integration.active, False, "yes" if integration.active else f"no{waiting}",
                      "" if integration.active else f"ecom integration activate {quoted}"))  # fmt: skip
    return steps


def missing_to_activate(steps: list[Step]) -> list[Step]:
    """The steps of a :func:`checklist` that ``activate`` still needs."""
    return [step for step in steps if step.needed_to_activate and not step.done]


# --- settings --------------------------------------------------------------------------------


def load_settings(session: Session, integration: m.Integration) -> IntegrationSettings:
    """The integration's settings: the JSON column plus its grids."""
    data = copy.deepcopy({k: v for k, v in (integration.settings or {}).items() if k != TEST_KEY})
    for section, key in GRID_PATHS:
        data.setdefault(section, {})
        data[section].pop(key, None)
    iid = integration.id
    data["general"]["locations"] = list(
        session.exec(
            select(m.Location.name).join(m.IntegrationLocation, m.IntegrationLocation.location_id == m.Location.id)
            .where(m.IntegrationLocation.integration_id == iid).order_by(m.IntegrationLocation.id)
        )
    )
    data["sales_tax"]["states"] = dict(
        session.exec(
            select(m.IntegrationTaxState.state, m.ItemSalesTax.name)
            .join(m.ItemSalesTax, m.ItemSalesTax.id == m.IntegrationTaxState.item_sales_tax_id)
            .where(m.IntegrationTaxState.integration_id == iid).order_by(m.IntegrationTaxState.id)
        ).all()
    )
    data["shipping"]["methods"] = [
        {"method": method, "cart_method": row.cart_method, "cart_carrier": row.cart_carrier}
        for row, method in session.exec(
            select(m.IntegrationShipMethod, m.ShipMethod.name)
            .join(m.ShipMethod, m.ShipMethod.id == m.IntegrationShipMethod.ship_method_id)
            .where(m.IntegrationShipMethod.integration_id == iid).order_by(m.IntegrationShipMethod.id)
        )
    ]
    data["payments"]["methods"] = [
        {"method": method, "term": term, "cart_method": row.cart_method}
        for row, method, term in session.exec(
            select(m.IntegrationPaymentMethod, m.PaymentMethod.name, m.Term.name)
            .join(m.PaymentMethod, m.PaymentMethod.id == m.IntegrationPaymentMethod.payment_method_id)
            .outerjoin(m.Term, m.Term.id == m.IntegrationPaymentMethod.term_id)
            .where(m.IntegrationPaymentMethod.integration_id == iid).order_by(m.IntegrationPaymentMethod.id)
        )
    ]
    data["discounts"]["codes"] = [
        {"discount": discount, "cart_code": row.cart_code}
        for row, discount in session.exec(
            select(m.IntegrationDiscount, m.Discount.name)
            .join(m.Discount, m.Discount.id == m.IntegrationDiscount.discount_id)
            .where(m.IntegrationDiscount.integration_id == iid).order_by(m.IntegrationDiscount.id)
        )
    ]
    try:
        return IntegrationSettings.model_validate(data, context={"stored": True})
    except ValidationError as exc:
        raise SettingsError(
            f"The stored settings of integration {integration.name!r} do not fit this ecom (apply a corrected file: ecom integration apply FILE)",
            validation_problems(exc),
            outcome=None,
        ) from None


def save_settings(session: Session, integration: m.Integration, settings: IntegrationSettings) -> bool:
    """Check ``settings`` against the back office and save them; all problems at once, or nothing.

    Returns whether anything changed (settings equal to the stored ones are not rewritten).
    """
    problems = check_settings(session, settings, integration.cart_kind)
    if integration.active:
        problems += readiness_problems(integration.api_url, settings, active=True)
    if problems:
        raise SettingsError(f"The settings of integration {integration.name!r} were not saved", problems)
    try:
        if load_settings(session, integration) == settings:
            return False
    except SettingsError:
        pass  # the stored settings no longer validate: these replace them
    _write_settings(session, integration, settings)
    log.info("integration %s: settings saved", integration.name)
    return True


def _write_settings(session: Session, integration: m.Integration, settings: IntegrationSettings) -> None:
    """Write already checked settings: the scalars to the JSON column, the grids to their tables."""
    scalars = settings.model_dump(mode="json", by_alias=True)
    for section, key in GRID_PATHS:
        scalars[section].pop(key)
    kept = {TEST_KEY: integration.settings[TEST_KEY]} if TEST_KEY in (integration.settings or {}) else {}
    integration.settings = {**scalars, **kept}
    session.add(integration)
    iid = integration.id
    for table in GRID_TABLES:
        session.exec(delete(table).where(table.integration_id == iid))  # type: ignore[attr-defined]
    session.flush()

    ids = name_ids(session, settings)
    rows: list[Any] = [m.IntegrationLocation(integration_id=iid, location_id=ids["location"][n]) for n in dict.fromkeys(settings.general.locations)]
    rows += [
        m.IntegrationTaxState(integration_id=iid, state=state, item_sales_tax_id=ids["item sales tax"][tax])
        for state, tax in settings.sales_tax.states.items()
    ]
    rows += [
        m.IntegrationShipMethod(
            integration_id=iid, ship_method_id=ids["ship method"][r.method], cart_method=r.cart_method, cart_carrier=r.cart_carrier
        )
        for r in settings.shipping.methods
    ]
    rows += [
        m.IntegrationPaymentMethod(
            integration_id=iid, cart_method=r.cart_method, payment_method_id=ids["payment method"][r.method],
            term_id=ids["term"][r.term] if r.term else None,
        )
        for r in settings.payments.methods
    ]
    rows += [m.IntegrationDiscount(integration_id=iid, cart_code=r.cart_code, discount_id=ids["discount"][r.discount]) for r in settings.discounts.codes]
    session.add_all(rows)
    session.flush()


# --- the connection and its test -------------------------------------------------------------


def connection(integration: m.Integration, transport: Any = None, *, database_url: str | None = None) -> Connection:
    """What a driver is called with: the four fields (password decrypted), driver options, transport."""
    url = database_url or _url(object_session(integration))
    password = ""
    if integration.password_encrypted:
        password = secrets.decrypt(
            integration.password_encrypted,
            url,
            what=f"the password of integration {integration.name!r}",
            remedy=f"set the password again: ecom integration set {integration.name} --ask-password",
        )
    options = copy.deepcopy((integration.settings or {}).get("general", {}).get("driver_options") or {})
    return Connection(
        website_name=integration.website_name,
        api_url=integration.api_url,
        username=integration.username,
        password=SecretStr(password),
        options=options,
        transport=transport,
    )


def enabled_operations(settings: IntegrationSettings) -> frozenset[str]:
    """The driver operations the integration's switches call for (orders are always fetched)."""
    general = settings.general
    wanted = {
        "fetch_orders": True,
        "push_status": general.update_order_status,
        "push_inventory": general.update_inventory,
        "fetch_products": general.import_products,
        "upsert_products": general.export_products,
    }
    return frozenset(name for name, on in wanted.items() if on)


def record_test(integration: m.Integration, report: ConnectionReport, at: dt.datetime | None = None) -> ConnectionTest:
    """Remember a successful Test Connection: from then on the integration's schedule may run."""
    test = ConnectionTest(at=at or m.utcnow(), message=report.message)
    integration.settings = {**(integration.settings or {}), TEST_KEY: {"at": test.at.isoformat(), "message": test.message}}
    return test


def last_test(integration: m.Integration) -> ConnectionTest | None:
    """The last successful Test Connection since the cart's address, login or password last changed."""
    data = (integration.settings or {}).get(TEST_KEY)
    if not data:
        return None
    return ConnectionTest(at=dt.datetime.fromisoformat(data["at"]), message=data.get("message", ""))


def _forget_test(integration: m.Integration) -> None:
    if integration.settings and TEST_KEY in integration.settings:
        integration.settings = {k: v for k, v in integration.settings.items() if k != TEST_KEY}


# --- helpers ---------------------------------------------------------------------------------


def name_problems(session: Session, name: str) -> list[Problem]:
    """Why ``name`` cannot name a new integration (empty when it can)."""
    if not NAME_PATTERN.match(name):
        return [Problem("name", f"{name!r} is not a usable name: up to 100 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")]
    if find(session, name) is not None:
        return [Problem("name", f"an integration named {name!r} already exists")]
    return []


def kind_problems(kind: str) -> list[Problem]:
    """Why ``kind`` is not a cart kind (empty when it is)."""
    if KIND_PATTERN.match(kind):
        return []
    return [Problem("cart", f"{kind!r} is not a cart kind (lower-case letters, digits and '_', e.g. shopify)")]


def _url(session: Session | None) -> str | None:
    """The database URL of ``session`` (decides where the default key file is)."""
    if session is None:
        return None
    return session.get_bind().url.render_as_string(hide_password=False)
