"""Integrations: the list (cart, Active, last job, next run) and the Integration Editor.

The editor's tabs follow SPEC §2. Saving builds the integration's TOML document from the form
and hands it to :func:`ecom.integration_file.apply_text`, exactly what ``ecom integration apply``
does: the same checks, the same messages, every problem at once and nothing saved when there is
one; each problem is shown on the tab and beside the field it names. The password is write-only:
the form never holds it, an empty field keeps the current one, and it reaches ``apply_text``
through a private environment mapping (``password_env``), never inside the document's text.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import tomli_w
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ecom import integration_checks as checks
from ecom import integration_file, integrations
from ecom import models as m
from ecom.errors import ConfigError, DriverError, EcomError
from ecom.connection_test import check_connection, report_lines
from ecom.integration_checks import SUGGEST_LIMIT, Kind
from ecom.jobs import schedule
from ecom.preview import order_from_text, preview_lines, preview_order
from ecom.integration_file import CONNECTION_FIELDS
from ecom.settings import IntegrationSettings
from ecom.web.auth import login_required

# (tab id, title, the settings sections edited on it)
TABS = (
    ("general", "General", ("general", "notify")),
    ("preferences", "Preferences", ("preferences",)),
    ("sales_tax", "Sales Tax Mapping", ("sales_tax",)),
    ("shipping", "Ship Method Mapping", ("shipping",)),
    ("payments", "Payment Method Mapping", ("payments",)),
    ("discounts", "Discount Mapping", ("discounts",)),
    ("schedule", "Schedule", ("schedule",)),
)
SECTION_TAB = {section: tab for tab, _title, sections in TABS for section in sections}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind | None = None  # a choice from this back-office list; None = typed text
    optional: bool = False


@dataclass(frozen=True)
class Grid:
    """A mapping grid of a tab: the list (or, for ``states``, the table) ``section.key`` edited row by row."""

    section: str
    key: str
    title: str
    columns: tuple[Column, ...]
    table: bool = False  # a TOML table {first column: second column} rather than a list of rows


GRIDS = {
    grid.section: grid
    for grid in (
        Grid("sales_tax", "states", "Item sales tax by state (taxable customers)",
             (Column("state", "State"), Column("item_tax", "Item sales tax", checks.ITEM_SALES_TAX)), table=True),
        Grid("shipping", "methods", "Cart ship method → ship method",
             (Column("cart_method", "Cart ship method"), Column("cart_carrier", "Cart carrier", optional=True),
              Column("method", "Ship method", checks.SHIP_METHOD))),
        Grid("payments", "methods", "Cart payment method → payment method and term",
             (Column("cart_method", "Cart payment method"), Column("method", "Payment method", checks.PAYMENT_METHOD),
              Column("term", "Term", checks.TERM, optional=True))),
        Grid("discounts", "codes", "Cart discount code → discount",
             (Column("cart_code", "Cart code"), Column("discount", "Discount", checks.DISCOUNT))),
    )
}  # fmt: skip
WEB_PASSWORD = "ECOM_WEB_FORM_PASSWORD"  # the name the form's password goes by in apply_text's env


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.render(request, name, context, status_code)


def _session(request: Request) -> Session:
    return Session(request.app.state.engine, expire_on_commit=False)


def _cart_kinds() -> dict[str, str]:
    from ecom.plugins import drivers

    try:
        return {kind: driver.info.title for kind, driver in sorted(drivers().items())}
    except ConfigError:
        return {}


def _last_job(session: Session, integration: m.Integration) -> m.Job | None:
    return session.exec(select(m.Job).where(m.Job.integration_id == integration.id).order_by(m.Job.id.desc())).first()  # type: ignore[union-attr]


def _next_runs(session: Session, integration: m.Integration) -> list[str] | str:
    settings = integrations.load_settings(session, integration)
    test = integrations.last_test(integration)
    tested_at = test.at if test else None
    return schedule.next_runs_text(settings.schedule, tested_at, schedule.upcoming_runs(settings.schedule, tested_at))


@login_required
def list_page(request: Request) -> Response:
    with _session(request) as session:
        rows = [
            {"item": item, "last_job": _last_job(session, item), "next_runs": _next_runs(session, item)}
            for item in integrations.list_integrations(session)
        ]
    return _render(request, "integrations.html", {"rows": rows, "message": request.query_params.get("message")})


@login_required
def toggle_active(request: Request) -> Response:
    name = request.path_params["name"]
    try:
        with _session(request) as session:
            item = integrations.get(session, name)
            if item.active:
                integrations.deactivate(session, item)
                message = f"Integration {name!r} is inactive."
            else:
                integrations.activate(session, item)  # the checks and words of `ecom integration activate`
                message = f"Integration {name!r} is active."
            session.commit()
    except EcomError as exc:
        message = str(exc)
    return RedirectResponse(request.url_for("integrations").include_query_params(message=message), status_code=303)


def _sections_text(document: dict[str, Any]) -> dict[str, str]:
    """Each settings section as the TOML the editor's tab shows (``[section]`` and its tables),
    without the key its grid edits."""
    texts = {}
    for section in SECTION_TAB:
        data = dict(document.get(section, {}))
        if section in GRIDS:
            data.pop(GRIDS[section].key, None)
        texts[section] = tomli_w.dumps({section: data})
    return texts


def _grid_rows(document: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Each grid's rows as the form shows them (every cell text)."""
    rows: dict[str, list[dict[str, str]]] = {}
    for section, grid in GRIDS.items():
        value = document.get(section, {}).get(grid.key) or ({} if grid.table else [])
        if grid.table:
            first, second = (c.key for c in grid.columns)
            rows[section] = [{first: str(k), second: str(v)} for k, v in value.items()]
        else:
            rows[section] = [{c.key: str(row.get(c.key) or "") for c in grid.columns} for row in value]
    return rows


