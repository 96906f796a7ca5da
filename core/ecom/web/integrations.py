"""Integrations: the list (cart, Active, last job, next run) and the Integration Editor.

The editor's tabs follow SPEC §2. Saving builds the integration's TOML document from the form
and hands it to :func:`ecom.integration_file.apply_text`, exactly what ``ecom integration apply``
does: the same checks, the same messages, every problem at once and nothing saved when there is
one; each problem is shown on the tab and beside the field it names. The password is write-only:
the form never holds it, an empty field keeps the current one, and it reaches ``apply_text``
through a private environment mapping (``password_env``), never inside the document's text.
"""

from __future__ import annotations

import threading
from typing import Any

import tomli_w
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ecom import integration_file, integrations
from ecom import models as m
from ecom.errors import ConfigError, DriverError, EcomError
from ecom.connection_test import check_connection, report_lines
from ecom.integration_checks import Problem
from ecom.jobs import schedule
from ecom.preview import order_from_text, preview_lines, preview_order
from ecom.records import CartInfo
from ecom.integration_file import CONNECTION_FIELDS
from ecom.settings import IntegrationSettings
from ecom.web import editor
from ecom.web.auth import login_required

WEB_PASSWORD = "ECOM_WEB_FORM_PASSWORD"  # the name the form's password goes by in apply_text's env


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return request.app.state.render(request, name, context, status_code)


def _session(request: Request) -> Session:
    return Session(request.app.state.engine, expire_on_commit=False)


def _cart_infos() -> dict[str, CartInfo]:
    from ecom.plugins import drivers

    try:
        return {kind: driver.info for kind, driver in sorted(drivers().items())}
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


def _editor(request: Request, *, name: str | None, values: dict[str, Any], problems: list[Problem], status_code: int = 200, **extra: Any) -> Response:
    next_runs: list[str] | str = []
    last_test = None
    with _session(request) as session:
        lists = editor.choices(session)
        item = integrations.find(session, name) if name is not None else None
        if item is not None:
            next_runs = _next_runs(session, item)
            last_test = integrations.last_test(item)
    infos = _cart_infos()
    info = infos.get(values["cart"]) if values["cart"] else None
    item_list_carts = [kind for kind, each in infos.items() if each.item_list]
    rows = values["grid_rows"]
    context = {
        "name": name, "values": values, "tabs": editor.TABS, "problems": problems,
        "placed": editor.place_problems(problems, rows), "carts": {k: i.title for k, i in infos.items()}, "next_runs": next_runs,
        "last_test": last_test, "tab": request.query_params.get("tab", "general"), "grids": editor.GRIDS,
        "fields": editor.FIELDS, "choices": lists, "cart_lists": editor.cart_choices(info, values["fields"], rows),
        "section_titles": SECTION_TITLES,
        "field_help": info.fields.model_dump() if info else {}, "item_list_carts": item_list_carts,
        "show_items": values["cart"] in item_list_carts or bool(rows["cart_items"] or rows["item_table"]),
        **extra,
    }  # fmt: skip
    return _render(request, "editor.html", context, status_code)


SECTION_TITLES = {
    "general": "Options", "notify": "Job report email", "preferences": "Customers and orders",
    "sales_tax": "Sales tax", "shipping": "Shipping", "payments": "Payments", "discounts": "Discounts", "schedule": "Schedule",
}  # fmt: skip


def _values(session: Session, item: m.Integration) -> dict[str, Any]:
    fields, rows = editor.form_values(integration_file.export_document(session, item))
    return {
        "name": item.name, "cart": item.cart_kind, "active": item.active,
        **{k: getattr(item, k) for k in CONNECTION_FIELDS},
        "password_set": integrations.password_is_set(item), "fields": fields, "grid_rows": rows,
    }  # fmt: skip


@login_required
def new_page(request: Request) -> Response:
    fields, rows = editor.form_values(integration_file._plain(IntegrationSettings().model_dump(mode="python", by_alias=True, exclude_none=True)))
    values = {
        "name": "", "cart": "", "active": False, "website_name": "", "api_url": "", "username": "", "password_set": False,
        "fields": fields, "grid_rows": rows,
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
    password = str(form.get("password", ""))
    fields, rows = editor.read_form(form)
    values = {
        "name": name, "cart": str(form.get("cart", "")), "active": form.get("active") == "on",
        **{k: str(form.get(k, "")) for k in CONNECTION_FIELDS}, "fields": fields, "grid_rows": rows,
    }  # fmt: skip
    document: dict[str, Any] = {"name": name, "active": values["active"]}
    if not existing:
        document["cart"] = values["cart"]
    document["connection"] = {k: values[k] for k in CONNECTION_FIELDS}
    if password:
        document["connection"]["password_env"] = WEB_PASSWORD
    document.update(editor.settings_document(fields, rows))
    problems: list[Problem] = []
    with _session(request) as session:
        if existing:
            item = integrations.find(session, existing)
            values["password_set"] = bool(item and integrations.password_is_set(item))
            values["cart"] = item.cart_kind if item else ""
        try:
            result = integration_file.apply_text(
                session, tomli_w.dumps(document), source="the editor", env={WEB_PASSWORD: password}, read_files=False
            )
            session.commit()
        except integrations.SettingsError as exc:
            session.rollback()
            problems = exc.found
        except EcomError as exc:
            session.rollback()
            problems = [Problem("", str(exc))]
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
