"""Login, logout, the session and CSRF.

The session is Starlette's signed cookie (HttpOnly, SameSite=Strict, Secure behind TLS) holding
the user's name and a CSRF token; it is signed with a key made when the server starts, so a
restart logs everyone out. Every page but the login page needs a session; every POST must carry
the session's CSRF token in its ``csrf`` field, compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ecom import users

Handler = Callable[[Request], Response]
CSRF_REFUSED = "This form is out of date or did not come from this admin (CSRF check failed): reload the page and try again."


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def form_with_csrf(request: Request) -> Any:
    """The POSTed form, or None when its CSRF token is missing or not the session's."""
    form = await request.form()
    sent, expected = form.get("csrf"), request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    return form


def login_required(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Pages and actions for logged-in users; a POST also needs the CSRF token (``request.state.form``).

    The handler is plain (blocking) code: it runs in a worker thread, so a slow cart or database
    never holds up the other pages. A session whose user was removed is ended.
    """

    async def guarded(request: Request) -> Response:
        if request.session.get("user") and not await run_in_threadpool(_user_exists, request, request.session["user"]):
            request.session.clear()
        if not request.session.get("user"):
            if request.method == "GET":
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return PlainTextResponse("Log in first.", status_code=403)
        if request.method == "POST":
            form = await form_with_csrf(request)
            if form is None:
                return PlainTextResponse(CSRF_REFUSED, status_code=403)
            request.state.form = form
        return await run_in_threadpool(handler, request)

    return guarded


def _user_exists(request: Request, username: str) -> bool:
    with Session(request.app.state.engine) as session:
        return users.find(session, username) is not None


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host or scheme): no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login(request: Request) -> Response:
    render = request.app.state.render
    nxt = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", {"next": nxt, "error": None})
    form = await form_with_csrf(request)
    if form is None:
        return PlainTextResponse(CSRF_REFUSED, status_code=403)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    user = await run_in_threadpool(_authenticate, request, username, password)
    if user is None:
        return render(request, "login.html", {"next": nxt, "error": "Wrong user name or password."}, status_code=401)
    request.session.clear()  # a new session on login: nothing from before it survives
    request.session["user"] = user.username
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(str(form.get("next", "/"))), status_code=303)


def _authenticate(request: Request, username: str, password: str) -> users.m.User | None:
    with Session(request.app.state.engine) as session:
        return users.authenticate(session, username, password)


@login_required
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
