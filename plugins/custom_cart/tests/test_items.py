"""The item mapper through the CLI: ``ecom integration items`` and ``ecom sync`` against the reference server.

The cart names its items with its own codes (the fake's ``TC-...``); the back office's SKUs are
different (``BO-...``). The item table maps all but one code: orders with the unmapped one fail
alone, naming the code and the order; the others import with the back office's SKUs; the
inventory push sends only the carried items, under the cart's codes.
"""

from __future__ import annotations

import json

import pytest
from ecom import integrations
from ecom.errors import ConfigError
from ecom import models as m
from ecom.sample import sample_settings, seed_back_office
from ecom.settings import IntegrationSettings
from sqlmodel import select

from ecom_custom_cart.fake import CustomCartFake
from ecom_custom_cart.items import ItemMap, UnmappedItem
from ecom_custom_cart.items import ExpressionError


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_item_table_maps_codes_on_import_and_push(ecom_db, ecom_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    fake = CustomCartFake()
    fake.seed(orders=40, products=12, seed=5)
    codes = fake.skus()
    unmapped = codes[0]
    with fake.serve() as url:
        monkeypatch.setenv("CC_TOKEN", fake.token)
        assert ecom_cli("integration", "add", "cc", "--cart", "custom_cart", "--api-url", url, "--password-env", "CC_TOKEN").exit_code == 0
        with ecom_db.session() as session:
            seed_back_office(session, [f"BO-{c}" for c in codes])
            settings = sample_settings().model_dump(mode="json")
            settings["shipping"]["methods"] = [{"method": "UPS Ground", "cart_method": t} for t in _shipping_titles(fake)]
            integrations.save_settings(session, integrations.get(session, "cc"), IntegrationSettings.model_validate(settings))
        table = tmp_path / "items.csv"
        rows = [f"{c},BO-{c}" for c in codes[1:]] + ["NOPE,NO-SUCH-SKU", f"{codes[1]},BO-{codes[2]}"]
        table.write_text("cart_item,sku\n" + "\n".join(rows) + "\n")
        imported = ecom_cli("integration", "items", "cc", "import", str(table))
        assert imported.exit_code == 5, imported.output
        assert "row 13: cart item 'NOPE': no back-office item has SKU 'NO-SUCH-SKU'" in imported.stderr
        assert f"row 14: cart item '{codes[1]}' is already on row 2" in imported.stderr
        listed = json.loads(ecom_cli("integration", "items", "cc", "list", "--json").stdout)
        assert listed == sorted(({"cart_item": c, "sku": f"BO-{c}"} for c in codes[1:]), key=lambda r: r["cart_item"])
        exported = ecom_cli("integration", "items", "cc", "export").stdout.splitlines()
        assert exported[0] == "cart_item,sku" and len(exported) == len(codes)

        assert ecom_cli("integration", "activate", "cc").exit_code == 0, "activate"
        before = {c: fake.stock(c) for c in codes}
        result = ecom_cli("sync", "cc", "--json")
        report = json.loads(result.stdout)
        with_unmapped = {o["number"] for o in fake.orders.values() if any(line["sku"] == unmapped for line in o["lines"])}
        assert with_unmapped, "the seed must sell the unmapped item"
        errors = json.dumps(report.get("errors"))
        for number in with_unmapped:
            assert f"Order {number}: cart item '{unmapped}' maps to no SKU" in errors
        with ecom_db.session() as session:
            skus = set(session.exec(select(m.Item.sku).join(m.TransactionLine, m.TransactionLine.item_id == m.Item.id)).all())
        assert any(s.startswith("BO-") for s in skus) and not any(s.startswith("TC-") for s in skus), skus
        stock_writes = [r for r in fake.requests if r.path.endswith("/stock")]
        assert stock_writes, "the inventory push sent nothing"
        assert fake.stock(unmapped) == before[unmapped], "an item the cart does not carry was pushed"
        assert any(fake.stock(c) != before[c] for c in codes[1:]), "no carried item was pushed under its cart code"


def test_item_expression_then_table_and_refusals():
    items = ItemMap.from_options({"items": {"A-1": "SKU-A"}, "item_expression": "line.sku | replace('LEG-', '')"})
    assert items.sku({"sku": "A-1"}) == "SKU-A"
    assert items.sku({"sku": "LEG-42"}) == "42"
    with pytest.raises(ConfigError, match="item_expression: 'line.sku |' is not a valid expression"):
        ItemMap.from_options({"item_expression": "line.sku |"})
    with pytest.raises(UnmappedItem, match="'B-2' maps to no SKU"):
        ItemMap.from_options({"items": {"A-1": "SKU-A"}}).sku({"sku": "B-2"})


def _shipping_titles(fake: CustomCartFake) -> set[str]:
    return {s["title"] for o in fake.orders.values() for s in o["shipping_lines"]}


@pytest.mark.parametrize("attempt", [
    "''.__class__.__mro__",
    "cycler.__init__.__globals__",
    "lipsum.__globals__",
    "joiner()",
    "namespace()",
    "range(10**9) | list",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}",
    "line.__class__.__base__.__subclasses__()",
])
def test_sandbox_escapes_are_refused_naming_the_setting(attempt):
    # what the text shows is refused when the setting is read (a settings error), the rest on the line
    with pytest.raises((ConfigError, ExpressionError)) as refused:
        ItemMap.from_options({"item_expression": attempt}).sku({"sku": "x"})
    assert "general.driver_options.item_expression" in str(refused.value) and "\n" not in str(refused.value)
    assert repr(attempt) in str(refused.value)