GRID_FIELD = re.compile(r"^grid\.(\w+)\.(\d+)\.(\w+)$")


def _grid_rows_from_form(form: Any) -> dict[str, list[dict[str, str]]]:
    """The grids' rows as posted (``grid.SECTION.ROW.COLUMN``), in row order; a row ticked for
    deletion or left wholly empty is dropped."""
    found: dict[str, dict[int, dict[str, str]]] = {section: {} for section in GRIDS}
    for field_name, value in form.multi_items():
        match = GRID_FIELD.match(field_name)
        if match and match[1] in GRIDS:
            found[match[1]].setdefault(int(match[2]), {})[match[3]] = str(value).strip()
    rows: dict[str, list[dict[str, str]]] = {}
    for section, by_index in found.items():
        columns = [c.key for c in GRIDS[section].columns]
        rows[section] = [
            {k: row.get(k, "") for k in columns}
            for _i, row in sorted(by_index.items())
            if not row.get("delete") and any(row.get(k) for k in columns)
        ]
    return rows


def _grid_value(grid: Grid, rows: list[dict[str, str]]) -> Any:
    """A grid's rows as the integration file holds them."""
    if grid.table:
        first, second = (c.key for c in grid.columns)
        return {row[first]: row[second] for row in rows}
    return [{c.key: row[c.key] for c in grid.columns if row[c.key] or not c.optional} for row in rows]


def _choices(session: Session) -> dict[str, list[str]]:
    """The back-office names each grid column chooses from (a list too long for a menu: typed)."""
    lists: dict[str, list[str]] = {}
    for grid in GRIDS.values():
        for column in grid.columns:
            kind = column.kind
            if kind is not None and kind.label not in lists:
                names = list(session.exec(select(getattr(kind.model, kind.column)).order_by(getattr(kind.model, kind.column)).limit(SUGGEST_LIMIT + 1)))
                lists[kind.label] = names if len(names) <= SUGGEST_LIMIT else []
    return lists


