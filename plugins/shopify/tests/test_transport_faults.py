"""Answers that are not what the API sends, through ``ecom sync`` against the fake shop on a port.

Issue 17 points 5 and 6: a 200 whose body is cut off, an HTML page or empty, and GraphQL's own
``INTERNAL_SERVER_ERROR``, are retried like a 5xx; a ``THROTTLED`` answer uses none of the
request's attempts; after the last try the error names the query, and the job's other phases run.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import tomli_w
from ecom.sample import sample_settings, seed_back_office, untracked_skus

from ecom_shopify.fake import ShopifyFake

NAME = "shop"


class SpoilingShop(ShopifyFake):
    """The fake shop, spoiling the answers to the polls of a bulk operation (a first sync reads
    orders in bulk) in the order given, with the fake's own switches (:meth:`garble_next`,
    :meth:`fail_next_graphql`)."""

    def __init__(self, spoils: list[str], *, download: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.spoils, self.download = list(spoils), download

    def __call__(self, environ: dict[str, Any], start_response: Any):  # type: ignore[no-untyped-def]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        if self.download:  # the bulk operation's result file instead
            target = environ.get("PATH_INFO", "").startswith("/bulk-operation-results/")
        else:
            target = b"query BulkStatus(" in body
        if self.spoils and target:
            self.garble_next(self.spoils.pop(0))
        return super().__call__(environ, start_response)


def sync(ecom_cli) -> tuple[int, dict]:
    result = ecom_cli("sync", NAME, "--json")
    return result.exit_code, json.loads(result.stdout)


def start(ecom_cli, ecom_db, fake: ShopifyFake, url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("SHOPIFY_TOKEN", fake.token)
    added = ecom_cli("integration", "add", NAME, "--cart", "shopify", "--website-name", "ecom-demo", "--api-url", url,
                     "--password-env", "SHOPIFY_TOKEN")
    assert added.exit_code == 0, added.output
    with ecom_db.session() as session:
        seed_back_office(session, fake.skus(), untracked_skus(fake))
    settings = sample_settings().model_dump(mode="json", by_alias=True, exclude_none=True)
    settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title}
                                       for title in ("Standard (3-5 days)", "Express", "Free shipping")]
    (tmp_path / "shop.toml").write_text(tomli_w.dumps({"name": NAME, "cart": "shopify", "active": True, **settings}))
    applied = ecom_cli("integration", "apply", str(tmp_path / "shop.toml"))
    assert applied.exit_code == 0, applied.output


def open_orders(fake: ShopifyFake) -> int:
    return sum(1 for o in fake.store.all("Order") if not o["closedAt"])


@pytest.mark.parametrize(
    "spoils",
    [["cut_off", "html", "empty", "INTERNAL_SERVER_ERROR"], ["cut_off", "cut_off", "THROTTLED", "cut_off", "cut_off"]],
    ids=["every-bad-body", "throttled-in-between"],
)
def test_bad_answers_are_retried_and_the_sync_imports_every_order(spoils, ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    fake = SpoilingShop(spoils, clock=clock)
    fake.seed(orders=12, products=8, seed=5)
    with fake.serve() as url:
        start(ecom_cli, ecom_db, fake, url, tmp_path, monkeypatch)
        code, report = sync(ecom_cli)
    assert fake.spoils == [], "every spoiled answer was served"
    assert (code, report["status"]) == (0, "succeeded"), report["errors"]
    assert report["counts"]["import_orders"]["created"] == open_orders(fake)


def test_a_query_that_never_gets_a_usable_answer_is_an_error_naming_it_and_the_job_goes_on(
    ecom_db, ecom_cli, clock, tmp_path, monkeypatch
):
    fake = SpoilingShop(["html"] * 5, clock=clock)  # the HTTP helper's five attempts
    fake.seed(orders=12, products=8, seed=5)
    with fake.serve() as url:
        start(ecom_cli, ecom_db, fake, url, tmp_path, monkeypatch)
        code, report = sync(ecom_cli)
    assert (code, report["status"]) == (4, "failed")
    [error] = report["errors"]
    assert error["phase"] == "import_orders" and error["rule"] != "bug", error
    assert re.search(r"POST /admin/api/2026-07/graphql.json \(query BulkStatus for gid://shopify/BulkOperation/\d+\) "
                     "on 127.0.0.1 failed after 5 attempts", error["message"]), error["message"]
    assert "an HTML page ('Just a moment...') where the API sends JSON" in error["message"]
    assert "could not reach" not in error["message"]
    assert report["counts"]["push_inventory"]["updated"] > 0, "the inventory phase still ran"


def test_a_bulk_result_file_cut_off_or_replaced_by_a_page_is_downloaded_again(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    fake = SpoilingShop(["cut_off", "html"], download=True, clock=clock)
    fake.seed(orders=12, products=8, seed=5)
    with fake.serve() as url:
        start(ecom_cli, ecom_db, fake, url, tmp_path, monkeypatch)
        code, report = sync(ecom_cli)
    assert fake.spoils == [], "every spoiled answer was served"
    assert (code, report["status"]) == (0, "succeeded"), report["errors"]
    assert report["counts"]["import_orders"]["created"] == open_orders(fake)
