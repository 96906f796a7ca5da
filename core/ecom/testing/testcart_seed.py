"""Realistic, deterministic data for the Test Cart fake (:mod:`ecom.testing.testcart_fake`).

Orders look like a small US store's: one to four lines from the catalogue with line taxes
(split into state and local taxes), percentage and fixed discounts spread over the lines,
shipping lines (taxed where the state taxes shipping), the occasional fee, guest and registered
customers, tax-exempt businesses, customers in Canada, the UK, Germany and Japan with their own
taxes, names and addresses in their own scripts, every order status, and archived orders. The
same random generator state gives the same data; totals always add up (see the API docs).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

STORE_TZ = timezone(timedelta(hours=-5))
BASE_TIME = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
CENT = Decimal("0.01")


def stamp(when: datetime) -> str:
    """A time as Test Cart writes it: the store's offset, whole seconds."""
    return when.astimezone(STORE_TZ).isoformat(timespec="seconds")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, ROUND_HALF_UP))


@dataclass(frozen=True)
class Item:
    """A catalogue entry."""

    sku: str
    name: str
    price: str
    weight: str | None
    taxable: bool = True
    track_stock: bool = True


CATALOGUE = (
    Item("TC-MUG-WHT", "Enamel Mug, White", "12.50", "0.35"),
    Item("TC-MUG-BLK", "Enamel Mug, Black", "12.50", "0.35"),
    Item("TC-TEE-BLK-M", "Logo Tee, Black / M", "25.00", "0.20"),
    Item("TC-TEE-BLK-L", "Logo Tee, Black / L", "25.00", "0.22"),
    Item("TC-HOOD-GRY-L", "Hoodie, Grey / L", "54.00", "0.65"),
    Item("TC-CAP-NVY", "Twill Cap, Navy", "19.95", "0.12"),
    Item("TC-COF-250", "Café Blend Coffee, 250 g", "14.00", "0.27"),
    Item("TC-TEA-MATCHA", "Uji Matcha 抹茶, 40 g", "22.00", "0.08"),
    Item("TC-BAG-TOTE", "Canvas Tote Bag", "18.00", "0.30"),
    Item("TC-BTL-750", "Insulated Bottle, 750 ml", "32.00", "0.45"),
    Item("TC-STK-PACK", "Sticker Pack (5)", "6.50", "0.02"),
    Item("TC-GIFT-25", "Gift Card $25", "25.00", None, taxable=False, track_stock=False),
)


@dataclass(frozen=True)
class Person:
    """A buyer: ``customer_id`` None is a guest; ``tax_key`` picks the taxes of their address."""

    first: str
    last: str
    email: str
    phone: str | None
    company: str | None
    customer_id: int | None
    tax_exempt: bool
    street1: str
    street2: str | None
    city: str
    region: str | None
    postcode: str
    country: str

    @property
    def tax_key(self) -> str:
        return f"{self.country}-{self.region}" if self.country in ("US", "CA") else self.country


PEOPLE = (
    Person("Dana", "Keller", "dana.keller@example.net", "+1 212 555 0143", None, 501, False,
           "210 W 29th St", "Apt 4B", "New York", "NY", "10001", "US"),
    Person("Marcus", "Lee", "purchasing@leehardware.example", "+1 512 555 0199", "Lee Hardware Co.", 502, True,
           "1100 Congress Ave", "Suite 300", "Austin", "TX", "78701", "US"),
    Person("Ana Lucía", "Pérez", "ana.perez@example.com", "+1 305 555 0117", None, None, False,
           "1450 Brickell Ave", None, "Miami", "FL", "33131", "US"),
    Person("Priya", "Raman", "priya.raman@example.org", None, None, None, False,
           "88 S 3rd St", None, "San Jose", "CA", "95113", "US"),
    Person("Sam", "O'Brien", "sam.obrien@example.net", "+1 503 555 0188", None, 503, False,
           "925 SW Morrison St", None, "Portland", "OR", "97205", "US"),
    Person("Olúwaseun", "Adébáyọ̀", "seun@adebayo-studio.example", "+1 312 555 0150", "Adébáyọ̀ Studio", 504, True,
           "233 S Wacker Dr", "Floor 12", "Chicago", "IL", "60606", "US"),
    Person("Zoë", "Ashford", "zoe.ashford@example.co.uk", "+44 20 7946 0321", None, 505, False,
           "14 Gower St", None, "London", None, "WC1E 6DP", "GB"),
    Person("Jürgen", "Müller", "j.mueller@example.de", "+49 30 5550123", None, None, False,
           "Torstraße 140", None, "Berlin", "BE", "10119", "DE"),
    Person("Renée", "Côté", "renee.cote@example.ca", "+1 514 555 0166", None, 506, False,
           "1250 Rue Sainte-Catherine O", "App. 7", "Montréal", "QC", "H3G 1P1", "CA"),
    Person("太郎", "山田", "taro.yamada@example.jp", "+81 3-5555-0101", None, 507, False,
           "丸の内1-9-1", None, "千代田区", "東京都", "100-0005", "JP"),
)

