"""Speed and memory of ``ecom import items`` on a large CSV file, good and bad.

Generates an items file of N rows (about 118 bytes a row: 426,000 rows make the 50 MB file of
issue 18), then imports it into a fresh back office through ``import_file`` (what ``ecom import``
runs), on SQLite and, when one answers, on PostgreSQL. Then the same number of bad rows (every
price is "abc"): that import must refuse the file, print only the first errors and count the rest.
Each import runs in its own process, so the peak RSS printed (resource.getrusage) is that import's.

    python bench/csv_import.py [N ...]          # default: 10000 100000 426000

Target (issue 18.12): memory flat as N grows; the bad file's error at most a few dozen lines.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

POSTGRES = os.environ.get("ECOM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
HEADER = "sku,name,description,type,price,weight,taxable,active\n"


def write_file(path: Path, rows: int, *, bad: bool) -> int:
    """An items file of ``rows`` rows; every price "abc" when ``bad``. Returns its size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            price = "abc" if bad else f"{n % 997}.{n % 100:02d}"
            out.write(f"SKU-{n:08d},Widget number {n},A plain widget for the benchmark; row {n} of the file,inventory,"
                      f"{price},0.{n % 9 + 1},yes,yes\n")  # fmt: skip
    return path.stat().st_size


def run_import(backend: str, path: str, result) -> None:  # type: ignore[no-untyped-def]
    from ecom import db
    from ecom.errors import ConfigError
    from ecom.importer import import_file

    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            db_url = f"sqlite:///{folder}/bench.db"
        else:
            name = f"ecom_bench_csv_{os.getpid()}"
            admin = sa.create_engine(db.database_url(POSTGRES), isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.exec_driver_sql(f"CREATE DATABASE {name}")
            db_url = db.database_url(POSTGRES).rsplit("/", 1)[0] + f"/{name}"
        try:
            db.init(db_url)
            start = time.perf_counter()
            try:
                outcome = f"{import_file('items', path, db_url).created} created"
            except ConfigError as exc:
                lines = str(exc).splitlines()
                outcome = f"refused, {len(lines)} lines: {lines[-1].strip()[:60]}"
            seconds = time.perf_counter() - start
        finally:
            if backend == "postgresql":
                with admin.connect() as c:
                    c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                admin.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.send((seconds, peak_mb, outcome))


def postgres_available() -> bool:
    try:
        from ecom import db

        with sa.create_engine(db.database_url(POSTGRES), connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:  # noqa: BLE001
        return False


def main(sizes: list[int]) -> None:
    backends = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    print(f"{'backend':<11}{'file':<5}{'rows':>8}{'MB':>6}{'seconds':>9}{'rows/s':>9}{'peak RSS MB':>13}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            for bad in (False, True):
                path = Path(folder) / f"items-{n}-{'bad' if bad else 'good'}.csv"
                size = write_file(path, n, bad=bad)
                for backend in backends:
                    recv, send = multiprocessing.Pipe(duplex=False)
                    proc = multiprocessing.Process(target=run_import, args=(backend, str(path), send))
                    proc.start()
                    seconds, peak, outcome = recv.recv()
                    proc.join()
                    kind = "bad" if bad else "good"
                    print(f"{backend:<11}{kind:<5}{n:>8}{size / 1e6:>6.1f}{seconds:>9.2f}{n / seconds:>9.0f}{peak:>13.0f}  {outcome}", flush=True)
                path.unlink()
    if "postgresql" not in backends:
        print("(PostgreSQL not reachable: skipped)")


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main([int(a) for a in sys.argv[1:]] or [10000, 100000, 426000])