def _editor(request: Request, *, name: str | None, values: dict[str, Any], problems: list[str], status_code: int = 200, **extra: Any) -> Response:
    by_tab: dict[str, list[str]] = {tab: [] for tab, _t, _s in TABS}
    by_field: dict[str, list[str]] = {}
    top: list[str] = []
    for problem in problems:
        path, _sep, _rest = problem.partition(": ")
        head = path.split(".", 1)[0].split("[", 1)[0] if _sep else ""
        if head == "connection" or head in ("name", "cart", "active"):
            key = path.split(".", 1)[1] if head == "connection" and "." in path else head
            by_field.setdefault(key if key in (*CONNECTION_FIELDS, "password", "name", "cart", "active") else "connection", []).append(problem)
            if key not in (*CONNECTION_FIELDS, "password", "name", "cart", "active"):
                top.append(problem)
            by_tab["general"].append(problem)
        elif head in SECTION_TAB:
            by_tab[SECTION_TAB[head]].append(problem)
        else:
            top.append(problem)
    next_runs: list[str] | str = []
    last_test = None
    with _session(request) as session:
        choices = _choices(session)
        item = integrations.find(session, name) if name is not None else None
        if item is not None:
            next_runs = _next_runs(session, item)
            last_test = integrations.last_test(item)
    context = {
        "name": name, "values": values, "tabs": TABS, "problems": problems, "by_tab": by_tab, "by_field": by_field,
        "top": top, "carts": _cart_kinds(), "next_runs": next_runs, "last_test": last_test,
        "tab": request.query_params.get("tab", "general"), "grids": GRIDS, "choices": choices, **extra,
    }  # fmt: skip
    return _render(request, "editor.html", context, status_code)


def _values(session: Session, item: m.Integration) -> dict[str, Any]:
    document = integration_file.export_document(session, item)
    return {
        "name": item.name, "cart": item.cart_kind, "active": item.active,
        **{k: getattr(item, k) for k in CONNECTION_FIELDS},
        "password_set": integrations.password_is_set(item), "sections": _sections_text(document),
        "grid_rows": _grid_rows(document),
    }  # fmt: skip


@login_required
def new_page(request: Request) -> Response:
    document = integration_file._plain(IntegrationSettings().model_dump(mode="python", by_alias=True, exclude_none=True))
    values = {
        "name": "", "cart": "", "active": False, "website_name": "", "api_url": "", "username": "", "password_set": False,
        "sections": _sections_text(document), "grid_rows": _grid_rows(document),
    }  # fmt: skip
    return _editor(request, name=None, values=values, problems=[])


@login_required
def edit_page(request: Request) -> Response:
    with _session(request) as session:
        item = integrations.find(session, request.path_params["name"])
        if item is None:
            return _render(request, "message.html", {"title": "No such integration", "text": f"There is no integration {request.path_params['name']!r}."}, 404)
        values = _values(session, item)
    return _editor(request, name=item.name, values=values, problems=[], message=request.query_params.get("message"))


@login_required
def save(request: Request) -> Response:
    """Save the editor: its fields as an integration file, through ``apply_text``."""
    form = request.state.form
    existing = request.path_params.get("name")
    name = existing or str(form.get("name", "")).strip()
    sections = {section: str(form.get(f"section_{section}", "")) for section in SECTION_TAB}
    password = str(form.get("password", ""))
    values = {
        "name": name, "cart": str(form.get("cart", "")), "active": form.get("active") == "on",
        **{k: str(form.get(k, "")) for k in CONNECTION_FIELDS}, "sections": sections,
        "grid_rows": _grid_rows_from_form(form),
    }  # fmt: skip
    document: dict[str, Any] = {"name": name, "active": values["active"]}
    if not existing:
        document["cart"] = values["cart"]
    document["connection"] = {k: values[k] for k in CONNECTION_FIELDS}
    if password:
        document["connection"]["password_env"] = WEB_PASSWORD
    problems: list[str] = []
    for section, text in sections.items():
        try:
            parsed = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{section}: TOML syntax: {exc}")
            continue
        for key, value in parsed.items():
            if key != section:
                problems.append(f"{section}: this tab edits [{section}] only; [{key}] belongs elsewhere")
            else:
                document[key] = value
        if section in GRIDS:
            grid = GRIDS[section]
            if isinstance(document.get(section), dict) and grid.key in document[section]:
                problems.append(f"{section}.{grid.key}: edit it in the grid below the box, not in the box")
            document.setdefault(section, {})[grid.key] = _grid_value(grid, values["grid_rows"][section])
    with _session(request) as session:
        if existing:
            item = integrations.find(session, existing)
            values["password_set"] = bool(item and integrations.password_is_set(item))
            values["cart"] = item.cart_kind if item else ""
        if not problems:
            try:
                result = integration_file.apply_text(session, tomli_w.dumps(document), source="the editor", env={WEB_PASSWORD: password})
                session.commit()
            except integrations.SettingsError as exc:
                session.rollback()
                problems = exc.problems
            except EcomError as exc:
                session.rollback()
                problems = [str(exc)]
    if problems:
        return _editor(request, name=existing, values=values, problems=problems, status_code=422)
    word = "Created" if result.created else ("Saved" if result.changed else "No change to")
    message = " ".join([f"{word} integration {result.integration.name!r}.", *(f"Note: {n}" for n in result.notes)])
    url = request.url_for("edit", name=result.integration.name).include_query_params(message=message)
    return RedirectResponse(url, status_code=303)


