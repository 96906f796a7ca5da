"""Run a third-party Shopify client, ``tap-shopify`` (Singer, PyPI), against the fake and count the
orders it reads: a client nobody here wrote, with pins that conflict with ours, so it gets a
virtual environment of its own.

    python plugins/shopify/bench/third_party_clients.py [--orders 60] [--cache DIR]

The environment is built once under ``--cache`` (default: ``$XDG_CACHE_HOME/ecom-bench`` or
``~/.cache/ecom-bench``) with the pinned tap version. The fake is served on a loopback port from this
process. tap-shopify always calls ``https://<shop>.myshopify.com`` (through the Shopify library and,
for bulk orders, through ``requests``); a ``sitecustomize`` module in that environment points both at
the fake instead (only the host changes: paths, API version, token and queries are the tap's own). Not part of the test suite: it installs
packages from the package index. Exits 1 when the tap reads other than the seeded orders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from ecom_shopify.fake import ShopifyFake

TAP = "tap-shopify==3.13.0"
REDIRECT = '''
import os
FAKE = os.environ.get("ECOM_FAKE_SHOPIFY_URL")
if FAKE:
    import shopify
    _activate = shopify.ShopifyResource.activate_session.__func__

    def activate_session(cls, session):
        _activate(cls, session)
        cls.site = FAKE + "/admin/api/" + session.version.name

    shopify.ShopifyResource.activate_session = classmethod(activate_session)

    import requests.sessions
    _request = requests.sessions.Session.request

    def request(self, method, url, *args, **kwargs):  # requests passes url= by name
        if isinstance(url, str) and url.startswith("https://ecom-demo.myshopify.com/"):
            url = FAKE + url[len("https://ecom-demo.myshopify.com"):]
        return _request(self, method, url, *args, **kwargs)

    requests.sessions.Session.request = request
'''


def environment(cache: Path) -> Path:
    """The tap's virtual environment (built when missing); returns its python."""
    home = cache / ("tap-shopify-" + TAP.split("==")[1])
    python = home / "bin" / "python"
    if not python.exists():
        print(f"building {home} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(home)
        subprocess.run([python, "-m", "pip", "install", "-q", TAP], check=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "sitecustomize.py").write_text(REDIRECT, encoding="utf-8")
    return python


def prepare_tap(python: Path, url: str, token: str, work: Path, *, fields: set[str] | None = None,
                **config: object) -> tuple[list[str], dict[str, str]]:
    """Discover the tap's catalog, select its ``orders`` stream (with ``fields`` of an order at the
    top level, else the tap's automatic ones only) and write config and catalog to ``work``;
    returns the command and environment that run the extraction (records on stdout)."""
    settings = {"shop": "ecom-demo", "access_token": token, "start_date": "2000-01-01T00:00:00Z", "results_per_page": 50}
    (work / "config.json").write_text(json.dumps({**settings, **config}), encoding="utf-8")
    env = {**os.environ, "ECOM_FAKE_SHOPIFY_URL": url}
    tap = [str(python.with_name("tap-shopify")), "--config", str(work / "config.json")]
    found = subprocess.run([*tap, "--discover"], capture_output=True, text=True, env=env)
    if found.returncode:
        print(found.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"tap-shopify --discover exited {found.returncode}")
    catalog = json.loads(found.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] == "orders"
            elif stream["tap_stream_id"] == "orders" and fields is not None and entry["breadcrumb"][-1] in fields:
                entry["metadata"]["selected"] = True
    (work / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    return [*tap, "--catalog", str(work / "catalog.json")], env


def run_tap(python: Path, url: str, token: str, work: Path) -> list[dict]:
    command, env = prepare_tap(python, url, token, work)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"tap-shopify exited {done.returncode}")
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [m["record"] for m in messages if m.get("type") == "RECORD" and m.get("stream") == "orders"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=60)
    default_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecom-bench"
    parser.add_argument("--cache", type=Path, default=default_cache)
    args = parser.parse_args()
    python = environment(args.cache)
    fake = ShopifyFake()
    fake.seed(orders=args.orders, seed=12)
    seeded = {o["legacyResourceId"] for o in fake.store.all("Order")}
    with fake.serve() as url, tempfile.TemporaryDirectory(prefix="ecom-tap-") as work:
        records = run_tap(python, url, fake.token, Path(work))
    read = {str(r.get("id")) for r in records}
    versions = sorted({r.path.split("/")[3] for r in fake.requests if r.path.startswith("/admin/api/")})
    print(f"{TAP}: read {len(records)} order records ({len(read)} distinct) of {len(seeded)} seeded; "
          f"API versions asked: {', '.join(versions)}; requests: {len(fake.requests)}")
    return 0 if read == seeded and len(records) == len(seeded) else 1


if __name__ == "__main__":
    raise SystemExit(main())
