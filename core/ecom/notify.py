"""The end-of-job email: counts per phase, errors and warnings, a link to all of them.

Sent over SMTP (``ecom mail set``: host, port, STARTTLS / SSL / none, user, password kept
encrypted, from-address) to the integration's recipients (``notify.recipients``), as text and
HTML from the jinja2 templates beside this module. A mail that cannot be sent is a warning on the
job, never a failure of it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session, select

from ecom import models as m
from ecom import secrets
from ecom.errors import EcomError
from ecom.jobs.log import COUNTS
from ecom.jobs.report import job_report

_templates = Environment(
    loader=PackageLoader("ecom", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    keep_trailing_newline=True,
)
TIMEOUT = 30


def render(report: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of the report email."""
    status = report["status"].replace("_", " ")
    subject = f"ecom: {report['integration']} sync job {report['id']} {status}"
    if report["error_count"]:
        subject += f", {report['error_count']} error(s)"
    text = _templates.get_template("job_report.txt.j2").render(r=report)
    html = _templates.get_template("job_report.html.j2").render(r=report, counts_keys=COUNTS)
    return subject, text, html


def mail_settings(session: Session) -> m.MailSettings | None:
    return session.exec(select(m.MailSettings).order_by(m.MailSettings.id)).first()


def send(settings: m.MailSettings, recipients: list[str], subject: str, text: str, html: str | None = None) -> None:
    """Send one email; raises OSError / smtplib.SMTPException when it cannot."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.from_address, ", ".join(recipients), subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    password = None
    if settings.password_encrypted:
        password = secrets.decrypt(settings.password_encrypted, what="the mail password", remedy="Set it again with `ecom mail set`.")
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username and password:
            smtp.login(settings.username, password)
        smtp.send_message(message)


def email_job_report(session: Session, job: m.Job, recipients: list[str]) -> bool:
    """Email ``job``'s report; True when sent. A failure becomes a warning on the job."""
    if not recipients:
        return False
    settings = mail_settings(session)
    if settings is None:
        _warn(session, job, "the report was not emailed: no mail settings (`ecom mail set`)")
        return False
    subject, text, html = render(job_report(session, job))
    try:
        send(settings, recipients, subject, text, html)
    except (OSError, smtplib.SMTPException, EcomError) as exc:
        _warn(session, job, f"the report could not be emailed via {settings.host}:{settings.port}: {exc}")
        return False
    return True


def _warn(session: Session, job: m.Job, message: str) -> None:
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.WARNING, phase="email", message=message))
    session.commit()
