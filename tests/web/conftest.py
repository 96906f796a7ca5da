"""A running web admin (uvicorn on a loopback port) over a SQLite back office, a user, and a
Test Cart fake served on another loopback port: one for the whole module, as a browser would meet it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[web]'")
import uvicorn  # noqa: E402
from sqlmodel import Session  # noqa: E402

from ecom import db, plugins, users  # noqa: E402
from ecom.sample import seed_back_office, untracked_skus  # noqa: E402
from ecom.testing import testcart  # noqa: E402
from ecom.testing.testcart_fake import FakeTestCart  # noqa: E402

USER, PASSWORD = "dana", "correct horse battery"


@dataclass
class Admin:
    url: str
    cart_url: str
    fake: FakeTestCart
    database_url: str
    app: object

    def session(self) -> Session:
        return Session(db.make_engine(self.database_url, pooled=False), expire_on_commit=False)


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    from ecom.web.app import create_app

    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'ecom.db'}"
    saved = {k: os.environ.get(k) for k in ("ECOM_DATABASE_URL", "ECOM_SECRET_KEY_FILE", "ECOM_BASE_URL")}
    os.environ.update(ECOM_DATABASE_URL=url, ECOM_SECRET_KEY_FILE=str(folder / "secret.key"))
    manager = plugins.make_manager(load_entrypoints=False)
    manager.pm.register(testcart, name="testcart")
    previous = plugins.set_manager(manager)
    fake = FakeTestCart()
    fake.seed(orders=0, products=12, seed=7)
    try:
        db.init(url)
        engine = db.make_engine(url)
        with Session(engine) as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
            users.add(session, USER, PASSWORD)
        engine.dispose()
        app = create_app(database_url=url)
        with serving(app) as base_url, fake.serve() as cart_url:
            os.environ["ECOM_BASE_URL"] = base_url
            yield Admin(base_url, cart_url, fake, url, app)
    finally:
        plugins.set_manager(previous)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port (its base URL), stopped after."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="ecom-web", daemon=True)
    thread.start()
    started = threading.Event()
    while not server.started and thread.is_alive():
        started.wait(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        for job_thread in getattr(app.state, "job_threads", []):
            job_thread.join(30)
        app.state.engine.dispose()


def screenshots_dir() -> Path | None:
    """docs/screenshots when ECOM_SCREENSHOTS=1 (so the suite does not rewrite them), else None."""
    if os.environ.get("ECOM_SCREENSHOTS") != "1":
        return None
    path = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
