"""Sessions and logins: a restart keeps sessions, a password change ends the user's other
sessions, and repeated failed logins are refused for a while."""

from __future__ import annotations

import html
import os
import stat

import httpx
import pytest

from ecom import users
from ecom.web.app import create_app
from ecom.web.throttle import LoginThrottle
from tests.web.conftest import PASSWORD, USER, serving
from tests.web.test_security import csrf, logged_in


def _log_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf(client.get("/login").text)})


def test_a_session_outlives_a_restart_of_the_server(admin, tmp_path, monkeypatch):
    client = logged_in(admin)
    cookie = {"Cookie": f"ecom_session={client.cookies['ecom_session']}"}
    client.close()
    with serving(create_app(database_url=admin.database_url)) as restarted:  # as `ecom serve` makes it on its next start
        page = httpx.get(restarted + "/integrations", headers=cookie)
        assert page.status_code == 200 and "Log out" in page.text
    # the key comes from ecom's secret key file (owner-only), not from the server's start
    assert stat.S_IMODE(os.stat(os.environ["ECOM_SECRET_KEY_FILE"]).st_mode) == 0o600
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "another.key"))
    with serving(create_app(database_url=admin.database_url)) as other:
        assert httpx.get(other + "/integrations", headers=cookie).status_code == 303  # signed with another key: log in again


def test_changing_a_password_with_the_cli_ends_the_users_sessions(admin, ecom_cli):
    with admin.session() as session:
        users.add(session, "pat", "pats first password")
        users.add(session, "sam", "sams only password")
    pat, sam = httpx.Client(base_url=admin.url), httpx.Client(base_url=admin.url)
    try:
        assert _log_in(pat, "pat", "pats first password").status_code == 303
        assert _log_in(sam, "sam", "sams only password").status_code == 303
        assert pat.get("/integrations").status_code == 200
        answer = ecom_cli("users", "password", "pat", "--password-stdin", input="pats second password\n")
        assert answer.exit_code == 0, answer.stderr
        assert pat.get("/integrations").status_code == 303  # ended: back to the login page
        assert sam.get("/integrations").status_code == 200  # another user's session goes on
        assert _log_in(pat, "pat", "pats second password").status_code == 303
        assert pat.get("/integrations").status_code == 200
    finally:
        pat.close()
        sam.close()


def test_changing_a_password_on_the_web_keeps_this_session_and_ends_the_others(admin):
    with admin.session() as session:
        users.add(session, "kim", "kims first password")
    here, there = httpx.Client(base_url=admin.url), httpx.Client(base_url=admin.url)
    try:
        _log_in(here, "kim", "kims first password")
        _log_in(there, "kim", "kims first password")
        token = csrf(here.get("/account/password").text)
        wrong = here.post("/account/password", data={"csrf": token, "current": "not it at all", "new": "kims new password", "again": "kims new password"})
        assert wrong.status_code == 422 and "The current password is wrong: nothing was changed." in wrong.text
        short = here.post("/account/password", data={"csrf": token, "current": "kims first password", "new": "short", "again": "short"})
        assert short.status_code == 422 and "was not changed: the password is too short" in html.unescape(short.text)  # the CLI's words
        assert there.get("/integrations").status_code == 200  # nothing changed yet
        done = here.post("/account/password", data={"csrf": token, "current": "kims first password", "new": "kims new password", "again": "kims new password"})
        assert done.status_code == 200 and "Password changed" in done.text
        assert "kims new password" not in done.text
        assert here.get("/integrations").status_code == 200
        assert there.get("/integrations").status_code == 303
        with admin.session() as session:
            assert users.authenticate(session, "kim", "kims new password") is not None
    finally:
        here.close()
        there.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttled(admin):
    """The admin's app with a throttle on a clock the test moves (the real one, swapped back after)."""
    clock = Clock()
    app = admin.app
    saved, app.state.login_throttle = app.state.login_throttle, LoginThrottle(per_user=3, per_client=5, window=600, clock=clock)
    try:
        yield clock
    finally:
        app.state.login_throttle = saved


def test_repeated_failed_logins_for_a_user_are_refused_for_a_while(admin, throttled):
    client = httpx.Client(base_url=admin.url)
    try:
        for _ in range(3):
            assert _log_in(client, USER, "a wrong password").status_code == 401
        refused = _log_in(client, USER, PASSWORD)  # even the right password, for now
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 600
        assert "Too many failed logins for this user name or from this address: try again in 10 minutes." in refused.text
        assert client.get("/integrations").status_code == 303
        throttled.now += 599
        assert _log_in(client, USER, PASSWORD).status_code == 429
        throttled.now += 1
        assert _log_in(client, USER, PASSWORD).status_code == 303  # the window has passed
        assert client.get("/integrations").status_code == 200
    finally:
        client.close()


def test_repeated_failed_logins_from_one_address_are_refused_whatever_the_name(admin, throttled):
    client = httpx.Client(base_url=admin.url)
    try:
        for name in ("ann", "bob", "cy", "di", "ed"):  # never the same name twice: the address counts
            assert _log_in(client, name, "a wrong password").status_code == 401
        refused = _log_in(client, USER, PASSWORD)
        assert refused.status_code == 429 and "Too many failed logins" in refused.text
    finally:
        client.close()


def test_the_throttle_remembers_a_bounded_number_of_names(monkeypatch):
    from ecom.web import throttle

    monkeypatch.setattr(throttle, "MAX_KEYS", 50)
    clock = Clock()
    limiter = LoginThrottle(per_user=2, per_client=10**9, window=60, clock=clock)
    limiter.failed("dana", "1.2.3.4")
    limiter.failed("dana", "1.2.3.4")
    for index in range(200):
        limiter.failed(f"guess{index}", f"10.0.{index}.1")
    assert len(limiter._failures) <= 50
    assert limiter.wait("guess199", "10.0.199.1") == 0 and limiter.wait("dana", "9.9.9.9") == 0  # the stalest went first
    limiter.failed("dana", "9.9.9.9")
    limiter.failed("dana", "9.9.9.9")
    assert limiter.wait("dana", "9.9.9.9") == 60
    limiter.succeeded("dana")
    assert limiter.wait("dana", "9.9.9.9") == 0
