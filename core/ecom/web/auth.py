"""Login, logout, the session, CSRF, and a user's own password.

The session is Starlette's signed cookie (HttpOnly, SameSite=Strict, Secure behind TLS) holding
the user's name, a CSRF token and a fingerprint of the user's password hash (an HMAC, so the
cookie tells nothing about the hash). It is signed with a key derived from ecom's secret key
(:func:`ecom.secrets.derived_key`), so a restart of ``ecom serve`` keeps everyone logged in. A
session ends when its user is removed or their password changes (``ecom users password`` or the
Password page): the fingerprint no longer matches. Every page but the login page needs a
session; every POST must carry the session's CSRF token in its ``csrf`` field, compared in
constant time. Failed logins are counted (:mod:`.throttle`): too many for a user name or from an
address are refused for a while.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ecom import users
from ecom.errors import ConfigError
from ecom.web.throttle import wait_words

Handler = Callable[[Request], Response]
CSRF_REFUSED = "This form is out of date or did not come from this admin (CSRF check failed): reload the page and try again."
WRONG_LOGIN = "Wrong user name or password."


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


def fingerprint(request: Request, password_hash: str) -> str:
    """What the session keeps of the user's password hash: changes when the password does."""
    return hmac.new(request.app.state.fingerprint_key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def login_required(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Pages and actions for logged-in users; a POST also needs the CSRF token (``request.state.form``).

    The handler is plain (blocking) code: it runs in a worker thread, so a slow cart or database
    never holds up the other pages. A session whose user was removed, or whose password changed
    since the session began, is ended.
    """

    async def guarded(request: Request) -> Response:
        if request.session.get("user") and not await run_in_threadpool(_session_holds, request):
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


def _session_holds(request: Request) -> bool:
    """Whether the session's user still exists with the password the session was opened with."""
    with Session(request.app.state.engine) as session:
        user = users.find(session, request.session["user"])
        kept = request.session.get("pw")
        return user is not None and isinstance(kept, str) and hmac.compare_digest(kept, fingerprint(request, user.password_hash))


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host or scheme): no open redirect after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login(request: Request) -> Response:
    render = request.app.state.render
    nxt = _safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return render(request, "login.html", {"next": nxt, "error": None})
    form = await form_with_csrf(request)
    if form is None:
        return PlainTextResponse(CSRF_REFUSED, status_code=403)
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    throttle = request.app.state.login_throttle
    wait = throttle.wait(username, _client(request))
    if wait:
        error = f"Too many failed logins for this user name or from this address: try again in {wait_words(wait)}."
        page = render(request, "login.html", {"next": nxt, "error": error}, status_code=429)
        page.headers["Retry-After"] = str(wait)
        return page
    user = await run_in_threadpool(_authenticate, request, username, password)
    if user is None:
        throttle.failed(username, _client(request))
        return render(request, "login.html", {"next": nxt, "error": WRONG_LOGIN}, status_code=401)
    throttle.succeeded(username)
    request.session.clear()  # a new session on login: nothing from before it survives
    request.session["user"] = user.username
    request.session["pw"] = fingerprint(request, user.password_hash)
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(str(form.get("next", "/"))), status_code=303)


def _authenticate(request: Request, username: str, password: str) -> users.m.User | None:
    with Session(request.app.state.engine) as session:
        return users.authenticate(session, username, password)


@login_required
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@login_required
def password_page(request: Request) -> Response:
    """The logged-in user's own password: the current one, then the new one twice. A change ends
    the user's other sessions (as ``ecom users password`` does); this one goes on."""
    render = request.app.state.render
    if request.method == "GET":
        return render(request, "password.html", {"error": None})
    form, username = request.state.form, request.session["user"]
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    throttle = request.app.state.login_throttle
    wait = throttle.wait(username, _client(request))
    error = None
    if wait:
        error = f"Too many wrong passwords for this user name or from this address: try again in {wait_words(wait)}."
    elif new != again:
        error = "The new password and its repetition differ: nothing was changed."
    else:
        with Session(request.app.state.engine) as session:
            if users.authenticate(session, username, current) is None:
                throttle.failed(username, _client(request))
                error = "The current password is wrong: nothing was changed."
            else:
                try:
                    users.set_password(session, username, new)
                except ConfigError as exc:
                    error = str(exc)
                else:
                    request.session["pw"] = fingerprint(request, users.get(session, username).password_hash)
    if error:
        return render(request, "password.html", {"error": error}, status_code=429 if wait else 422)
    return render(request, "message.html", {"title": "Password changed", "text": "Your password is changed; your other sessions have ended."})
