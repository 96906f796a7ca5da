"""Answers that are not what the API sends, through ``ecom sync`` against the fake store on a port.

Issue 17 point 5: a 200 whose body is cut off, the store's HTML front page (WordPress with "Plain"
permalinks) or empty is retried like a 5xx; after the last try the error names the request (the
page it asked for), and the job's other phases still run. SQLite only, as the end-to-end test.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from ecom import integrations
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.seed import SHIPPING

NAME = "woo"


class SpoilingStore(WooCommerceFake):
    """The fake store, spoiling the answers to its order reads (``GET /orders``) in the order
    given, with the fake's own switch (:meth:`garble_next`)."""

    def __init__(self, spoils: list[str], **options: Any) -> None:
        super().__init__(**options)
        self.spoils = list(spoils)

    def __call__(self, environ: dict[str, Any], start_response: Any):  # type: ignore[no-untyped-def]
        if self.spoils and environ["REQUEST_METHOD"] == "GET" and environ.get("PATH_INFO", "").endswith("/orders"):
            self.garble_next(self.spoils.pop(0))
        return super().__call__(environ, start_response)


def start(ecom_cli, ecom_db, fake: WooCommerceFake, url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("WOO_SECRET", fake.consumer_secret)
    added = ecom_cli("integration", "add", NAME, "--cart", "woocommerce", "--website-name", "Fake Woo",
                     "--api-url", url, "--username", fake.consumer_key, "--password-env", "WOO_SECRET")
    assert added.exit_code == 0, added.output
    with ecom_db.session() as session:
        seed_back_office(session, fake.skus())
        settings = sample_settings().model_dump(mode="json")
        settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title} for _, title, _ in SHIPPING]
        integrations.save_settings(session, integrations.get(session, NAME), IntegrationSettings.model_validate(settings))
    assert ecom_cli("integration", "activate", NAME).exit_code == 0


def sync(ecom_cli) -> tuple[int, dict]:
    result = ecom_cli("sync", NAME, "--json")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_bad_answers_are_retried_and_the_sync_imports_every_order(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    fake = SpoilingStore(["cut_off", "html", "empty", "cut_off"], clock=clock)
    fake.seed(orders=150, products=10, seed=9)  # two pages of orders
    with fake.serve() as url:
        start(ecom_cli, ecom_db, fake, url, tmp_path, monkeypatch)
        code, report = sync(ecom_cli)
    assert fake.spoils == [], "every spoiled answer was served"
    assert (code, report["status"]) == (0, "succeeded"), report["errors"]
    imported = report["counts"]["import_orders"]
    trashed = sum(o["status"] == "trash" for o in fake.orders.values())
    assert imported["fetched"] == 150 and imported["created"] == 150 - trashed


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_a_page_that_never_gets_a_usable_answer_is_an_error_naming_it_and_the_job_goes_on(
    ecom_db, ecom_cli, clock, tmp_path, monkeypatch
):
    fake = SpoilingStore(["html"] * 5, clock=clock)  # the HTTP helper's five attempts
    fake.seed(orders=20, products=10, seed=9)
    with fake.serve() as url:
        start(ecom_cli, ecom_db, fake, url, tmp_path, monkeypatch)
        code, report = sync(ecom_cli)
    assert (code, report["status"]) == (4, "failed")
    [error] = report["errors"]
    assert error["phase"] == "import_orders" and error["rule"] != "bug", error
    message = error["message"]
    assert re.search(r"GET /orders\?\S*per_page=100\S* on 127\.0\.0\.1 failed after 5 attempts", message), message
    assert "an HTML page ('Fake WooCommerce – Just another WordPress site') where the API sends JSON" in message
    assert "could not reach" not in message and "oauth_signature" not in message
    assert report["counts"]["push_inventory"]["updated"] > 0, "the inventory phase still ran"
