"""ecom's full import against a bare extractor, ``tap-shopify``, on one fake Shopify and the same orders.

    python plugins/shopify/bench/side_by_side.py [--orders 10000] [--runs 3] [--cache DIR]

One fake Shopify, seeded once with ``--orders`` orders, is served from a process of its own (so
the fake's work runs beside the clients', as Shopify's would) with throttling off. Each round
runs, one after the other so they meet the same load:

- ``tap-shopify`` 3.13.0 (Singer), extracting orders with their line items to a file: the same
  order fields at the top level as ecom's bulk query asks for (the tap's own sub-fields), one date
  window, so it reads everything with one bulk operation as ecom does. Its virtual environment is
  built once under ``--cache`` (:mod:`third_party_clients`, which also points it at the fake);
- ``ecom sync NAME --phase import_orders`` into a fresh back office on SQLite: read, map and
  write every order (customers, sales orders, lines, bindings);
- the same on PostgreSQL, when one answers at ``ECOM_TEST_POSTGRES_URL`` (default the local one).

Each is a process of its own, timed from start to exit; printed: the median wall time of the
runs, ecom's over the tap's (targets: at most 1.0 on SQLite, 1.3 on PostgreSQL), the calls the
fake answered for one run and the process's peak RSS. Not part of the test suite: it installs
the tap from the package index on its first run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from graphql import FieldNode, parse

sys.path.insert(0, str(Path(__file__).parent))
from third_party_clients import environment, prepare_tap  # noqa: E402

POSTGRES = os.environ.get("ECOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def serve_fake(orders: int, pipe) -> None:  # type: ignore[no-untyped-def]
    """The fake shop, in its own process: answers "calls" (requests so far) and "forget" (drop
    the bulk result files served so far) until "stop"."""
    from ecom.sample import untracked_skus
    from ecom_shopify.fake import ShopifyFake

    fake = ShopifyFake(bucket=10**12, restore_rate=10**12)
    fake.seed(orders=orders, products=60, seed=13)
    in_the_past(fake.store.all("Order"))
    with fake.serve() as url:
        pipe.send((url, fake.token, fake.skus(), sorted(untracked_skus(fake)), fake.connection(url).options))
        while (command := pipe.recv()) != "stop":
            if command == "forget":
                fake._files.clear()  # noqa: SLF001 - the bench's own fake: each run's file is never read again
            pipe.send(len(fake.requests))


def in_the_past(orders: list[dict]) -> None:  # type: ignore[type-arg]
    """Move every order's dates back by the same amount, so the newest is a day old: the seed puts
    an order every 3 hours from March 2026 (10,000 reach into 2029), and tap-shopify reads only
    orders updated before its own clock's now."""
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    shift = max(parse(o["updatedAt"]) for o in orders) - (datetime.now(UTC) - timedelta(days=1))
    if shift <= timedelta(0):
        return
    for order in orders:
        for key, value in order.items():
            if key.endswith("At") and isinstance(value, str) and value[:2] == "20":
                order[key] = (parse(value) - shift).strftime("%Y-%m-%dT%H:%M:%SZ")


def ecom_fields() -> set[str]:
    """The order fields ecom's bulk query asks for at the top level, by the tap's names."""
    from ecom_shopify import queries

    document = parse(queries.bulk_orders_query(None))
    node = document.definitions[0].selection_set.selections[0]  # orders
    for name in ("edges", "node"):
        node = next(s for s in node.selection_set.selections if isinstance(s, FieldNode) and s.name.value == name)
    fields = {s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)}
    return fields | ({"shippingLine"} if "shippingLines" in fields else set())  # the tap has the first one only


