"""A back office, a Test Cart integration and its fake, ready for sync jobs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from ecom import integrations
from ecom import models as m
from ecom.jobs import lifecycle
from ecom.jobs.runner import run_job
from ecom.sample import sample_settings, seed_back_office, untracked_skus
from ecom.testing import testcart
from ecom.testing.testcart_fake import FakeTestCart


@dataclass
class Shop:
    """One integration against one fake Test Cart."""

    db: Any
    fake: FakeTestCart
    name: str = "shop"

    def session(self) -> Session:
        return Session(self.db.engine, expire_on_commit=False)

    def integration(self, session: Session) -> m.Integration:
        return integrations.get(session, self.name)

    def sync(self, **options: Any) -> m.Job:
        with self.session() as session:
            job = lifecycle.create_job(session, self.integration(session), trigger=m.JobTrigger.MANUAL, options=options)
        return run_job(self.db.engine, job.id, transport=self.fake.transport())

    def count(self, model: type) -> int:
        from sqlalchemy import func
        from sqlmodel import select

        with self.session() as session:
            return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def shop(ecom_db, ecom_plugins, tmp_path, monkeypatch) -> Shop:
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    ecom_plugins.register(testcart, name="testcart")
    return make_shop(ecom_db)


def make_shop(ecom_db: Any) -> Shop:
    """The integration 'shop' in ``ecom_db`` (an :class:`~ecom.testing.database.EcomDatabase`)."""
    fake = FakeTestCart()
    fake.seed(orders=0, products=12, seed=7)
    conn = fake.connection("https://testcart.example")
    with ecom_db.session() as session:
        seed_back_office(session, fake.skus(), untracked_skus(fake))
        integration = integrations.create(
            session, "shop", "testcart", website_name=conn.website_name, api_url=conn.api_url,
            password=conn.password.get_secret_value(), settings=sample_settings(),
        )
        integrations.activate(session, integration)
    return Shop(ecom_db, fake)


@pytest.fixture
def live_shop(shop) -> Iterator[Shop]:
    """``shop`` with its fake cart served on a loopback port, for ``ecom`` commands run by tests."""
    with shop.fake.serve() as url, shop.db.session() as session:
        integrations.update_connection(session, integrations.get(session, shop.name), api_url=url)
        session.commit()
        yield shop
