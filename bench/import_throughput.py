"""Import throughput and memory of a whole import-orders job (fetch + map + write).

For each N the Test Cart fake is seeded with N realistic orders and served on a loopback port by
a separate process (so the memory measured is ecom's alone, not the fake's copy of N orders);
then one sync job imports them into a fresh back office, on SQLite and, when one answers, on
PostgreSQL. Prints orders per second and the job process's peak RSS.

    python bench/import_throughput.py [--read-ahead 0,1] [--backend sqlite] [--latency S] [N ...]   # N: 1000 10000 100000

Targets (issue 13): map + write (ecom/s) at least 3,000 orders/s on SQLite and 2,000 on
PostgreSQL; peak RSS under 150 MB and flat from 1,000 to 100,000 orders. Wall rates move with
whatever else the machine runs; statements per order does not, and the job's CPU per order much
less. Each N runs in its own process, so one run's memory peak does not hide the next one's.

Each N runs twice by default (``--read-ahead 0,1``), one after the other so the two meet the same
load. Without read-ahead the job asks for each page when it wants it: "waiting" is all the
reading (the fake's work and the driver's parsing), so ecom/s is the map + write rate alone, and
"CPU ms" the job's own CPU per order. With pages read ahead of the writes
(``UnlockedDriver.read_ahead``, how jobs run) the reading overlaps the writing: orders/s is the
whole sync, and ecom/s and CPU ms are left out, since the reader thread's parsing shares the
process and its interpreter lock with the writing. ``--latency 0.2`` makes the fake wait that
long before each answer, as a cart across a network does.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

POSTGRES = os.environ.get("ECOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def serve_fake(orders: int, latency: float, ready, stop) -> None:  # type: ignore[no-untyped-def]
    from ecom.testing.testcart_fake import FakeTestCart

    fake = FakeTestCart(rate_limit=10**9)
    fake.latency = latency
    fake.seed(orders=orders, products=12, seed=1)
    with fake.serve() as url:
        ready.send((url, fake.token, fake.skus()))
        stop.wait()


def run_import(backend: str, orders: int, read_ahead: int, latency: float, result) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from ecom import db, integrations, plugins
    from ecom import models as m
    from ecom.jobs import lifecycle
    from ecom.jobs.runner import run_job
    from ecom.sample import sample_settings, seed_back_office
    from ecom.testing import testcart

    from ecom.jobs import context

    waited = [0.0, 0.0]  # wall seconds, CPU seconds
    unlocked_pages = context.UnlockedDriver._pages

    def timed_pages(self, pages):  # type: ignore[no-untyped-def]
        """Time spent waiting for the cart's pages (the fake's own work, not ecom's)."""
        inner = unlocked_pages(self, pages)
        while True:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                page = next(inner)
            except StopIteration:
                return
            finally:
                waited[0] += time.perf_counter() - start
                waited[1] += time.process_time() - cpu
            yield page

    context.UnlockedDriver._pages = timed_pages
    context.UnlockedDriver.read_ahead = read_ahead
    manager = plugins.make_manager(load_entrypoints=False)
    manager.pm.register(testcart, name="testcart")
    plugins.set_manager(manager)

    ready_recv, ready_send = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=serve_fake, args=(orders, latency, ready_send, stop), daemon=True)
    server.start()
    url, token, skus = ready_recv.recv()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["ECOM_SECRET_KEY_FILE"] = str(Path(folder) / "key")
        if backend == "sqlite":
            db_url = f"sqlite:///{folder}/bench.db"
        else:
            name = f"ecom_bench_{os.getpid()}"
            admin = sa.create_engine(db.database_url(POSTGRES), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.exec_driver_sql(f"CREATE DATABASE {name}")
            db_url = db.database_url(POSTGRES).rsplit("/", 1)[0] + f"/{name}"
        db.init(db_url)
        engine = db.open_engine(db_url)
        statements = [0]

        @sa.event.listens_for(engine, "before_cursor_execute")
        def count(*_args):  # type: ignore[no-untyped-def]
            statements[0] += 1

        with Session(engine, expire_on_commit=False) as session:
            seed_back_office(session, skus)
            integration = integrations.create(session, "bench", "testcart", api_url=url, password=token, settings=sample_settings())
            integrations.activate(session, integration)
            session.commit()
            job = lifecycle.create_job(session, integration, trigger=m.JobTrigger.MANUAL, options={"phases": ["import_orders"]})
        start, cpu = time.perf_counter(), time.process_time()
        job = run_job(engine, job.id)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        counts = job.counts["import_orders"]
        engine.dispose()
        if backend == "postgresql":
            with admin.connect() as c:
                c.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    stop.set()
    server.join()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.send((seconds, waited[0], cpu - waited[1], counts, peak_mb, job.status.value, statements[0]))


def postgres_available() -> bool:
    try:
        from ecom import db

        with sa.create_engine(db.database_url(POSTGRES), connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:  # noqa: BLE001
        return False


def main(sizes: list[int], read_ahead: list[int], backends: list[str], latency: float = 0.0) -> None:
    skipped = "postgresql" in backends and not postgres_available()
    if skipped:
        backends = [b for b in backends if b != "postgresql"]
    print("orders/s: orders read per second of the whole job. Without read-ahead (ahead 0): ecom/s, the same")
    print("without the time spent waiting for the cart's pages (the fake's work and the driver's parsing),")
    print("i.e. ecom's map + write rate; CPU ms, the job's own CPU time per order for it (less sensitive to")
    print("other load; on PostgreSQL the server's work is not in it). stmts/order: SQL statements the job sent")
    print("per order read (round trips; independent of the load).")
    print(f"{'backend':<11}{'orders':>8}{'ahead':>6}{'created':>9}{'seconds':>9}{'waiting':>9}{'orders/s':>10}{'ecom/s':>8}"
          f"{'CPU ms':>8}{'stmts/order':>13}{'peak RSS MB':>13}  status")
    for backend in backends:
        for n in sizes:
            for ahead in read_ahead:
                recv, send = multiprocessing.Pipe(duplex=False)
                proc = multiprocessing.Process(target=run_import, args=(backend, n, ahead, latency, send))
                proc.start()
                seconds, waited, cpu, counts, peak, status, statements = recv.recv()
                proc.join()
                fetched = counts["fetched"]
                rate = fetched / seconds
                own, per_order = (f"{fetched / (seconds - waited):.0f}", f"{cpu * 1000 / fetched:.3f}") if not ahead else ("-", "-")
                print(f"{backend:<11}{n:>8}{ahead:>6}{counts['created']:>9}{seconds:>9.2f}{waited:>9.2f}{rate:>10.0f}{own:>8}"
                      f"{per_order:>8}{statements / fetched:>13.2f}{peak:>13.0f}  {status}", flush=True)
    if skipped:
        print("(PostgreSQL not reachable: skipped)")


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--read-ahead", default="0,1",
                        help="pages read ahead: 0 measures map + write alone, 1 the whole sync as jobs run it (default: both)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"],
                        help="only this back end (repeatable; default: SQLite, and PostgreSQL when one answers)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the fake waits before each answer: a cart across a network, not on this machine")
    args = parser.parse_args()
    main(args.sizes, [int(a) for a in args.read_ahead.split(",")], args.backend or ["sqlite", "postgresql"], args.latency)