def timed(command: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int]:
    """Run ``command`` with stdout to ``out``: wall seconds, peak RSS in MB, exit status."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 5):  # 5: ecom finished with errors on some records (the seed has some)
        print(proc.stderr.read().decode()[-3000:] if proc.stderr else "", file=sys.stderr)
        raise SystemExit(f"{command[0]} exited {proc.returncode}")
    proc.stderr.close() if proc.stderr else None
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def postgres_available() -> bool:
    from ecom import db

    try:
        with sa.create_engine(db.database_url(POSTGRES), connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:  # noqa: BLE001
        return False


class EcomRun:
    """A fresh back office with the shop's integration, on one back end, for one ``ecom sync``."""

    def __init__(self, backend: str, work: Path, shop: tuple) -> None:  # type: ignore[type-arg]
        self.backend, self.work, self.shop = backend, work, shop

    def __enter__(self) -> tuple[list[str], dict[str, str]]:
        from sqlmodel import Session

        from ecom import db, integrations
        from ecom.sample import sample_settings, seed_back_office

        url, token, skus, untracked, options = self.shop
        key = self.work / "key"
        os.environ["ECOM_SECRET_KEY_FILE"] = str(key)
        if self.backend == "sqlite":
            (self.work / "bench.db").unlink(missing_ok=True)
            self.url = f"sqlite:///{self.work / 'bench.db'}"
        else:
            self.name = f"ecom_side_by_side_{os.getpid()}"
            self.admin = sa.create_engine(db.database_url(POSTGRES), isolation_level="AUTOCOMMIT")
            with self.admin.connect() as c:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
                c.exec_driver_sql(f"CREATE DATABASE {self.name}")
            self.url = db.database_url(POSTGRES).rsplit("/", 1)[0] + f"/{self.name}"
        db.init(self.url)
        engine = db.open_engine(self.url)
        general = sample_settings().general.model_copy(update={"driver_options": dict(options)})
        with Session(engine) as session:
            seed_back_office(session, skus, set(untracked))
            integration = integrations.create(session, "bench", "shopify", website_name="ecom-demo", api_url=url,
                                              password=token, settings=sample_settings().model_copy(update={"general": general}))
            integrations.activate(session, integration)
            session.commit()
        engine.dispose()
        ecom = Path(sys.executable).with_name("ecom")
        env = {**os.environ, "ECOM_DATABASE_URL": self.url, "ECOM_SECRET_KEY_FILE": str(key)}
        return [str(ecom), "sync", "bench", "--phase", "import_orders", "--json"], env

    def __exit__(self, *exc: object) -> None:
        if self.backend == "postgresql":
            with self.admin.connect() as c:
                c.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self.admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecom-bench"
    parser.add_argument("--cache", type=Path, default=default_cache)
    args = parser.parse_args()
    python = environment(args.cache)
    backends = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    here, there = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_fake, args=(args.orders, there), daemon=True)
    server.start()
    shop = here.recv()
    url, token = shop[0], shop[1]

    def calls() -> int:
        here.send("forget")
        return here.recv()

    results: dict[str, list[tuple[float, float, int]]] = {"tap-shopify": [], **{f"ecom {b}": [] for b in backends}}
    checks: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ecom-side-by-side-") as folder:
        work = Path(folder)
        tap, tap_env = prepare_tap(python, url, token, work, fields=ecom_fields(), date_window_size=365_000)
        for round_ in range(1, args.runs + 1):
            before = calls()
            seconds, peak, _ = timed(tap, tap_env, work / "tap.jsonl")
            results["tap-shopify"].append((seconds, peak, calls() - before))
            records = sum(1 for line in (work / "tap.jsonl").open() if '"type": "RECORD"' in line or '"type":"RECORD"' in line)
            checks["tap-shopify"] = f"{records} order records"
            for backend in backends:
                with EcomRun(backend, work, shop) as (command, env):
                    before = calls()
                    seconds, peak, _ = timed(command, env, work / "ecom.json")
                    results[f"ecom {backend}"].append((seconds, peak, calls() - before))
                counts = json.loads((work / "ecom.json").read_text())["counts"]["import_orders"]
                checks[f"ecom {backend}"] = ", ".join(f"{v} {k}" for k, v in counts.items())
            print(f"round {round_}: " + "  ".join(f"{name} {runs[-1][0]:.1f} s" for name, runs in results.items()), flush=True)
    here.send("stop")
    server.join()
    median: Callable[[str, int], float] = lambda name, i: statistics.median(r[i] for r in results[name])  # noqa: E731
    tap_seconds = median("tap-shopify", 0)
    print(f"\n{args.orders} orders, one fake Shopify (bulk operation, throttling off), median of {args.runs} runs, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'client':<18}{'wall s':>8}{'ecom/tap':>10}{'calls':>7}{'peak RSS MB':>13}  read")
    for name in results:
        ratio = f"{median(name, 0) / tap_seconds:.2f}" if name != "tap-shopify" else "-"
        print(f"{name:<18}{median(name, 0):>8.1f}{ratio:>10}{results[name][-1][2]:>7}{median(name, 1):>13.0f}  {checks[name]}")
    if "ecom postgresql" not in results:
        print("(PostgreSQL not reachable: skipped)")
    return 0


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    raise SystemExit(main())
