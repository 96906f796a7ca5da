"""What can go wrong, classed by what the engine must do about it.

Every error ecom raises on purpose is an :class:`EcomError`. The class tells the engine what to do
(show and stop, retry later, stop the job, note the record and go on); the message tells a tired
admin what happened, in words, and never contains a secret. The CLI turns these into one line and
the exit code below, in one place (``ecom.cli``).

::

    EcomError              exit 1
    ├─ ConfigError         exit 3   bad settings or usage: shown, nothing runs
    ├─ DriverError         exit 4   the cart could not do what was asked
    │  ├─ RetryableError            429 / 5xx / timeouts: retry with backoff, watermark stays
    │  └─ FatalError                stop the job and report
    │     ├─ AuthError              401 / 403: the credentials are wrong or lack a permission
    │     └─ RejectedError          the cart refused one request (4xx) and said why
    ├─ DatabaseUnavailableError  exit 4   the back-office database stopped answering mid-work
    ├─ RecordError         exit 5   one bad record: kept on the job, the job goes on
    └─ MappingError        exit 5   unmapped SKU / ship method / tax / payment, kept on the job
"""

from __future__ import annotations


class EcomError(Exception):
    """Base of every error ecom raises on purpose."""

    exit_code = 1


class ConfigError(EcomError):
    """Bad settings or usage. Shown to the user; nothing runs."""

    exit_code = 3


class DriverError(EcomError):
    """A cart driver could not do what was asked.

    :param message: what happened, in the cart's own words where it gave any.
    :param status: the HTTP status, when there was a response.
    """

    exit_code = 4

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class RetryableError(DriverError):
    """Worth trying again later (rate limit, server error, timeout). The watermark does not move."""


class FatalError(DriverError):
    """Trying again will not help; the job stops and reports this."""


class AuthError(FatalError):
    """The cart refused the credentials (401) or they lack a permission (403)."""


class RejectedError(FatalError):
    """The cart refused one request (a 4xx other than 401/403, or a user error in the body).

    Drivers catch it to turn it into one record's failure; uncaught, it stops the job.
    """


class RecordError(EcomError):
    """One record is bad. It is kept on the job as an error and the job goes on with the others.

    :param ref: which record, as the merchant knows it (order number, SKU).
    """

    exit_code = 5

    def __init__(self, message: str, *, ref: str | None = None):
        super().__init__(message)
        self.ref = ref

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.ref}: {text}" if self.ref else text


class MappingError(RecordError):
    """A record names something the mappings do not cover (SKU, ship method, tax, payment)."""


class DatabaseUnavailableError(EcomError):
    """The back-office database stopped answering (server down, connection cut, disk full).

    Not a bug and not the cart's fault: said in one line; the job is marked failed if the
    database can still be reached, else the next run takes it over (see ``docs/jobs.md``).
    """

    exit_code = 4
