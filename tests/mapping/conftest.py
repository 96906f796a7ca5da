"""An in-memory back office and a sample order for the mapping rules' tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from ecom.mapping.lookups import CustomerInfo, ItemInfo, ShipMethodInfo, normalise
from ecom.records import CartOrder
from ecom.settings import IntegrationSettings

D = Decimal


@dataclass
class MemoryLookups:
    """The back office as plain dicts; the same protocol the job's database lookups implement."""

    items: dict[str, ItemInfo] = field(default_factory=dict)
    customers: dict[str, CustomerInfo] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (rule, key) -> customer name
    ship_tos: dict[tuple[str, str], int] = field(default_factory=dict)  # (customer, address key) -> id
    rates: dict[str, Decimal] = field(default_factory=dict)
    ship_methods: dict[str, ShipMethodInfo] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)

    def item(self, sku):
        return self.items.get(sku)

    def customer(self, name):
        return self.customers.get(name)

    def find_customer(self, rule, key):
        name = self.keys.get((rule, key))
        return self.customers[name] if name else None

    def find_ship_to(self, customer, key):
        return self.ship_tos.get((customer, key))

    def item_sales_tax_rate(self, name):
        return self.rates.get(name)

    def ship_method(self, name):
        return self.ship_methods.get(name)

    def term_type(self, name):
        return self.terms.get(name)

    def add_customer(self, name, taxable=True, **keys):
        self.customers[name] = CustomerInfo(name, taxable)
        for rule, key in keys.items():
            self.keys[(rule, key)] = name


@pytest.fixture
def back_office() -> MemoryLookups:
    bo = MemoryLookups()
    for sku, name in [("TEE-BLK-M", "Logo Tee"), ("MUG-WHT", "Enamel Mug"), ("SHIP", "Shipping"), ("WRAP", "Gift wrap")]:
        bo.items[sku] = ItemInfo(sku, name, "inventory", True, True)
    bo.items["FREIGHT"] = ItemInfo("FREIGHT", "Freight", "other_charge", False, True)
    bo.rates.update({"NY 8.875%": D("0.08875"), "CA 7.25%": D("0.0725"), "Default 6%": D("0.06"), "Exempt": D("0")})
    bo.ship_methods["UPS Ground"] = ShipMethodInfo("UPS Ground", "FREIGHT")
    bo.ship_methods["USPS Priority"] = ShipMethodInfo("USPS Priority", "FREIGHT")
    bo.ship_methods["Pickup"] = ShipMethodInfo("Pickup", None)
    bo.terms.update({"Prepaid": "credit_card", "Net 30": "accounts_receivable"})
    bo.add_customer("Web Taxable", taxable=True)
    bo.add_customer("Web Exempt", taxable=False)
    return bo


@pytest.fixture
def settings() -> IntegrationSettings:
    return IntegrationSettings.model_validate(
        {
            "preferences": {"initial_status": "open", "location": "Main", "class": "Web"},
            "sales_tax": {
                "taxable_code": "Tax",
                "taxable_item_tax": "Default 6%",
                "states": {"ny": "NY 8.875%", "CA": "CA 7.25%"},
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
                "methods": [{"method": "PayPal", "term": "Prepaid", "cart_method": "paypal"}],
            },
            "discounts": {"default_discount": "Web Discount", "codes": [{"discount": "Welcome", "cart_code": "welcome10"}]},
        }
    )


def sample_order(**changes) -> CartOrder:
    """The documented Shopify example order (cart-apis.md §1.10) as a canonical record.

    Lines 62.50, 10 % code -6.25, shipping 5.90, NY tax 4.99, total 67.14.
    """
    data = {
        "external_id": "5931274601234",
        "number": "#1042",
        "created_at": "2025-03-14T10:21:07-04:00",
        "updated_at": "2025-03-14T10:23:55-04:00",
        "currency": "USD",
        "status": "processing",
        "financial_status": "paid",
        "sales_channel": "web",
        "customer": {"external_id": "7312345678901", "email": "Dana.Keller@example.net", "first_name": "Dana", "last_name": "Keller"},
        "billing": {
            "first_name": "Dana", "last_name": "Keller", "line1": "210 W 29th St", "line2": "Apt 4B", "city": "New York",
            "state": "NY", "postal_code": "10001", "country": "US", "phone": "+12125550143",
        },
        "shipping": {
            "first_name": "Dana", "last_name": "Keller", "line1": "210 W 29th St", "line2": "Apt 4B", "city": "New York",
            "state": "NY", "postal_code": "10001", "country": "US",
        },
        "lines": [
            {"external_id": "1", "sku": "TEE-BLK-M", "name": "Logo Tee", "quantity": 2, "unit_price": "25.00", "discount": "5.00",
             "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "3.99"}]},
            {"external_id": "2", "sku": "MUG-WHT", "name": "Enamel Mug", "quantity": 1, "unit_price": "12.50", "discount": "1.25",
             "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "1.00"}]},
        ],
        "shipping_lines": [{"title": "Standard (3-5 days)", "code": "STANDARD", "price": "5.90"}],
        "discounts": [{"code": "WELCOME10", "amount": "6.25", "kind": "percentage"}],
        "payments": [{"method": "shopify_payments"}],
        "tax_lines": [{"title": "NY Sales Tax", "rate": "0.08875", "amount": "4.99"}],
        "total_tax": "4.99",
        "total": "67.14",
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return CartOrder.model_validate(data)


def address_key(order: CartOrder) -> str:
    a = order.shipping
    return normalise(a.name, a.line1, a.city, a.postal_code, a.country)
