"""A small back office, full integration settings and one order, shared by the integration tests."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ecom import hookspecs
from ecom import models as m
from ecom.errors import AuthError
from ecom.records import CartInfo, ConnectionFields, ConnectionReport, WebOrderStatus
from ecom.settings import IntegrationSettings

D = Decimal
PASSWORD = "shpat_Zq8-very-secret-token"


def seed(session: Session) -> None:
    """Every list the settings below name, plus a few things they must not be confused with."""
    freight = m.Item(sku="FREIGHT", name="Freight", type=m.ItemType.OTHER_CHARGE, taxable=False)
    discount_item = m.Item(sku="DISCOUNT", name="Discount", type=m.ItemType.DISCOUNT, taxable=False)
    tee = m.Item(sku="TEE-BLK-M", name="Logo Tee", price=D("25.00"))
    session.add_all([freight, discount_item, tee, m.Item(sku="MUG-WHT", name="Enamel Mug", price=D("12.50"))])
    session.add_all([m.Item(sku="WRAP", name="Gift wrap", type=m.ItemType.SERVICE), m.Item(sku="SHIPPING", name="Shipping", type=m.ItemType.SERVICE)])
    session.flush()
    session.add_all(
        [
            m.ShipMethod(name="UPS Ground", other_charge_item_id=freight.id),
            m.ShipMethod(name="USPS Priority", other_charge_item_id=freight.id),
            m.ShipMethod(name="Pickup"),
            m.ShipMethod(name="Odd", other_charge_item_id=tee.id),
            m.Location(name="Main"),
            m.Location(name="East"),
            m.ItemGroup(name="Web"),
            m.TransactionClass(name="Web"),
            m.SalesRep(name="Pat"),
            m.CustomerType(name="Retail"),
            m.SalesTaxCode(name="Tax", taxable=True),
            m.SalesTaxCode(name="Non", taxable=False),
            m.ItemSalesTax(name="NY 8.875%", rate=D("0.08875")),
            m.ItemSalesTax(name="CA 7.25%", rate=D("0.0725")),
            m.ItemSalesTax(name="Default 6%", rate=D("0.06")),
            m.ItemSalesTax(name="Exempt", rate=D("0")),
            m.PaymentMethod(name="Credit Card"),
            m.PaymentMethod(name="PayPal"),
            m.Term(name="Prepaid", term_type=m.TermType.CREDIT_CARD),
            m.Term(name="Net 30", term_type=m.TermType.ACCOUNTS_RECEIVABLE),
            m.Discount(name="Web Discount", item_id=discount_item.id),
            m.Discount(name="Welcome", item_id=discount_item.id),
            m.Discount(name="Loose"),
            m.Customer(name="Web Taxable", taxable=True),
            m.Customer(name="Web Exempt", taxable=False),
            m.CustomField(name="Web Order #", applies_to=m.CustomFieldTarget.TRANSACTION),
            m.CustomField(name="Loyalty", applies_to=m.CustomFieldTarget.CUSTOMER),
        ]
    )


SETTINGS = {
    "general": {
        "update_order_status": True,
        "locations": ["Main", "East"],
        "update_inventory": True,
        "include_buildable": True,
        "location_map": {"Main": "gid://shopify/Location/1"},
        "import_products": True,
        "import_product_group": "Web",
        "cart_items": [{"sku": "TEE-BLK-M", "cart_id": "tee-1"}],
        "driver_options": {"api_version": "2025-01", "page_size": 50},
    },
    "preferences": {
        "taxable_proxy": "Web Taxable",
        "nontaxable_proxy": "Web Exempt",
        "customer_match": "cart_id",
        "customer_type": "Retail",
        "sales_rep": "Pat",
        "statuses": ["processing", "approved"],
        "financial_statuses": ["paid"],
        "cart_status_after_import": "imported",
        "location": "Main",
        "class": "Web",
        "web_order_number_field": "Web Order #",
        "hold_if_total_over": "1000.00",
    },
    "sales_tax": {
        "taxable_code": "Tax",
        "taxable_item_tax": "Default 6%",
        "states": {"NY": "NY 8.875%", "CA": "CA 7.25%"},
        "nontaxable_code": "Non",
        "nontaxable_item_tax": "Exempt",
        "nontaxable_shipping_tax": "Exempt",
    },
    "shipping": {
        "default_method": "UPS Ground",
        "methods": [
            {"method": "USPS Priority", "cart_method": "Priority Mail", "cart_carrier": "USPS"},
            {"method": "UPS Ground", "cart_method": "Standard (3-5 days)"},
        ],
        "fee_item": "WRAP",
    },
    "payments": {
        "import_payment": True,
        "default_method": "Credit Card",
        "default_term": "Prepaid",
        "methods": [{"method": "PayPal", "term": "Prepaid", "cart_method": "paypal"}, {"method": "Credit Card", "cart_method": "invoice", "term": "Net 30"}],
    },
    "discounts": {"default_discount": "Web Discount", "codes": [{"discount": "Welcome", "cart_code": "WELCOME10"}]},
    "schedule": {"enabled": True, "frequency": "daily", "interval": 1, "time": "06:30:00"},
    "notify": {"recipients": ["ops@example.com"]},
}


def settings() -> IntegrationSettings:
    return IntegrationSettings.model_validate(SETTINGS)


ORDER = {
    "external_id": "5931274601234",
    "number": "#1042",
    "created_at": "2025-03-14T10:21:07-04:00",
    "updated_at": "2025-03-14T10:23:55-04:00",
    "currency": "USD",
    "status": "processing",
    "financial_status": "paid",
    "customer": {"external_id": "7312345678901", "email": "dana@example.net", "first_name": "Dana", "last_name": "Keller"},
    "billing": {"first_name": "Dana", "last_name": "Keller", "line1": "210 W 29th St", "city": "New York", "state": "NY",
                "postal_code": "10001", "country": "US"},
    "shipping": {"first_name": "Dana", "last_name": "Keller", "line1": "210 W 29th St", "city": "New York", "state": "NY",
                 "postal_code": "10001", "country": "US"},
    "lines": [
        {"external_id": "1", "sku": "TEE-BLK-M", "name": "Logo Tee", "quantity": 2, "unit_price": "25.00", "discount": "5.00",
         "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "3.99"}]},
        {"external_id": "2", "sku": "MUG-WHT", "name": "Enamel Mug", "quantity": 1, "unit_price": "12.50", "discount": "1.25",
         "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "1.00"}]},
    ],
    "shipping_lines": [{"title": "Standard (3-5 days)", "code": "STANDARD", "price": "5.90"}],
    "discounts": [{"code": "WELCOME10", "amount": "6.25", "kind": "percentage"}],
    "payments": [{"method": "paypal"}],
    "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "4.99"}],
    "total_tax": "4.99",
    "total": "67.14",
}  # fmt: skip


def order_json(**changes: object) -> str:
    return json.dumps({**ORDER, **changes})


def all_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table in the database (reflected, so tables of any module count)."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted((tuple(str(v) for v in row) for row in connection.execute(sa.select(table))), key=str)
            for name, table in sorted(metadata.tables.items())
        }


class ShopDriver:
    """A small cart driver: accepts :data:`PASSWORD`, refuses anything else in the cart's words."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[str]]] = []

    @hookspecs.hookimpl
    def describe_cart(self) -> CartInfo:
        return CartInfo(
            kind="testshop",
            title="Test Shop",
            fields=ConnectionFields(website_name="shop name", api_url="shop URL", username="not used", password="access token"),
            statuses={"open": WebOrderStatus.PROCESSING, "archived": "archived"},
        )

    @hookspecs.hookimpl
    def test_connection(self, connection, operations) -> ConnectionReport:
        token = connection.password.get_secret_value()
        self.calls.append((connection.api_url, token == PASSWORD, sorted(operations)))
        if token != PASSWORD:
            raise AuthError(f"[API] Invalid API key or access token {token} (unrecognized login or wrong password)", status=401)
        return ConnectionReport(message="Connected to Dana's Shop", details={"plan": "basic"}, warnings=["read_orders only"])
