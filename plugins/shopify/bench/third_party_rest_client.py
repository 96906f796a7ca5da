"""Read the fake Shopify's orders with a third-party client, ``airbyte-source-shopify``, over REST.

    python plugins/shopify/bench/third_party_rest_client.py --orders 300

The connector pins dependencies that clash with ecom's, so it lives in its own virtual
environment in a cache folder (``$XDG_CACHE_HOME/ecom-bench/airbyte-source-shopify``, made on the
first run with ``pip install airbyte-source-shopify``; ``--rebuild`` makes it again). The fake is
served on a loopback port; the connector's ``read`` of its ``orders`` stream runs in that
environment with one change: its HTTP adapter sends ``https://<shop>.myshopify.com`` requests to the
fake's loopback URL instead (the connector has the host written in). The script prints the orders
read against the orders seeded, and the requests the fake answered by path and status (from the
fake's ``--log``-style request log), and exits 1 when the numbers differ.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from ecom_shopify.fake import ShopifyFake

PACKAGE = "airbyte-source-shopify"

#: Run inside the connector's environment: argv = fake URL, config file, catalog file.
RUNNER = r"""
import re, sys
from requests.adapters import HTTPAdapter
target = sys.argv[1]
send = HTTPAdapter.send
def to_fake(self, request, **kwargs):
    request.url = re.sub(r"^https://[^/]+\.myshopify\.com", target, request.url)
    return send(self, request, **kwargs)
HTTPAdapter.send = to_fake
from source_shopify.run import run
sys.argv = ["source-shopify", "read", "--config", sys.argv[2], "--catalog", sys.argv[3]]
run()
"""


def environment(rebuild: bool) -> Path:
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ecom-bench" / PACKAGE
    python = home / "bin" / "python"
    if rebuild or not python.exists():
        print(f"building {PACKAGE} in {home} (first run: a few minutes)", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(home)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PACKAGE], check=True)
    return python


def catalog() -> dict:
    stream = {"name": "orders", "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]}
    return {"streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="orders to seed (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rebuild", action="store_true", help=f"make the {PACKAGE} environment again")
    args = parser.parse_args(argv)
    python = environment(args.rebuild)
    fake = ShopifyFake()
    fake.seed(orders=args.orders, seed=args.seed)
    with tempfile.TemporaryDirectory() as folder, fake.serve() as url:
        config, cat = Path(folder, "config.json"), Path(folder, "catalog.json")
        config.write_text(json.dumps({"shop": "ecom-demo", "start_date": "2020-01-01",
                                      "credentials": {"auth_method": "api_password", "api_password": fake.token}}))
        cat.write_text(json.dumps(catalog()))
        run = subprocess.run([str(python), "-c", RUNNER, url, str(config), str(cat)], capture_output=True, text=True, timeout=900)
    ids, problems = set(), []
    for line in run.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("type") == "RECORD" and message["record"]["stream"] == "orders":
            ids.add(message["record"]["data"]["id"])
        elif message.get("type") == "TRACE" and message.get("trace", {}).get("type") == "ERROR":
            problems.append(message["trace"]["error"].get("message"))
        elif message.get("type") == "LOG" and message["log"]["level"] in ("ERROR", "FATAL"):
            problems.append(message["log"]["message"][:300])
    seeded = {int(o["legacyResourceId"]) for o in fake.store.all("Order")}
    answered = collections.Counter(f"{r.method} {r.path} {r.status}" for r in fake.requests)
    print(f"{PACKAGE}: read {len(ids)} orders of {len(seeded)} seeded; {len(ids - seeded)} unknown, {len(seeded - ids)} missed")
    for what, n in sorted(answered.items()):
        print(f"  {n:5d}  {what}")
    for problem in problems[:5]:
        print(f"  connector error: {problem}")
    if run.returncode:
        print(f"  connector exit status {run.returncode}; its stderr ends: {run.stderr[-500:]}")
    return 0 if ids == seeded and not run.returncode else 1


if __name__ == "__main__":
    sys.exit(main())
