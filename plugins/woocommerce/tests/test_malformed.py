"""A corpus of malformed WooCommerce orders among good ones, through ``ecom sync`` (issue 10).

Each bad order is a good order of the fake store with one thing wrong, written as WooCommerce's
own JSON (REST API v3 "Orders" shape: amounts as strings, ``quantity`` a number). The sync must
give each exactly one error naming the order, the field and the value, write nothing of it, and
import every good order, including those a person would accept (a SKU with spaces around it, a
state written in full).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from ecom import integrations
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings
from sqlmodel import select

from ecom_woocommerce.fake import WooCommerceFake
from ecom_woocommerce.fake.seed import SHIPPING

Order = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Order], None]:
    def change(order: Order) -> None:
        *parents, last = path.split(".")
        node: Any = order
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _duplicate_line_id(order: Order) -> None:
    lines = order["line_items"]
    if len(lines) == 1:
        lines.append(copy.deepcopy(lines[0]))
    lines[1]["id"] = lines[0]["id"]


def _discount_over_goods(order: Order) -> None:
    line = order["line_items"][0]
    line["total"] = f"{-float(line['subtotal']) - 19.10:.2f}"  # the discount (subtotal − total) is above the line's price


#: (case, change to the cart's JSON, words the one error must hold: the field and the value; "{line}" is the first line's id)
BAD: list[tuple[str, Callable[[Order], None], tuple[str, ...]]] = [
    ("quantity 0", _set("line_items.0.quantity", 0), ("line {line}", "quantity 0")),
    ("negative quantity", _set("line_items.0.quantity", -2), ("line {line}", "quantity -2")),
    ("absurd quantity", _set("line_items.0.quantity", 2**31 - 1), ("line {line}", "quantity 2147483647")),
    ("negative unit price", _set("line_items.0.subtotal", "-12.50"), ("line {line}", "unit_price -")),
    ("negative freight", _set("shipping_lines.0.total", "-5.90"), ("shipping line", "price -5.90")),
    ("discount above the goods", _discount_over_goods, ("line {line}", "discount")),
    ("no item lines", _set("line_items", []), ("no item lines",)),
    ("unknown currency", _set("currency", "XXX"), ("currency 'XXX'",)),
    ("not a currency", _set("currency", "ABC"), ("currency 'ABC'", "ISO 4217")),
    ("two lines with one id", _duplicate_line_id, ("line id '{line}'",)),
    ("price N/A", _set("line_items.0.subtotal", "N/A"), ("line {line}", "subtotal 'N/A'", "not a number")),
    ("price with a comma", _set("line_items.0.subtotal", "12,50"), ("line {line}", "subtotal '12,50'", "not a number")),
    ("quantity not a number", _set("line_items.0.quantity", "two"), ("line {line}", "quantity 'two'")),
    ("currency missing", lambda order: order.pop("currency"), ("currency", "missing")),
]


def _clone(fake: WooCommerceFake, template: Order) -> Order:
    order = copy.deepcopy(template)
    order["id"] = fake.next_id()
    order["number"] = str(order["id"])
    for key in ("line_items", "shipping_lines", "fee_lines", "coupon_lines"):
        for part in order[key]:
            part["id"] = fake.next_id()
    fake.orders[order["id"]] = order
    fake.notes[order["id"]] = []
    return order


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_each_malformed_order_gets_one_error_naming_it_and_every_good_order_imports(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = WooCommerceFake(clock=clock)
    fake.seed(orders=40, products=8, seed=10)
    template = next(
        o for o in fake.orders.values()
        if o["status"] == "processing" and o["billing"]["state"] == "NY" and not o["fee_lines"] and not o["coupon_lines"]
    )
    bad: dict[str, tuple[str, ...]] = {}
    for case, change, words in BAD:
        order = _clone(fake, template)
        line = str(order["line_items"][0]["id"])
        change(order)
        bad[order["number"]] = (case, *(w.format(line=line) for w in words))
    spaced = _clone(fake, template)
    sku = spaced["line_items"][0]["sku"]
    spaced["line_items"][0]["sku"] = f" {sku} "
    spelled = _clone(fake, template)
    for address in ("billing", "shipping"):
        spelled[address]["state"] = "New York"
    importable = [o for o in fake.orders.values() if o["status"] not in ("trash", "checkout-draft")]

    with fake.serve() as url:
        monkeypatch.setenv("WOO_SECRET", fake.consumer_secret)
        added = ecom_cli("integration", "add", "woo", "--cart", "woocommerce", "--website-name", "Fake Woo",
                         "--api-url", url, "--username", fake.consumer_key, "--password-env", "WOO_SECRET")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus())
            settings = sample_settings().model_dump(mode="json")
            settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": title} for _, title, _ in SHIPPING]
            settings["general"].update(update_inventory=False, update_order_status=False)
            integrations.save_settings(session, integrations.get(session, "woo"), IntegrationSettings.model_validate(settings))
        assert ecom_cli("integration", "activate", "woo").exit_code == 0
        result = ecom_cli("sync", "woo", "--phase", "import_orders", "--json")

    assert result.exit_code == 5, result.output
    report = json.loads(result.stdout)
    counts = report["counts"]["import_orders"]
    assert counts["failed"] == len(bad), report["errors"]
    assert counts["created"] == len(importable) - len(bad)
    with ecom_db.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.level == m.EventLevel.ERROR)).all()
        warnings = session.exec(select(m.JobEvent).where(m.JobEvent.level == m.EventLevel.WARNING)).all()
        numbers = set(session.exec(select(m.Transaction.web_order_number)).all())
        spelled_tax = session.exec(
            select(m.ItemSalesTax.name).join(m.Transaction, m.Transaction.item_sales_tax_id == m.ItemSalesTax.id)
            .where(m.Transaction.web_order_number == spelled["number"])
        ).one()
    by_order: dict[str, list[str]] = {}
    for event in errors:
        by_order.setdefault(event.record_ref, []).append(event.message)
    assert set(by_order) == set(bad), "errors only on the bad orders"
    for number, (case, *words) in bad.items():
        assert len(by_order[number]) == 1, (case, by_order[number])
        message = by_order[number][0]
        assert "\n" not in message and all(w in message for w in words), (case, message)
        assert "Error:" not in message and "InvalidOperation" not in message, (case, message)
    assert not numbers & set(bad), "nothing of a bad order is written"
    assert {spaced["number"], spelled["number"]} <= numbers
    assert {o["number"] for o in importable} - set(bad) <= numbers
    assert any(e.record_ref == spaced["number"] and f"' {sku} '" in e.message for e in warnings)
    assert spelled_tax == "NY 8.875%", "a state written in full finds its row of the state grid"
