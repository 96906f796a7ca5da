"""The web admin's locks: nothing without a session, CSRF on every form, no password in a page,
hostile order data escaped. Plain HTTP (httpx) against the running admin."""

from __future__ import annotations

import html
import logging
import re
from html.parser import HTMLParser

import httpx
import pytest
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from tests.web.conftest import PASSWORD, USER

HOSTILE = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def logged_in(admin) -> httpx.Client:
    client = httpx.Client(base_url=admin.url, follow_redirects=True)
    token = csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf": token, "next": "/"})
    assert answer.status_code == 200 and "Log out" in answer.text
    return client


@pytest.fixture(scope="module")
def shop(admin):
    """An integration 'sec' with a known cart password, and a job whose errors carry hostile text."""
    conn = admin.fake.connection(admin.cart_url)
    with admin.session() as session:
        item = integrations.create(session, "sec", "testcart", website_name="Sec", api_url=conn.api_url, password=conn.password.get_secret_value())
        job = m.Job(integration_id=item.id, trigger=m.JobTrigger.MANUAL, status=m.JobStatus.SUCCEEDED_WITH_ERRORS, options={})
        session.add(job)
        session.commit()
        session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.ERROR, phase="import_orders", record_ref=HOSTILE, message=f"unknown SKU {HOSTILE}"))
        session.commit()
        return {"password": conn.password.get_secret_value(), "job": job.id}


@pytest.mark.parametrize("path", ["/", "/integrations", "/integrations/new", "/integrations/sec", "/jobs", "/jobs/1", "/jobs/1/errors"])
def test_no_page_without_a_session(admin, shop, path):
    answer = httpx.get(admin.url + path)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", ["/integrations/new", "/integrations/sec", "/integrations/sec/active", "/integrations/sec/test",
                                  "/integrations/sec/preview", "/integrations/sec/sync", "/jobs/1/retry", "/logout"])  # fmt: skip
def test_no_action_without_a_session(admin, shop, path):
    answer = httpx.post(admin.url + path, data={"csrf": "x", "name": "evil", "cart": "testcart"})
    assert answer.status_code == 403
    with admin.session() as session:
        assert integrations.find(session, "evil") is None
        assert session.exec(select(m.Job).where(m.Job.trigger == m.JobTrigger.MANUAL)).all() == [session.get(m.Job, shop["job"])]


def test_a_wrong_password_or_unknown_user_logs_nobody_in(admin):
    client = httpx.Client(base_url=admin.url)
    for username, password in ((USER, "wrong password!"), ("nobody", PASSWORD)):
        answer = client.post("/login", data={"username": username, "password": password, "csrf": csrf(client.get("/login").text)})
        assert answer.status_code == 401 and "Wrong user name or password." in answer.text
    assert client.get("/integrations").status_code == 303
    client.close()


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_session_csrf_token_is_refused(admin, shop, token):
    client = logged_in(admin)
    with admin.session() as session:
        was_active = integrations.get(session, "sec").active
    data = {"name": "csrf-victim", "cart": "testcart", "website_name": "x", "api_url": admin.cart_url}
    if token is not None:
        data["csrf"] = token
    for path in ("/integrations/new", "/integrations/sec/active", "/integrations/sec/sync", f"/jobs/{shop['job']}/retry", "/logout"):
        answer = client.post(path, data=data)
        assert answer.status_code == 403 and "CSRF check failed" in answer.text, path
    with admin.session() as session:
        assert integrations.find(session, "csrf-victim") is None
        assert integrations.get(session, "sec").active is was_active
    assert client.get("/integrations").status_code == 200  # still logged in: logout was refused too
    client.close()


def test_login_itself_needs_the_csrf_token(admin):
    answer = httpx.post(admin.url + "/login", data={"username": USER, "password": PASSWORD})
    assert answer.status_code == 403


def test_the_cart_password_is_never_in_a_page_or_a_form_value_or_a_log(admin, shop, caplog):
    caplog.set_level(logging.DEBUG)
    client = logged_in(admin)
    secret = shop["password"]
    pages = [client.get(p).text for p in ("/integrations", "/integrations/sec", "/integrations/sec?tab=general", "/jobs")]
    editor = pages[1]
    pages.append(client.post("/integrations/sec/test", data={"csrf": csrf(editor)}).text)
    # a save with a new password, and one with a problem: the form comes back without the password
    pages.append(client.post("/integrations/sec", data={"csrf": csrf(editor), "website_name": "Sec", "api_url": admin.cart_url,
                                                         "password": secret, "active": "on", **sections(editor)}).text)  # fmt: skip
    pages.append(client.post("/integrations/sec", data={"csrf": csrf(editor), "website_name": "Sec", "api_url": "ftp://nope",
                                                         "password": secret + "2", **sections(editor)}).text)  # fmt: skip
    assert "Connection OK" in pages[4]
    assert "api_url" in pages[6] and 'class="problem' in pages[6]
    for page in pages:
        assert secret not in page
        assert secret + "2" not in page
    assert all(secret not in record.getMessage() for record in caplog.records)
    with admin.session() as session:
        item = integrations.get(session, "sec")
        assert secret not in (item.password_encrypted or "") and item.api_url == admin.cart_url
    client.close()