@login_required
def test_connection(request: Request) -> Response:
    """Test Connection: what ``ecom integration test`` says, the success recorded."""
    name = request.path_params["name"]
    with _session(request) as session:
        item = integrations.get(session, name)
        try:
            lines, ok = report_lines(check_connection(session, item)), True
            session.commit()
        except DriverError as exc:
            lines, ok = [str(exc)], False
        except EcomError as exc:
            lines, ok = [f"Test Connection of {name!r} failed: {exc}"], False
        values = _values(session, item)
    return _editor(request, name=name, values=values, problems=[], test_result={"ok": ok, "lines": lines})


@login_required
def preview(request: Request) -> Response:
    """Preview: a pasted canonical order, mapped with the saved settings; nothing is written."""
    name = request.path_params["name"]
    text = str(request.state.form.get("order", ""))
    with _session(request) as session:
        item = integrations.get(session, name)
        try:
            lines = preview_lines(preview_order(session, item, order_from_text("The pasted order", text)))
        except EcomError as exc:
            lines = str(exc).splitlines()
        values = _values(session, item)
    return _editor(request, name=name, values=values, problems=[], preview={"order": text, "lines": lines}, tab_override="preview")


@login_required
def sync_now(request: Request) -> Response:
    """Sync now: the checks of ``ecom sync``, then the job runs in the background; its page shows it."""
    from ecom.jobs import lifecycle

    name = request.path_params["name"]
    try:
        with _session(request) as session:
            item = integrations.get(session, name)
            if not item.active:
                raise ConfigError(f"Integration {name!r} is inactive: activate it first.")
            integrations.require_ready(session, item)
            job = lifecycle.create_job(session, item, trigger=m.JobTrigger.MANUAL, options={"phases": [], "full": False})
    except EcomError as exc:
        return RedirectResponse(request.url_for("integrations").include_query_params(message=str(exc)), status_code=303)
    start_job(request, job.id)
    return RedirectResponse(request.url_for("job", job_id=job.id), status_code=303)


def start_job(request: Request, job_id: int) -> None:
    """Run a queued job in a thread of this server; a failure is recorded on the job by the runner."""
    from ecom.jobs.runner import run_job

    thread = threading.Thread(target=run_job, args=(request.app.state.engine, job_id), name=f"job-{job_id}", daemon=True)
    thread.start()
    request.app.state.job_threads = [t for t in getattr(request.app.state, "job_threads", []) if t.is_alive()] + [thread]


routes = [
    Route("/integrations", list_page, name="integrations"),
    Route("/integrations/new", new_page, name="new"),
    Route("/integrations/new", save, methods=["POST"], name="create"),
    Route("/integrations/{name}", edit_page, name="edit"),
    Route("/integrations/{name}", save, methods=["POST"], name="save"),
    Route("/integrations/{name}/active", toggle_active, methods=["POST"], name="toggle_active"),
    Route("/integrations/{name}/test", test_connection, methods=["POST"], name="test"),
    Route("/integrations/{name}/preview", preview, methods=["POST"], name="preview"),
    Route("/integrations/{name}/sync", sync_now, methods=["POST"], name="sync"),
]