#: Taxes by address (US: state and local; Québec: GST and QST), as (name, rate).
TAXES: dict[str, tuple[tuple[str, str], ...]] = {
    "US-NY": (("NY State Tax", "0.04"), ("New York City Tax", "0.04875")),
    "US-TX": (("TX State Tax", "0.0625"), ("Austin City Tax", "0.02")),
    "US-FL": (("FL State Tax", "0.06"), ("Miami-Dade County Surtax", "0.01")),
    "US-CA": (("CA State Tax", "0.0725"), ("Santa Clara County Tax", "0.0175")),
    "US-IL": (("IL State Tax", "0.0625"), ("Chicago City Tax", "0.04")),
    "US-OR": (),
    "GB": (("VAT", "0.20"),),
    "DE": (("MwSt.", "0.19"),),
    "CA-QC": (("GST", "0.05"), ("QST", "0.09975")),
    "JP": (("消費税", "0.10"),),
}
TAXED_SHIPPING = frozenset({"US-NY", "US-TX", "GB", "DE", "CA-QC", "JP"})
SHIPPING_US = (("Ground", "GND", "UPS", "5.90"), ("2-Day Air", "2DA", "UPS", "14.50"),
               ("Priority Mail", "PM", "USPS", "8.40"), ("Free Shipping", "FREE", None, "0.00"))
SHIPPING_INTL = (("International Economy", "INTL-ECO", "DHL", "24.00"),
                 ("International Express", "INTL-EXP", "FedEx", "39.00"))
DISCOUNTS = (("WELCOME10", "percentage", "10"), ("SPRING5", "fixed_amount", "5.00"), ("VIP15", "percentage", "15"))
#: Statuses in turn, so a dozen orders hold every one; every tenth order is archived.
STATUS_CYCLE = ("paid", "pending", "paid", "authorized", "on_hold", "shipped", "paid", "completed",
                "cancelled", "refunded", "shipped", "completed")
PAYMENT_STATUS = {"pending": "pending", "on_hold": "pending", "authorized": "authorized", "paid": "paid",
                  "shipped": "paid", "completed": "paid", "cancelled": "voided", "refunded": "refunded"}
NOTES = (None, None, None, "Please leave at the back door.", "Bitte beim Nachbarn abgeben.",
         "置き配を希望します。", "Gift: no prices on the packing slip, please.")
TAGS = ([], [], ["repeat-buyer"], ["gift"], ["vip", "repeat-buyer"])


def seed_products(
    rng: random.Random, count: int, *, taken: set[str], new_id: Callable[[str], int]
) -> list[dict[str, Any]]:
    """``count`` products: catalogue entries the cart lacks first, then generated ones."""
    products: list[dict[str, Any]] = []
    extra = 0
    items = iter(CATALOGUE)
    while len(products) < count:
        item = next(items, None)
        if item is None:
            extra += 1
            price = money(Decimal(rng.randint(300, 9000)) / 100)
            item = Item(f"TC-EXTRA-{extra:03d}", f"Sample Product {extra:03d}", price, "0.50")
        if item.sku in taken:
            continue
        created = BASE_TIME - timedelta(days=60) + timedelta(hours=len(products) + len(taken))
        products.append({
            "id": new_id("product"), "sku": item.sku, "name": item.name,
            "description": f"{item.name}, from the Test Cart catalogue.", "price": item.price, "currency": "USD",
            "weight": item.weight, "weight_unit": "kg" if item.weight else None, "active": True,
            "taxable": item.taxable, "track_stock": item.track_stock,
            "stock": rng.randint(0, 120) if item.track_stock else 0,
            "created_at": stamp(created), "updated_at": stamp(created + timedelta(days=rng.randint(0, 30))),
        })
    return products


def seed_orders(
    rng: random.Random, count: int, catalogue: list[dict[str, Any]], *, start: int, new_id: Callable[[str], int]
) -> list[dict[str, Any]]:
    """``count`` orders of the ``catalogue``'s products, the first being the cart's ``start``-th."""
    return [_order(rng, start + k, catalogue, new_id) for k in range(count)]


