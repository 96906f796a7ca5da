"""``ecom demo``: every installed driver against its own fake store, in a throwaway back office.

For each driver: its fake cart is seeded with realistic orders and products and served on a
loopback port; a back office is filled with matching items (and an assembly), stock, lists and
mappings; an integration is added, its connection tested, and a full sync job run. What it did is
summed up per cart. Nothing outside the demo's folder is touched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from ecom import db, integrations
from ecom import models as m
from ecom.errors import EcomError
from ecom.jobs import lifecycle
from ecom.jobs.log import Progress
from ecom.jobs.report import job_report
from ecom.jobs.runner import run_job
from ecom.plugins import Driver, drivers
from ecom.sample import sample_settings, seed_back_office, untracked_skus

ORDERS, PRODUCTS = 60, 12


@dataclass
class CartResult:
    kind: str
    title: str
    connection: str = ""
    report: dict[str, Any] | None = None
    customers: int = 0
    problem: str | None = None


@contextlib.contextmanager
def demo_environment(folder: Path) -> Iterator[str]:
    """Point ecom at ``folder/ecom.db`` for the block's duration, with its key file beside it
    (``ecom.db.key``, the default place), so ``ecom --db FOLDER/ecom.db`` opens it afterwards."""
    url = f"sqlite:///{folder / 'ecom.db'}"
    saved = {k: os.environ.get(k) for k in ("ECOM_DATABASE_URL", "ECOM_SECRET_KEY_FILE", "ECOM_SECRET_KEY")}
    os.environ["ECOM_DATABASE_URL"] = url
    os.environ.pop("ECOM_SECRET_KEY_FILE", None)
    os.environ.pop("ECOM_SECRET_KEY", None)
    try:
        yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_demo(folder: Path, *, progress: Callable[[str], Progress | None] = lambda kind: None) -> list[CartResult]:
    """Run the demo in ``folder``; returns one result per installed driver (empty: none installed)."""
    installed = drivers()
    if not installed:
        return []
    with demo_environment(folder) as url:
        db.init(url)
        engine = db.open_engine(url)
        try:
            return [_run_cart(engine, driver, progress(kind)) for kind, driver in sorted(installed.items())]
        finally:
            engine.dispose()


def _run_cart(engine: Any, driver: Driver, progress: Progress | None) -> CartResult:
    result = CartResult(kind=driver.kind, title=driver.info.title)
    if not driver.implements("fake_cart"):
        result.problem = "this driver ships no fake store to demonstrate against"
        return result
    fake = driver.fake()
    fake.seed(orders=ORDERS, products=PRODUCTS, seed=2026)
    with fake.serve() as url:
        connection = fake.connection(url)
        try:
            with Session(engine, expire_on_commit=False) as session:
                customers_before = session.exec(select(func.count()).select_from(m.Customer)).one()
                seed_back_office(session, fake.skus(), untracked_skus(fake))
                integration = integrations.create(
                    session, f"demo-{driver.kind}", driver.kind, website_name=connection.website_name,
                    api_url=connection.api_url, username=connection.username,
                    password=connection.password.get_secret_value(),
                    settings=sample_settings().model_copy(update={"general": _general(connection.options)}),
                )
                integrations.activate(session, integration)
                report = driver.call(
                    "test_connection", connection=integrations.connection(integration),
                    operations=integrations.enabled_operations(integrations.load_settings(session, integration)),
                )
                integrations.record_test(integration, report)
                session.commit()
                result.connection = report.message
                job = lifecycle.create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={})
            run_job(engine, job.id, progress=progress)
            with Session(engine) as session:
                result.report = job_report(session, session.get(m.Job, job.id), first=5)
                result.customers = session.exec(select(func.count()).select_from(m.Customer)).one() - customers_before
        except EcomError as exc:
            result.problem = str(exc)
    return result


def _general(options: dict[str, Any]) -> Any:
    general = sample_settings().general
    return general.model_copy(update={"driver_options": dict(options)})
