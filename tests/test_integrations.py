"""The integration service: settings saved and loaded whole, every reference checked, secrets kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from ecom import integration_file, integrations, secrets
from ecom import models as m
from ecom.errors import ConfigError
from ecom.integration_checks import REFERENCES
from ecom.integrations import SettingsError
from ecom.records import ConnectionReport
from ecom.settings import IntegrationSettings, Notify

from .integration_seed import PASSWORD, SETTINGS, all_rows, seed, settings


@pytest.fixture(autouse=True)
def key_file(monkeypatch, tmp_path):
    monkeypatch.delenv(secrets.KEY_ENV, raising=False)
    monkeypatch.setenv(secrets.KEY_FILE_ENV, str(tmp_path / "secret.key"))


@pytest.fixture
def office(ecom_db):
    with ecom_db.session() as session:
        seed(session)
    return ecom_db


def add_shop(session, **changes) -> m.Integration:
    fields = {"website_name": "Dana's", "api_url": "https://dana.example", "username": "", "password": PASSWORD, "settings": settings()}
    return integrations.create(session, "shop", "testshop", **{**fields, **changes})


def test_settings_come_back_as_saved_grids_included(office):
    with office.session() as session:
        add_shop(session)
    with office.session() as session:
        shop = integrations.get(session, "shop")
        assert integrations.load_settings(session, shop) == settings()
        assert not shop.active
        assert len(session.exec(select(m.IntegrationTaxState)).all()) == 2
        assert len(session.exec(select(m.IntegrationShipMethod)).all()) == 2
        assert len(session.exec(select(m.IntegrationPaymentMethod)).all()) == 2
        assert len(session.exec(select(m.IntegrationDiscount)).all()) == 1
        assert len(session.exec(select(m.IntegrationLocation)).all()) == 2
        for section, key in integrations.GRID_PATHS:
            assert key not in shop.settings[section], "grids live in their tables, not twice"


def test_saving_the_same_settings_changes_nothing(office):
    with office.session() as session:
        add_shop(session)
    before = all_rows(office.engine)
    with office.session() as session:
        assert integrations.save_settings(session, integrations.get(session, "shop"), settings()) is False
    assert all_rows(office.engine) == before


def test_every_unknown_reference_is_named_and_nothing_is_saved(office):
    with office.session() as session:
        add_shop(session, settings=IntegrationSettings())
    before = all_rows(office.engine)
    wrong = IntegrationSettings.model_validate(
        {
            "general": {"locations": ["Nowhere"], "location_map": {"Attic": "1"}, "import_products": True,
                        "import_product_group": "Gadgets", "cart_items": [{"sku": "NO-SKU", "cart_id": "1"}]},
            "preferences": {"taxable_proxy": "Ghost", "nontaxable_proxy": "Ghost 2", "customer_type": "VIP", "sales_rep": "Sam",
                            "location": "Cellar", "class": "Retail", "web_order_number_field": "Loyalty"},
            "sales_tax": {"taxable_code": "TAX", "taxable_item_tax": "7%", "states": {"NY": "NY 9%"}, "nontaxable_code": "None",
                          "nontaxable_item_tax": "Zero", "nontaxable_shipping_tax": "Zero ship"},
            "shipping": {"default_method": "UPS Blue", "methods": [{"method": "FedEx", "cart_method": "Fast"}],
                         "freight_item": "FRT", "fee_item": "FEE"},
            "payments": {"default_method": "Cash", "default_term": "Net 60", "methods": [{"method": "Bitcoin", "term": "Net 90", "cart_method": "btc"}]},
            "discounts": {"default_discount": "Half", "codes": [{"discount": "Quarter", "cart_code": "Q"}]},
        }
    )  # fmt: skip
    with office.session() as session, pytest.raises(SettingsError) as caught:
        integrations.save_settings(session, integrations.get(session, "shop"), wrong)
    problems = caught.value.problems
    assert len(problems) == len(REFERENCES)
    for expected in [
        "shipping.default_method: no ship method named 'UPS Blue'",
        "shipping.methods[0].method: no ship method named 'FedEx'",
        "sales_tax.taxable_code: no sales tax code named 'TAX' (did you mean 'Tax'?)",
        "sales_tax.states.NY: no item sales tax named 'NY 9%'",
        "general.location_map.Attic: no location named 'Attic'",
        "general.cart_items[0].sku: no item named 'NO-SKU'",
        "preferences.web_order_number_field: no transaction custom field named 'Loyalty'",
        "preferences.class: no class named 'Retail'",
        "payments.methods[0].term: no term named 'Net 90'",
        "discounts.codes[0].discount: no discount named 'Quarter'",
    ]:
        assert any(p.startswith(expected) for p in problems), expected
    message = str(caught.value)
    assert message.startswith(f"The settings of integration 'shop' were not saved: {len(REFERENCES)} problems, nothing was saved:\n")
    assert all(f"\n  {p}" in message for p in problems)
    assert all_rows(office.engine) == before


RULES = [
    ({"shipping": {"default_method": "Pickup"}},
     "shipping.default_method: ship method 'Pickup' has no other-charge item, so freight cannot go in the Freight box"),
    ({"shipping": {"default_method": "UPS Ground", "methods": [{"method": "Odd", "cart_method": "odd"}]}},
     "shipping.methods[0].method: ship method 'Odd' has other-charge item 'TEE-BLK-M' of type inventory: it must be an other charge item"),
    ({"sales_tax": {"taxable_code": "Non"}}, "sales_tax.taxable_code: sales tax code 'Non' is not taxable; use a taxable code"),
    ({"sales_tax": {"nontaxable_code": "Tax"}}, "sales_tax.nontaxable_code: sales tax code 'Tax' is taxable; use a non-taxable code"),
    ({"discounts": {"default_discount": "Loose"}}, "discounts.default_discount: discount 'Loose' has no item"),
    ({"payments": {"default_term": "Prepaid"}}, "payments.default_term: is set but payments.default_method is blank"),
    ({"shipping": {"default_method": "UPS Ground", "methods": [{"method": "UPS Ground", "cart_method": "Std"},
                                                                   {"method": "USPS Priority", "cart_method": " std "}]}},
     "shipping.methods[1]: maps the same cart text as shipping.methods[0]"),
    ({"payments": {"methods": [{"method": "PayPal", "cart_method": ""}]}}, "payments.methods[0].cart_method: is empty"),
    ({"general": {"locations": ["Main", "Main"]}}, "general.locations[1]: 'Main' is listed twice"),
]  # fmt: skip


def test_settings_that_need_each_other_are_checked(office):
    with office.session() as session:
        for changes, problem in RULES:
            problems = integrations.check_settings(session, IntegrationSettings.model_validate(changes))
            assert any(str(p).startswith(problem) for p in problems), (problem, problems)


def test_freight_as_a_line_needs_no_other_charge_item(office):
    pickup = IntegrationSettings.model_validate({"shipping": {"default_method": "Pickup", "freight_as_line": True, "freight_item": "SHIPPING"}})
    with office.session() as session:
        assert integrations.check_settings(session, pickup) == []


def test_an_integration_is_activated_only_when_ready_and_stays_ready(office):
    with office.session() as session:
        shop = add_shop(session, settings=IntegrationSettings(), api_url="")
        with pytest.raises(SettingsError) as caught:
            integrations.activate(session, shop)
    assert caught.value.problems == [
        "api_url: required before the integration can be activated or synced",
        "shipping.default_method: required before the integration can be activated or synced: unmatched cart ship methods use it",
    ]
    with office.session() as session:
        shop = integrations.get(session, "shop")
        integrations.update_connection(session, shop, api_url="https://dana.example")
        integrations.save_settings(session, shop, settings())
        integrations.activate(session, shop)
    with office.session() as session:
        shop = integrations.get(session, "shop")
        assert shop.active
        with pytest.raises(SettingsError, match="shipping.default_method: required while the integration is active"):
            integrations.save_settings(session, shop, IntegrationSettings())
        with pytest.raises(SettingsError, match="api_url: required while the integration is active"):
            integrations.update_connection(session, shop, api_url=" ")


def test_a_sync_refuses_settings_that_name_something_deleted_since(office):
    with office.session() as session:
        shop = add_shop(session)
        integrations.activate(session, shop)
    with office.session() as session:
        session.delete(session.exec(select(m.TransactionClass).where(m.TransactionClass.name == "Web")).one())
    with office.session() as session, pytest.raises(SettingsError) as caught:
        integrations.require_ready(session, integrations.get(session, "shop"))
    assert caught.value.problems == ["preferences.class: no class named 'Web' (the back office has no classes yet)"]
    assert str(caught.value).startswith("Integration 'shop' is not ready to sync: 1 problem")


def test_the_connection_carries_the_decrypted_password_and_driver_options(office):
    with office.session() as session:
        add_shop(session)
    with office.session() as session:
        shop = integrations.get(session, "shop")
        assert PASSWORD not in shop.password_encrypted
        connection = integrations.connection(shop, transport="fake-transport")
    assert connection.password.get_secret_value() == PASSWORD
    assert connection.options == SETTINGS["general"]["driver_options"]
    assert connection.transport == "fake-transport"
    assert (connection.api_url, connection.website_name) == ("https://dana.example", "Dana's")
    assert PASSWORD not in repr(connection)


def test_a_changed_key_is_a_clear_error_with_the_way_out(office, monkeypatch):
    with office.session() as session:
        add_shop(session)
    monkeypatch.setenv(secrets.KEY_ENV, Fernet.generate_key().decode())
    with office.session() as session, pytest.raises(ConfigError) as caught:
        integrations.connection(integrations.get(session, "shop"))
    assert "The password of integration 'shop' cannot be decrypted" in str(caught.value)
    assert "ecom integration set shop --ask-password" in str(caught.value)


def test_a_successful_test_is_remembered_until_the_connection_changes(office):
    at = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    with office.session() as session:
        shop = add_shop(session)
        assert integrations.last_test(shop) is None
        integrations.record_test(shop, ConnectionReport(message="Connected"), at=at)
    with office.session() as session:
        shop = integrations.get(session, "shop")
        assert integrations.last_test(shop) == integrations.ConnectionTest(at=at, message="Connected")
        assert integrations.load_settings(session, shop) == settings()  # the record is not a setting
        integrations.save_settings(session, shop, settings().model_copy(update={"notify": Notify()}))
        assert integrations.last_test(shop) is not None  # saving settings keeps it
        assert integrations.update_connection(session, shop, website_name="Dana's Shop") is True
        assert integrations.last_test(shop) is not None  # a new display name is not a new connection
        integrations.update_connection(session, shop, api_url="https://other.example")
        assert integrations.last_test(shop) is None
        integrations.record_test(shop, ConnectionReport(message="Connected"), at=at)
        integrations.set_password(session, shop, "another")
        assert integrations.last_test(shop) is None


def test_enabled_operations_follow_the_switches():
    assert integrations.enabled_operations(IntegrationSettings()) == {"fetch_orders"}
    assert integrations.enabled_operations(settings()) == {"fetch_orders", "push_status", "push_inventory", "fetch_products"}


def test_names_are_unique_and_usable(office):
    with office.session() as session:
        add_shop(session)
        with pytest.raises(SettingsError, match="name: an integration named 'shop' already exists"):
            add_shop(session)
        with pytest.raises(SettingsError) as caught:
            integrations.create(session, " bad/name", "Shop Ify")
    assert [p.split(":")[0] for p in caught.value.problems] == ["name", "cart"]


def test_an_unknown_name_lists_the_known_ones(office):
    with office.session() as session:
        add_shop(session)
        with pytest.raises(ConfigError, match=r"No integration named 'shpo': the integrations are: shop\."):
            integrations.get(session, "shpo")


def test_removing_takes_grids_and_bindings_but_not_while_a_job_runs(office):
    with office.session() as session:
        shop = add_shop(session)
        session.add(m.ExternalRef(integration_id=shop.id, kind="order", external_id="1"))
        session.add(m.Job(integration_id=shop.id, status=m.JobStatus.RUNNING))
    with office.session() as session, pytest.raises(ConfigError, match="has a sync job running"):
        integrations.remove(session, integrations.get(session, "shop"))
    with office.session() as session:
        for job in session.exec(select(m.Job)):
            job.status = m.JobStatus.SUCCEEDED
            session.add(job)
    with office.session() as session:
        integrations.remove(session, integrations.get(session, "shop"))
    with office.session() as session:
        assert integrations.list_integrations(session) == []
        for table in (*integrations.GRID_TABLES, m.ExternalRef, m.Job):
            assert session.exec(select(table)).all() == [], table.__name__


def test_stored_settings_that_no_longer_fit_are_reported(office):
    with office.session() as session:
        shop = add_shop(session)
        shop.settings = {**shop.settings, "preferences": {**shop.settings["preferences"], "customer_match": "telepathy"}}
        session.add(shop)
    with office.session() as session, pytest.raises(SettingsError, match="preferences.customer_match: Input should be"):
        integrations.load_settings(session, integrations.get(session, "shop"))


DOC = Path(__file__).resolve().parent.parent / "docs" / "integrations.md"


def test_the_docs_describe_every_setting():
    text = DOC.read_text()
    for section, info in IntegrationSettings.model_fields.items():
        tab = text.split(f"(`[{section}]`)", 1)[1].split("\n### ", 1)[0]
        for name, field in info.annotation.model_fields.items():
            assert f"| `{field.alias or name}` |" in tab, f"docs/integrations.md does not describe {section}.{field.alias or name}"


def test_the_docs_example_file_applies_as_it_is(office, monkeypatch):
    example = DOC.read_text().split("```toml\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("SHOP_TOKEN", PASSWORD)
    with office.session() as session:
        result = integration_file.apply_text(session, example, source="the docs' example")
        assert result.created and result.integration.active
        assert integrations.load_settings(session, result.integration).shipping.default_method == "UPS Ground"