def _order(rng: random.Random, index: int, catalogue: list[dict[str, Any]], new_id: Callable[[str], int]) -> dict[str, Any]:
    person = PEOPLE[rng.randrange(len(PEOPLE))]
    status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
    archived = index % 10 == 9
    if archived and status not in ("completed", "cancelled", "refunded"):
        status = "completed"
    created = BASE_TIME + timedelta(hours=3 * index, minutes=rng.randrange(170))
    updated = created + timedelta(minutes=rng.choice((0, 4, 35, 180, 1440, 4320)))
    rates = () if person.tax_exempt else TAXES.get(person.tax_key, ())
    taxes: dict[str, Decimal] = {}

    def taxed(base: Decimal) -> list[dict[str, str]]:
        lines = []
        for name, rate in rates:
            amount = (base * Decimal(rate)).quantize(CENT, ROUND_HALF_UP)
            taxes[name] = taxes.get(name, Decimal(0)) + amount
            lines.append({"name": name, "rate": rate, "amount": money(amount)})
        return lines

    picks = rng.sample(catalogue, k=min(len(catalogue), rng.randint(1, 4)))
    quantities = [rng.randint(1, 3) for _ in picks]
    subtotals = [q * Decimal(p["price"] or "0") for p, q in zip(picks, quantities, strict=True)]
    discounts, shares = _discounts(rng, subtotals)
    items = []
    for product, quantity, subtotal, share in zip(picks, quantities, subtotals, shares, strict=True):
        items.append({
            "id": new_id("line"), "product_id": product["id"], "sku": product["sku"], "name": product["name"],
            "quantity": quantity, "unit_price": money(Decimal(product["price"] or "0")), "discount": money(share),
            "taxable": product["taxable"], "taxes": taxed(subtotal - share) if product["taxable"] else [],
        })
    method, code, carrier, price = rng.choice(SHIPPING_US if person.country == "US" else SHIPPING_INTL)
    shipping_taxes = taxed(Decimal(price)) if person.tax_key in TAXED_SHIPPING and Decimal(price) else []
    shipping = [
        {"id": new_id("shipping"), "method": method, "code": code, "carrier": carrier, "price": price,
         "taxes": shipping_taxes}
    ]
    fees = [{"id": new_id("fee"), "name": "Gift wrap", "amount": "4.00", "taxable": False}] if rng.random() < 0.1 else []
    tax_total = sum(taxes.values(), Decimal(0))
    total = (
        sum(subtotals, Decimal(0)) - sum(shares, Decimal(0)) + Decimal(price)
        + sum((Decimal(f["amount"]) for f in fees), Decimal(0)) + tax_total
    )
    payment_status = PAYMENT_STATUS[status]
    paid = payment_status in ("paid", "authorized", "refunded")
    order_id = new_id("order")
    fulfillments = []
    if status in ("shipped", "completed"):
        fulfillments.append({
            "id": new_id("fulfillment"), "tracking_number": f"1Z{rng.getrandbits(60):016X}", "carrier": carrier or "UPS",
            "tracking_url": None, "shipped_at": stamp(created + timedelta(hours=20)),
        })
        updated = max(updated, created + timedelta(hours=20))
    recipient = rng.choice(PEOPLE) if rng.random() < 0.2 else person
    return {
        "id": order_id, "number": f"TC-{order_id}", "status": status, "payment_status": payment_status,
        "fulfillment_status": "fulfilled" if fulfillments else "unfulfilled",
        "channel": rng.choices(("web", "mobile_app", "marketplace"), weights=(7, 2, 1))[0], "currency": "USD",
        "created_at": stamp(created), "updated_at": stamp(updated),
        "archived_at": stamp(updated) if archived else None, "prices_include_tax": False,
        "customer": {
            "id": person.customer_id, "email": person.email, "first_name": person.first, "last_name": person.last,
            "company": person.company, "phone": person.phone, "tax_exempt": person.tax_exempt,
        },
        "billing_address": {**_address(person), "phone": person.phone, "email": person.email},
        "shipping_address": {**_address(recipient), "phone": recipient.phone, "email": None},
        "items": items, "shipping": shipping, "fees": fees, "discounts": discounts,
        "payments": [{
            "method": "purchase_order" if person.tax_exempt else rng.choice(("credit_card", "paypal", "apple_pay")),
            "amount": money(total if paid else Decimal(0)), "reference": f"pay_{rng.getrandbits(40):010x}",
        }],
        "taxes": [{"name": n, "amount": money(a)} for n, a in taxes.items()],
        "tax_total": money(tax_total), "total": money(total),
        "note": rng.choice(NOTES), "tags": ["wholesale"] if person.tax_exempt else list(rng.choice(TAGS)),
        "fulfillments": fulfillments,
    }


def _discounts(rng: random.Random, subtotals: list[Decimal]) -> tuple[list[dict[str, str]], list[Decimal]]:
    """Maybe a discount code; its amount and each line's share of it (the last line takes the
    rounding remainder)."""
    subtotal = sum(subtotals, Decimal(0))
    if not subtotal or rng.random() >= 0.35:
        return [], [Decimal(0)] * len(subtotals)
    code, kind, value = rng.choice(DISCOUNTS)
    amount = subtotal * Decimal(value) / 100 if kind == "percentage" else min(Decimal(value), subtotal)
    amount = amount.quantize(CENT, ROUND_HALF_UP)
    shares = [(amount * s / subtotal).quantize(CENT, ROUND_HALF_UP) for s in subtotals[:-1]]
    shares.append(amount - sum(shares, Decimal(0)))
    return [{"code": code, "type": kind, "amount": money(amount)}], shares


def _address(person: Person) -> dict[str, Any]:
    return {
        "first_name": person.first, "last_name": person.last, "company": person.company, "street1": person.street1,
        "street2": person.street2, "city": person.city, "region": person.region, "postcode": person.postcode,
        "country": person.country,
    }
