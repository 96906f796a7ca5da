"""Jobs: the list with live progress, a job's page (counts per phase), its errors and warnings
(the page every job email links to: ``/jobs/<id>/errors``, :func:`ecom.jobs.report.job_report`),
and Retry of the failed records (:func:`ecom.jobs.lifecycle.create_retry`, as ``ecom jobs retry``).

While a job is queued or running its pages reload themselves every few seconds.
"""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ecom import models as m
from ecom.errors import EcomError
from ecom.jobs import lifecycle
from ecom.jobs.report import event_row, events, job_report
from ecom.web.auth import login_required

LIST_LIMIT = 50


def _render(request: Request, name: str, context: dict, status_code: int = 200) -> Response:  # type: ignore[type-arg]
    return request.app.state.render(request, name, context, status_code)


def _missing(request: Request, job_id: int) -> Response:
    return _render(request, "message.html", {"title": "No such job", "text": f"There is no job {job_id}."}, 404)


@login_required
def list_page(request: Request) -> Response:
    with Session(request.app.state.engine) as session:
        query = select(m.Job).order_by(m.Job.id.desc()).limit(LIST_LIMIT)  # type: ignore[union-attr]
        rows = [job_report(session, job, first=0) for job in session.exec(query)]
    running = any(not m.JobStatus(r["status"]).finished for r in rows)
    return _render(request, "jobs.html", {"rows": rows, "refresh": running})


@login_required
def job_page(request: Request) -> Response:
    job_id = request.path_params["job_id"]
    with Session(request.app.state.engine) as session:
        job = session.get(m.Job, job_id)
        if job is None:
            return _missing(request, job_id)
        report = job_report(session, job)
    refresh = not m.JobStatus(report["status"]).finished
    return _render(request, "job.html", {"r": report, "refresh": refresh, "message": request.query_params.get("message")})


@login_required
def errors_page(request: Request) -> Response:
    """Every error (or warning, ``?level=warning``) of a job, filterable by phase and words."""
    job_id = request.path_params["job_id"]
    level = m.EventLevel.WARNING if request.query_params.get("level") == "warning" else m.EventLevel.ERROR
    phase = request.query_params.get("phase", "")
    words = request.query_params.get("q", "").strip().lower()
    with Session(request.app.state.engine) as session:
        job = session.get(m.Job, job_id)
        if job is None:
            return _missing(request, job_id)
        report = job_report(session, job, first=0)
        rows = [event_row(e) for e in events(session, job.id, level)]
    phases = sorted({r["phase"] for r in rows if r["phase"]})
    shown = [
        r for r in rows
        if (not phase or r["phase"] == phase)
        and (not words or words in f"{r['record'] or ''} {r['message']} {r['rule'] or ''}".lower())
    ]  # fmt: skip
    context = {"r": report, "rows": shown, "total": len(rows), "level": level.value, "phase": phase, "phases": phases, "q": words}
    return _render(request, "errors.html", context)


@login_required
def retry(request: Request) -> Response:
    from ecom.web.integrations import start_job

    job_id = request.path_params["job_id"]
    try:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            failed = session.get(m.Job, job_id)
            if failed is None:
                return _missing(request, job_id)
            job = lifecycle.create_retry(session, failed)
    except EcomError as exc:
        return RedirectResponse(request.url_for("job", job_id=job_id).include_query_params(message=str(exc)), status_code=303)
    start_job(request, job.id)
    return RedirectResponse(request.url_for("job", job_id=job.id), status_code=303)


routes = [
    Route("/jobs", list_page, name="jobs"),
    Route("/jobs/{job_id:int}", job_page, name="job"),
    Route("/jobs/{job_id:int}/errors", errors_page, name="errors"),
    Route("/jobs/{job_id:int}/retry", retry, methods=["POST"], name="retry"),
]
