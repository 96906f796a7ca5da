"""The mode switch: protocol by default, mapping through ``ecom_custom_cart.declarative``'s interface,
and the mapping file read into the integration by ``ecom integration apply``."""

from __future__ import annotations

import json
import sys
import types
from datetime import UTC, datetime

import pytest
from ecom.errors import ConfigError
from ecom.plugins import get_driver
from ecom.records import Page, PushResult, StockLevel

from .conftest import wired


class StubMapping:
    """The interface w14b's engine implements, recording what the driver asked."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    @classmethod
    def from_text(cls, text: str, source: str) -> StubMapping:
        if "bad" in text:
            raise ConfigError(f"{source}: orders.path: 'bad' is not a field")
        return cls(text, source)


class StubCart:
    calls: list[tuple[str, object]] = []

    def __init__(self, connection, mapping: StubMapping) -> None:
        self.mapping = mapping

    def fetch_orders(self, since):
        StubCart.calls.append(("fetch_orders", (self.mapping.source, since)))
        return iter([Page()])

    def push_inventory(self, levels):
        StubCart.calls.append(("push_inventory", [level.sku for level in levels]))
        return [PushResult(ref=level.sku, ok=True) for level in levels]


@pytest.fixture
def declarative(monkeypatch):
    module = types.ModuleType("ecom_custom_cart.declarative")
    module.CartMapping, module.MappedCart = StubMapping, StubCart
    monkeypatch.setitem(sys.modules, "ecom_custom_cart.declarative", module)
    StubCart.calls = []
    return module


def test_mapping_mode_delegates_every_call_with_the_item_table(fake, declarative):
    driver = get_driver("custom_cart")
    connection = wired(fake, mode="mapping", mapping="[orders]\n", mapping_source="legacy.toml", items={"LEG-1": "SKU-1"})
    since = datetime(2026, 12, 1, tzinfo=UTC)
    list(driver.call("fetch_orders", connection=connection, since=since))
    results = driver.call("push_inventory", connection=connection, levels=[StockLevel(sku="SKU-1", quantity=2), StockLevel(sku="SKU-2", quantity=1)])
    assert StubCart.calls == [("fetch_orders", ("legacy.toml", since)), ("push_inventory", ["LEG-1"])]
    assert [(r.ref, r.ok, r.action) for r in results] == [("SKU-1", True, "updated"), ("SKU-2", True, "unchanged")]
    assert fake.requests == [], "mapping mode must not speak the protocol"


@pytest.mark.parametrize(("options", "words"), [
    ({"mode": "mapping"}, "general.driver_options.mapping is empty"),
    ({"mode": "mapping", "mapping": "bad", "mapping_source": "legacy.toml"}, "legacy.toml: orders.path"),
    ({"mode": "soap"}, "a Custom Cart's mode is protocol or mapping"),
])
def test_a_bad_mode_or_mapping_is_a_settings_error(fake, declarative, options, words):
    with pytest.raises(ConfigError, match=words):
        get_driver("custom_cart").call("test_connection", connection=wired(fake, **options), operations=frozenset())


@pytest.mark.parametrize("ecom_db", ["sqlite"], indirect=True)
def test_apply_reads_the_mapping_file_into_the_integration(ecom_db, ecom_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOM_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("CC_TOKEN", "secret-token-1")
    (tmp_path / "legacy.toml").write_text('[orders]\npath = "/api/orders"\n')
    document = tmp_path / "shop.toml"
    document.write_text('name = "legacy"\ncart = "custom_cart"\n\n[connection]\napi_url = "https://legacy.example.com"\n'
                        'password_env = "CC_TOKEN"\n\n[general.driver_options]\nmode = "mapping"\nmapping_file = "legacy.toml"\n')
    monkeypatch.chdir("/")  # the mapping file is found beside the integration file, not in the working folder
    applied = ecom_cli("integration", "apply", str(document))
    assert applied.exit_code == 0, applied.output
    shown = json.loads(ecom_cli("integration", "show", "legacy", "--json").stdout)
    options = json.dumps(shown)
    assert '[orders]\\npath = \\"/api/orders\\"' in options and "legacy.toml" in options and "mapping_file" not in options

    exported = tmp_path / "exported.toml"
    assert ecom_cli("integration", "export", "legacy", "-o", str(exported)).exit_code == 0
    again = ecom_cli("integration", "apply", str(exported))
    assert again.exit_code == 0 and "unchanged" in again.output, again.output

    document.write_text(document.read_text().replace("legacy.toml", "missing.toml"))
    refused = ecom_cli("integration", "apply", str(document))
    assert refused.exit_code == 3 and "general.driver_options.mapping_file" in refused.output and "missing.toml" in refused.output


def test_answers_a_store_gets_wrong_are_errors_not_crashes(fake, connection, monkeypatch):
    from ecom.errors import DriverError, RetryableError

    driver = get_driver("custom_cart")
    fake.seed(orders=120, products=12, seed=1)
    fake.garble_next("cut_off", times=20)
    with pytest.raises(RetryableError):
        list(driver.call("fetch_orders", connection=connection, since=None))
    fake.clear_failures()
    listing = fake._list
    monkeypatch.setattr(fake, "_list", lambda kind, table, query, key: {**listing(kind, table, query, key), "next_cursor": "5"})
    with pytest.raises(DriverError, match="with the cursor it was given"):
        list(driver.call("fetch_orders", connection=connection, since=None))
    monkeypatch.setattr(fake, "_list", lambda kind, table, query, key: {key: "nope", "next_cursor": None})
    with pytest.raises(DriverError, match="has no 'orders' list"):
        list(driver.call("fetch_orders", connection=connection, since=None))
