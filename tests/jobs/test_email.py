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