class _Form(HTMLParser):
    """What a browser would send for the editor form's settings fields (``f.*`` and ``grid.*``) as the page stands."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._open: tuple[str, str] | None = None  # a textarea or select being read: (tag, name)
        self._selected: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name") or ""
        if tag == "input" and name.startswith(("f.", "grid.")) and "__i__" not in name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value") or "on")
            else:
                self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag in ("textarea", "select") and name.startswith(("f.", "grid.")) and "__i__" not in name:
            self._open, self._selected = (tag, name), None
            if tag == "textarea":
                self.data.setdefault(name, []).append("")
        elif tag == "option" and self._open and ("selected" in a or self._selected is None):
            self._selected = a.get("value")  # None: the option's text, read next

    def handle_data(self, data: str) -> None:
        if self._open and self._open[0] == "textarea":
            self.data[self._open[1]][-1] += data
        elif self._open and self._selected is None:
            self._selected = data

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            if tag == "select":
                self.data.setdefault(self._open[1], []).append(self._selected or "")
            else:
                self.data[self._open[1]][-1] = self.data[self._open[1]][-1].removeprefix("\n")
            self._open = None


def sections(page: str) -> dict[str, list[str]]:
    """The editor's settings fields as they stand on ``page``, as a browser would post them."""
    parser = _Form()
    parser.feed(page)
    return parser.data


def test_hostile_order_data_in_errors_is_escaped(admin, shop):
    client = logged_in(admin)
    for path in (f"/jobs/{shop['job']}/errors", f"/jobs/{shop['job']}/errors?q=<script>"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert HOSTILE in html.unescape(page)  # shown, as text
    assert "default-src 'self'" in client.get(f"/jobs/{shop['job']}/errors").headers["content-security-policy"]
    client.close()


def test_after_login_only_a_local_path_is_followed(admin):
    client = httpx.Client(base_url=admin.url)
    token = csrf(client.get("/login").text)
    answer = client.post("/login", data={"username": USER, "password": PASSWORD, "csrf": token, "next": "//evil.example/x"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    client.close()


def test_a_removed_users_session_ends(admin):
    from ecom import users

    with admin.session() as session:
        users.add(session, "leaver", "a long enough password")
    client = httpx.Client(base_url=admin.url, follow_redirects=True)
    try:
        client.post("/login", data={"username": "leaver", "password": "a long enough password", "csrf": csrf(client.get("/login").text)})
        assert client.get("/integrations").url.path == "/integrations"
        with admin.session() as session:
            users.remove(session, "leaver")
        assert client.get("/integrations").url.path == "/login"
    finally:
        client.close()


def test_an_unknown_integration_is_a_message_not_a_crash(admin):
    client = logged_in(admin)
    try:
        page = client.get("/integrations/nope")
        assert page.status_code == 404 and html.unescape(page.text).count("There is no integration 'nope'") == 1
        answer = client.post("/integrations/nope/test", data={"csrf": csrf(page.text)})
        assert answer.status_code == 400 and "'nope'" in html.unescape(answer.text) and "Traceback" not in answer.text
    finally:
        client.close()


def test_the_active_toggle_saves_and_refuses_an_integration_that_cannot_run(admin):
    with admin.session() as session:
        integrations.create(session, "toggle", "testcart", website_name="T", api_url=admin.cart_url, password="tok")
        session.commit()
    client = logged_in(admin)
    try:
        token = csrf(client.get("/integrations").text)
        refused = client.post("/integrations/toggle/active", data={"csrf": token})
        assert "cannot be activated" in html.unescape(refused.text) and "shipping.default_method" in refused.text
        with admin.session() as session:
            item = integrations.get(session, "toggle")
            assert item.active is False
            settings = integrations.load_settings(session, item)
            settings.shipping.default_method = "UPS Ground"
            integrations.save_settings(session, item, settings)
            session.commit()
        client.post("/integrations/toggle/active", data={"csrf": token})
        with admin.session() as session:
            assert integrations.get(session, "toggle").active is True
        client.post("/integrations/toggle/active", data={"csrf": token})
        with admin.session() as session:
            assert integrations.get(session, "toggle").active is False
    finally:
        client.close()


def test_the_web_admin_imports_nothing_from_the_cli():
    """The web admin and the CLI share core modules (ecom.preview, ecom.connection_test, ecom.jobs.schedule),
    not each other's private helpers: no import of ecom.cli anywhere in ecom.web, at the top or inside a function."""
    import ast
    from pathlib import Path

    import ecom.web

    imported = []
    for path in Path(ecom.web.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                imported += [alias.name for alias in node.names]
    assert "ecom.integrations" in imported  # the walk sees the imports
    assert [name for name in imported if name == "ecom.cli" or name.startswith("ecom.cli.")] == []
