"""The fake store's Link headers and command line: one value per query key, the seed's split told
in ``--help`` and at start, and ``--log FILE`` writing what a client did."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from ecom.http import OAuth1

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.__main__ import main, summary

from .test_fake import api


def next_link(response: httpx.Response) -> str:
    return next(part.split(";")[0].strip(" <>") for part in response.headers["Link"].split(",") if 'rel="next"' in part)


def test_a_link_keeps_one_value_per_query_key_however_often_the_client_repeats_it(fake):
    fake.seed(orders=60, seed=3)
    client = api(fake)
    url = "/orders?per_page=10&per_page=10&orderby=id&order=asc"
    pages = []
    for _ in range(4):  # a client that adds its own per_page to every link it follows, as a params dict does
        response = client.get(url)
        pages.append(response)
        url = next_link(response) + "&per_page=10"
    for response in pages:
        keys = [k for k, _ in parse_qsl(urlsplit(next_link(response)).query)]
        assert sorted(keys) == sorted(set(keys)), next_link(response)
    assert dict(parse_qsl(urlsplit(next_link(pages[-1])).query)) == {"per_page": "10", "orderby": "id", "order": "asc", "page": "5"}


def test_a_link_keeps_every_value_of_an_array_parameter(fake):
    fake.seed(orders=30, seed=3)
    ids = sorted(o["id"] for o in fake.orders.values() if o["status"] != "trash")[:4]
    response = api(fake).get("/orders", params=[("include[]", i) for i in ids] + [("per_page", "2"), ("per_page", "2")])
    query = parse_qsl(urlsplit(next_link(response)).query)
    assert [v for k, v in query if k == "include[]"] == [str(i) for i in ids]
    assert [v for k, v in query if k == "per_page"] == ["2"]
    follow = api(fake).get(next_link(response))
    assert [o["id"] for o in follow.json()] and {o["id"] for o in follow.json()} <= set(ids)


def test_help_says_how_the_seed_splits(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "trash" in text and "checkout draft" in text and "--log FILE" in text
    assert "with --orders 250 (seed 0) the store holds 255 orders and lists 235, 5 of them drafts" in text


def test_the_split_in_help_is_what_the_seed_makes():
    fake = WooCommerceFake()
    fake.seed(orders=250, products=12, seed=0)
    listed = api(fake).get("/orders", params={"per_page": 1})
    drafts = [o for o in fake.orders.values() if o["status"] == "checkout-draft"]
    assert (len(fake.orders), int(listed.headers["X-WP-Total"]), len(drafts)) == (255, 235, 5)
    assert summary(fake).startswith("serving 255 orders (") and ": 235 in the default listing (trash left out, 5 checkout drafts in)" in summary(fake)


def test_the_command_line_fake_logs_each_request_as_a_json_line(tmp_path):
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, "-m", "ecom_woocommerce.fake", "--port", "0", "--orders", "12", "--log", str(log)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(4)]
            key, secret = (line.split(":", 1)[1].strip() for line in lines[:2])
            assert lines[2].startswith("serving ") and "in the default listing" in lines[2]
            url = lines[3].split(" on ", 1)[1].split()[0]
            base = f"{url}/wp-json/wc/v3"
            listed = httpx.get(f"{base}/orders", params={"per_page": 5}, auth=OAuth1(key, secret))
            refused = httpx.get(f"{base}/orders/999999", params={"consumer_key": key, "consumer_secret": secret})
            assert (listed.status_code, refused.status_code) == (200, 401)  # over plain HTTP, keys in the query are refused
            assert proc.stdout.readline().startswith("logging requests to ")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/wp-json/wc/v3/orders", listed.status_code), ("GET", "/wp-json/wc/v3/orders/999999", refused.status_code)]
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in entries)
    assert secret not in log.read_text() and key not in log.read_text()
    assert "per_page=5" in entries[0]["query"] and "oauth_signature=%2A%2A%2A" in entries[0]["query"]
    assert "consumer_secret=%2A%2A%2A" in entries[1]["query"]
