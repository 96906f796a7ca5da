"""The end-of-job email, received by a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom import secrets
from ecom.jobs import lifecycle


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def inbox():
    handler = Inbox()
    with socket.socket() as probe:  # a free loopback port (aiosmtpd checks its server by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def use_mail(shop, port: int, recipients: list[str]) -> None:
    with shop.db.session() as session:
        session.add(m.MailSettings(host="127.0.0.1", port=port, security="none", from_address="ecom@shop.test"))
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.notify.recipients = recipients
        integrations.save_settings(session, integration, settings)


def parts(message: Message) -> dict[str, str]:
    return {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}


def test_the_report_arrives_with_counts_and_the_error_lines(shop, inbox):
    handler, port = inbox
    use_mail(shop, port, ["ops@shop.test", "owner@shop.test"])
    shop.fake.seed(orders=12, seed=21)
    victim = next(o for o in shop.fake.orders.values() if not o.get("archived_at") and o["status"] == "paid")
    victim["items"][0]["sku"] = "GHOST-1"
    job = shop.sync()

    (rcpts, message), = handler.messages
    assert rcpts == ["ops@shop.test", "owner@shop.test"]
    assert message["Subject"] == f"ecom: shop sync job {job.id} succeeded with errors, 1 error(s)"
    body = parts(message)
    text, html = body["text/plain"], body["text/html"]
    counts = job.counts["import_orders"]
    assert f"{counts['fetched']} fetched, {counts['created']} created" in text
    assert f"- {victim['number']}: SKU 'GHOST-1'" in text
    assert f"/jobs/{job.id}/errors" in text and f"ecom jobs show {job.id}" in text
    assert "GHOST-1" in html and f"<td>{counts['created']}</td>" in html


def test_a_mail_failure_is_a_warning_on_the_job_and_never_fails_it(shop):
    with shop.db.session() as session:
        session.add(m.MailSettings(host="127.0.0.1", port=1, security="none", from_address="ecom@shop.test"))
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.notify.recipients = ["ops@shop.test"]
        integrations.save_settings(session, integration, settings)
    shop.fake.seed(orders=3, seed=22)
    job = shop.sync()
    assert job.status is not m.JobStatus.FAILED
    with shop.session() as session:
        warnings = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.phase == "email")).all()
    assert len(warnings) == 1 and "could not be emailed via 127.0.0.1:1" in warnings[0].message


def test_the_smtp_password_is_stored_encrypted(shop, ecom_cli, monkeypatch):
    monkeypatch.setenv("SMTP_PW", "s3cret-smtp-pass")
    result = ecom_cli("mail", "set", "--host", "127.0.0.1", "--port", "2525", "--security", "none",
                      "--username", "ecom", "--from", "ecom@shop.test", "--password-env", "SMTP_PW")
    assert result.exit_code == 0, result.output
    shown = ecom_cli("mail", "show", "--json").stdout
    assert "s3cret-smtp-pass" not in shown and '"password": "(set)"' in shown
    with shop.session() as session:
        row = session.exec(select(m.MailSettings)).one()
    assert "s3cret-smtp-pass" not in row.password_encrypted
    assert secrets.decrypt(row.password_encrypted) == "s3cret-smtp-pass"


SMUGGLER = "ops@example.com\r\nBcc: spy@example.com"


def test_a_recipient_with_a_line_break_is_refused_by_set_and_apply(shop, ecom_cli, tmp_path):
    result = ecom_cli("integration", "set", "shop", 'notify.recipients=["ok@shop.test", "ops@example.com\\r\\nBcc: spy@example.com"]')
    assert result.exit_code == 3
    assert "notify.recipients" in result.stderr and "line break" in result.stderr and "nothing was saved" in result.stderr
    named = ecom_cli("integration", "set", "shop", 'notify.recipients=["Ops <ops@shop.test>"]')
    assert named.exit_code == 3 and "expected one address like ops@example.com" in named.stderr
    exported = tmp_path / "shop.toml"
    assert ecom_cli("integration", "export", "shop", "-o", str(exported)).exit_code == 0
    text = exported.read_text()
    assert "recipients = []" in text
    exported.write_text(text.replace("recipients = []", 'recipients = ["ops@example.com\\nBcc: spy@example.com"]'))
    applied = ecom_cli("integration", "apply", str(exported))
    assert applied.exit_code == 3 and "notify.recipients" in applied.stderr
    with shop.session() as session:
        assert integrations.load_settings(session, shop.integration(session)).notify.recipients == []


def store_recipients_unchecked(shop, recipients: list[str]) -> None:
    """Recipients saved by an ecom that did not check them: straight into the settings column."""
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        integration.settings = {**integration.settings, "notify": {"recipients": recipients}}
        session.add(integration)


def test_a_bad_recipient_stored_before_is_left_out_with_a_warning_and_the_others_get_the_report(shop, inbox):
    handler, port = inbox
    use_mail(shop, port, [])
    store_recipients_unchecked(shop, [SMUGGLER, "owner@shop.test"])
    shop.fake.seed(orders=3, seed=23)
    job = shop.sync()
    assert job.status is m.JobStatus.SUCCEEDED
    (rcpts, message), = handler.messages
    assert rcpts == ["owner@shop.test"] and message["To"] == "owner@shop.test" and message["Bcc"] is None
    with shop.session() as session:
        warnings = session.exec(select(m.JobEvent.message).where(m.JobEvent.job_id == job.id, m.JobEvent.phase == "email")).all()
    assert warnings == [f"the report was not emailed to {SMUGGLER!r}: it contains a line break or another control character (fix notify.recipients)"]


def test_a_mail_failure_of_any_kind_is_a_warning_and_sync_and_worker_go_on(live_shop, ecom_cli):
    shop = live_shop
    with shop.db.session() as session:  # a from-address no SMTP message can carry
        session.add(m.MailSettings(host="127.0.0.1", port=1, security="none", from_address="ecom@shop.test\r\nBcc: spy@x.test"))
    store_recipients_unchecked(shop, ["ops@shop.test"])
    shop.fake.seed(orders=3, seed=24)
    synced = ecom_cli("sync", "shop")
    assert synced.exit_code == 0, synced.output
    with shop.session() as session:
        lifecycle.create_job(session, shop.integration(session), trigger=m.JobTrigger.MANUAL, options={})
    worked = ecom_cli("worker", "--once")
    assert worked.exit_code == 0, worked.output
    with shop.session() as session:
        jobs = session.exec(select(m.Job).order_by(m.Job.id)).all()
        warnings = session.exec(select(m.JobEvent.job_id, m.JobEvent.message).where(m.JobEvent.phase == "email")).all()
    assert [j.status for j in jobs] == [m.JobStatus.SUCCEEDED] * 2
    assert sorted(job_id for job_id, _ in warnings) == [jobs[0].id, jobs[1].id]
    assert all("could not be emailed via 127.0.0.1:1: ValueError" in message for _, message in warnings)
