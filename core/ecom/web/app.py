"""The web admin's Starlette application: routes, templates, the database, the session cookie."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ecom import db, secrets
from ecom.errors import EcomError
from ecom.web import auth, integrations, jobs
from ecom.web.throttle import LoginThrottle

SESSION_HOURS = 8

_templates = Environment(loader=PackageLoader("ecom", "web/templates"), autoescape=select_autoescape(default=True))


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    page = _templates.get_template(name).render(
        request=request, user=request.session.get("user"), csrf=auth.csrf_token(request), **context
    )
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@auth.login_required
def home(request: Request) -> Response:
    return RedirectResponse("/integrations", status_code=303)


async def _ecom_error(request: Request, exc: Exception) -> Response:
    """An ecom error (no such integration, settings that cannot run ...) in its own words, not a 500."""
    return render(request, "message.html", {"title": "That did not work", "text": str(exc)}, status_code=400)


def create_app(*, database_url: str | None = None, secure_cookies: bool = False, throttle: LoginThrottle | None = None) -> Starlette:
    """The web admin for the back office at ``database_url`` (default: ECOM_DATABASE_URL).

    Session cookies are signed with a key derived from ecom's secret key (made on first need,
    owner-only, see :mod:`ecom.secrets`), so sessions outlive a restart of the server.
    """
    from starlette.staticfiles import StaticFiles

    engine = db.open_engine(database_url, pooled=True)
    session_key = secrets.derived_key("web session", database_url)
    routes = [
        Route("/", home),
        Route("/login", auth.login, methods=["GET", "POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/account/password", auth.password_page, methods=["GET", "POST"], name="password"),
        *integrations.routes,
        *jobs.routes,
    ]
    from starlette.routing import Mount

    routes.append(Mount("/static", StaticFiles(packages=[("ecom", "web/static")]), name="static"))
    middleware = [
        Middleware(
            SessionMiddleware, secret_key=session_key.hex(), session_cookie="ecom_session",
            max_age=SESSION_HOURS * 3600, same_site="strict", https_only=secure_cookies,
        )
    ]  # fmt: skip
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={EcomError: _ecom_error})
    app.state.engine = engine
    app.state.fingerprint_key = secrets.derived_key("web password fingerprint", database_url)
    app.state.login_throttle = throttle or LoginThrottle()
    app.state.render = render
    return app
