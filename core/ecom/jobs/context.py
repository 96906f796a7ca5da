"""Everything a phase of a running job needs, in one object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ecom import models as m
from ecom.jobs.log import JobLog
from ecom.plugins import Driver
from ecom.records import Connection
from ecom.settings import IntegrationSettings


@dataclass
class JobRun:
    session: Session
    job: m.Job
    integration: m.Integration
    settings: IntegrationSettings
    driver: Driver
    connection: Connection
    log: JobLog
    full: bool = False
    batch_size: int = 100

    @property
    def retry_of(self) -> int | None:
        """The job whose failed records this one runs again (``ecom jobs retry``), if any."""
        return self.job.options.get("retry_of")

    @property
    def integration_id(self) -> int:
        assert self.integration.id is not None
        return self.integration.id
