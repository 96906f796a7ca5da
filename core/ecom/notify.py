"""The end-of-job email: counts per phase, errors and warnings, a link to all of them.

Sent over SMTP (``ecom mail set``: host, port, STARTTLS / SSL / none, user, password kept
encrypted, from-address) to the integration's recipients (``notify.recipients``), as text and
HTML from the jinja2 templates beside this module. A mail that cannot be sent is a warning on the
job, never a failure of it, whatever went wrong (a refused connection, a bad address, a template
error); a recipient that is not one bare address is left out with a warning.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from ecom import models as m
from ecom import secrets
from ecom.errors import EcomError
from ecom.jobs.log import COUNTS
from ecom.jobs.report import job_report
from ecom.settings import mail_address_problem

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
    """Email ``job``'s report; True when sent. A failure of any kind becomes a warning on the job.

    Each recipient is checked again (:func:`ecom.settings.mail_address_problem`): one saved before
    addresses were checked is left out with a warning, and the others still get the report.
    """
    usable = []
    for recipient in recipients:
        problem = mail_address_problem(recipient)
        if problem:
            _warn(session, job, f"the report was not emailed to {recipient!r}: {problem} (fix notify.recipients)")
        else:
            usable.append(recipient)
    if not usable:
        return False
    settings = mail_settings(session)
    if settings is None:
        _warn(session, job, "the report was not emailed: no mail settings (`ecom mail set`)")
        return False
    try:
        subject, text, html = render(job_report(session, job))
        send(settings, usable, subject, text, html)
    except (OSError, smtplib.SMTPException, EcomError) as exc:
        _warn(session, job, f"the report could not be emailed via {settings.host}:{settings.port}: {exc}")
        return False
    except SQLAlchemyError:
        raise  # the database, not the mail: the job's own error handling says so
    except Exception as exc:  # noqa: BLE001 - a mail failure of any kind must not fail the job or stop the worker
        _warn(session, job, f"the report could not be emailed via {settings.host}:{settings.port}: {type(exc).__name__}: {exc}")
        return False
    return True


def _warn(session: Session, job: m.Job, message: str) -> None:
    session.add(m.JobEvent(job_id=job.id, level=m.EventLevel.WARNING, phase="email", message=message))
    session.commit()
