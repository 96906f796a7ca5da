"""Test Connection: ask an integration's cart whether it answers and accepts the credentials.

``ecom integration test`` and the web admin's Test Connection button both call
:func:`check_connection`, so both say the same words; a success is recorded on the integration
(its schedule starts from it). The connection's secrets never reach a message (:func:`redact`).
"""

from __future__ import annotations

from sqlmodel import Session

from ecom import integrations
from ecom import models as m
from ecom.errors import AuthError, DriverError, FatalError, RejectedError, RetryableError
from ecom.records import ConnectionReport


def check_connection(session: Session, integration: m.Integration) -> ConnectionReport:
    """The cart's report, with every secret of the connection masked, recorded on ``integration``
    (commit the session to keep it); a failure is raised as the driver's error class, its words
    starting ``Test Connection of 'NAME' failed:`` and saying what kind of failure it was."""
    from ecom.plugins import get_driver  # late: the plugin manager loads entry points

    settings = integrations.load_settings(session, integration)
    driver = get_driver(integration.cart_kind)
    connection = integrations.connection(integration)
    name = integration.name
    try:
        report = driver.call("test_connection", connection=connection, operations=integrations.enabled_operations(settings))
    except DriverError as exc:
        words = redact(str(exc), connection.secrets)
        family = next(c for c in (AuthError, RejectedError, RetryableError, FatalError, DriverError) if isinstance(exc, c))
        raise family(f"Test Connection of {name!r} failed: {failure_words(exc)}: {words}", status=exc.status) from None
    if not isinstance(report, ConnectionReport):
        raise DriverError(f"Test Connection of {name!r}: the {driver.info.title} driver gave no answer.")
    hide = connection.secrets
    report = ConnectionReport(
        message=redact(report.message, hide),
        details={k: redact(v, hide) for k, v in report.details.items()},
        warnings=[redact(w, hide) for w in report.warnings],
    )
    integrations.record_test(integration, report)
    return report


def report_lines(report: ConnectionReport, indent: str = "  ") -> list[str]:
    """A successful test in words: the cart's message, its details, then its warnings."""
    return [
        f"Connection OK: {report.message}",
        *(f"{indent}{k}: {v}" for k, v in report.details.items()),
        *(f"Warning: {w}" for w in report.warnings),
    ]


def failure_words(exc: DriverError) -> str:
    """What kind of failure a driver error is, in words, with its HTTP status when there is one."""
    status = f" (HTTP {exc.status})" if exc.status else ""
    if isinstance(exc, AuthError):
        return f"the cart refused the credentials{status}"
    if isinstance(exc, RetryableError):
        return f"the cart could not be reached or kept failing{status}; try again later"
    return f"the cart answered with an error{status}"


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each of ``secrets`` replaced by ``****``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return text
