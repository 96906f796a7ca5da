"""A corpus of malformed Shopify orders among good ones, through ``ecom sync`` (issue 10).

Each bad order is a good order of the fake shop with one thing wrong, written as the Admin API's
own objects (``MoneyBag`` amounts, ``LineItem.quantity``, ``Order.currencyCode``). The sync must
give each exactly one error naming the order, the field and the value, write nothing of it, and
import every good order, including those a person would accept (a SKU with spaces around it, a
province written in full).

Cases the GraphQL schema itself rules out are not in this corpus: a quantity that is not an
``Int``, a ``currencyCode`` outside the ``CurrencyCode`` enum or null (``Order.currencyCode`` is
non-null); Shopify would answer with an error for the whole query, never send such an order.
``USDC`` is in that enum but is no ISO 4217 currency, and ``XXX`` is there as "unrecognized".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ecom import models as m
from ecom.sample import seed_back_office, untracked_skus
from sqlmodel import select

from ecom_shopify.fake import ShopifyFake
from ecom_shopify.fake.state import bag

from .test_e2e import NAME, settings_file

Order = dict[str, Any]


def _bad_money(text: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": text, "currencyCode": "USD"}, "presentmentMoney": {"amount": text, "currencyCode": "USD"}}


def _line(field: str, value: Any) -> Callable[[ShopifyFake, Order], None]:
    def change(fake: ShopifyFake, order: Order) -> None:
        order["lineItems"][0][field] = value

    return change


def _freight(fake: ShopifyFake, order: Order) -> None:
    order["shippingLines"][0]["originalPriceSet"] = bag("-5.90")


def _discount_over_goods(fake: ShopifyFake, order: Order) -> None:
    line = order["lineItems"][0]
    gross = Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"]) * line["quantity"]
    application = {"__typename": "DiscountCodeApplication", "code": "TAKEITALL", "index": 0, "allocationMethod": "ACROSS",
                   "targetSelection": "ALL", "targetType": "LINE_ITEM"}
    line["discountAllocations"] = [{"allocatedAmountSet": bag(gross + Decimal("19.10")), "discountApplication": application}]


def _duplicate_line_id(fake: ShopifyFake, order: Order) -> None:
    first = order["lineItems"][0]
    twin = fake.store.add("LineItem", **{k: v for k, v in first.items() if k not in ("__typename", "id", "legacyResourceId")})
    twin["id"] = first["id"]
    order["lineItems"].append(twin)


def _set(field: str, value: Any) -> Callable[[ShopifyFake, Order], None]:
    def change(fake: ShopifyFake, order: Order) -> None:
        order[field] = value

    return change


#: (case, change to the shop's objects, words the one error must hold: the field and the value; "{line}" is the first line's id)
BAD: list[tuple[str, Callable[[ShopifyFake, Order], None], tuple[str, ...]]] = [
    ("quantity 0", _line("quantity", 0), ("line {line}", "quantity 0")),
    ("negative quantity", _line("quantity", -2), ("line {line}", "quantity -2")),
    ("absurd quantity", _line("quantity", 2**31 - 1), ("line {line}", "quantity 2147483647")),
    ("negative unit price", _line("originalUnitPriceSet", bag("-12.50")), ("line {line}", "unit_price -12.50")),
    ("negative freight", _freight, ("shipping line", "price -5.90")),
    ("discount above the goods", _discount_over_goods, ("line {line}", "discount")),
    ("no item lines", _set("lineItems", []), ("no item lines",)),
    ("unknown currency", _set("currencyCode", "XXX"), ("currency 'XXX'",)),
    ("not an ISO 4217 currency", _set("currencyCode", "USDC"), ("currency 'USDC'",)),
    ("two lines with one id", _duplicate_line_id, ("line id '{line}'",)),
    ("price N/A", _line("originalUnitPriceSet", _bad_money("N/A")), ("line {line}", "originalUnitPriceSet 'N/A'", "not a number")),
    ("price with a comma", _line("originalUnitPriceSet", _bad_money("12,50")), ("line {line}", "'12,50'", "not a number")),
]


def _clone(fake: ShopifyFake, template: Order, number: int) -> Order:
    """A copy of ``template`` as a new order of the shop, with lines and shipping lines of its own."""
    store = fake.store
    skip = ("__typename", "id", "legacyResourceId")
    fields = {k: v for k, v in template.items() if k not in skip}
    fields["lineItems"] = [
        store.add("LineItem", **{k: copy.deepcopy(v) if k == "discountAllocations" else v for k, v in line.items() if k not in skip})
        for line in template["lineItems"]
    ]
    fields["shippingLines"] = [store.add("ShippingLine", **{k: v for k, v in s.items() if k not in skip}) for s in template["shippingLines"]]
    fields.update(name=f"#{number}", fulfillmentOrders=[], fulfillments=[],
                  billingAddress=dict(template["billingAddress"]), shippingAddress=dict(template["shippingAddress"]))
    return store.add("Order", **fields)


def test_each_malformed_order_gets_one_error_naming_it_and_every_good_order_imports(ecom_db, ecom_cli, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = ShopifyFake(clock=clock)
    fake.seed(orders=40, products=12, seed=10)
    template = next(
        o for o in fake.store.all("Order")
        if not o["closed"] and not o["cancelledAt"] and o["displayFinancialStatus"] == "PAID" and not o["taxExempt"]
        and o["shippingAddress"]["provinceCode"] == "NY" and not any(li["discountAllocations"] for li in o["lineItems"])
    )
    bad: dict[str, tuple[str, ...]] = {}
    for number, (case, change, words) in enumerate(BAD, start=9001):
        order = _clone(fake, template, number)
        line = order["lineItems"][0]["id"]
        change(fake, order)
        bad[order["name"]] = (case, *(w.format(line=line) for w in words))
    spaced = _clone(fake, template, 9101)
    sku = spaced["lineItems"][0]["sku"]
    spaced["lineItems"][0]["sku"] = f" {sku} "
    spelled = _clone(fake, template, 9102)
    for address in ("billingAddress", "shippingAddress"):
        spelled[address].update(provinceCode=None, province="New York")
    importable = [o for o in fake.store.all("Order") if not o["closed"]]

    with fake.serve() as url:
        monkeypatch.setenv("SHOPIFY_TOKEN", fake.token)
        added = ecom_cli("integration", "add", NAME, "--cart", "shopify", "--website-name", "ecom-demo",
                         "--api-url", url, "--password-env", "SHOPIFY_TOKEN")
        assert added.exit_code == 0, added.output
        with ecom_db.session() as session:
            seed_back_office(session, fake.skus(), untracked_skus(fake))
        applied = ecom_cli("integration", "apply", str(settings_file(tmp_path)))
        assert applied.exit_code == 0, applied.output
        result = ecom_cli("sync", NAME, "--phase", "import_orders", "--json")

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
            .where(m.Transaction.web_order_number == spelled["name"])
        ).one()
    by_order: dict[str, list[str]] = {}
    for event in errors:
        by_order.setdefault(event.record_ref, []).append(event.message)
    assert set(by_order) == set(bad), "errors only on the bad orders"
    for number, (case, *words) in bad.items():
        assert len(by_order[number]) == 1, (case, by_order[number])
        message = by_order[number][0]
        assert "\n" not in message and all(w in message for w in words), (case, message)
        assert "InvalidOperation" not in message, (case, message)
    assert not numbers & set(bad), "nothing of a bad order is written"
    assert {spaced["name"], spelled["name"]} <= numbers
    assert {o["name"] for o in importable} - set(bad) <= numbers
    assert any(e.record_ref == spaced["name"] and f"' {sku} '" in e.message for e in warnings)
    assert spelled_tax == "NY 8.875%", "a state written in full finds its row of the state grid"
