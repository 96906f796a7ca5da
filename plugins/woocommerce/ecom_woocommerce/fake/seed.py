"""Realistic WooCommerce data for the fake store: a catalogue and orders, from a seed.

Orders follow WooCommerce's arithmetic (REST API docs, "Orders"): line ``subtotal``/``total`` are
ex-tax before/after discounts, ``price`` is ``total / quantity`` as a number, shipping is entered
ex-tax, ``total = Σ line totals + shipping_total + Σ fee totals + total_tax``. A store whose prices
include tax (EU style) derives the ex-tax amounts from the gross price. Generated orders cover
guests and registered customers, US and non-US addresses with unicode names, coupons, fees,
several shipping methods, tax-exempt (VAT-exempt) companies, refunds, and every status.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")

#: (first, last, company, address_1, city, state, postcode, country, phone, tax rate id)
ADDRESSES = [
    ("Dana", "Keller", "", "210 W 29th St", "New York", "NY", "10001", "US", "+1 212 555 0143", 1),
    ("Miguel", "Ortiz", "", "1800 Mission St", "San Francisco", "CA", "94103", "US", "+1 415 555 0188", 2),
    ("Ava", "Nguyen", "Nguyen Design LLC", "500 Congress Ave", "Austin", "TX", "78701", "US", "+1 512 555 0110", 3),
    ("Zoë", "Brennan", "", "77 Harbor Rd", "Portland", "OR", "97201", "US", "", 0),
    ("Jonas", "Weber", "", "Torstraße 140", "Berlin", "BE", "10119", "DE", "+49 30 5550123", 4),
    ("Jürgen", "Groß", "Groß & Söhne GmbH", "Maximilianstraße 12", "München", "BY", "80539", "DE", "+49 89 5550199", 4),
    ("Élodie", "Lefèvre", "", "8 Rue de la République", "Saint-Étienne", "", "42000", "FR", "+33 4 55 50 12 34", 5),
    ("Łukasz", "Wiśniewski", "", "ul. Piotrkowska 104", "Łódź", "", "90-006", "PL", "+48 42 555 01 77", 0),
    ("Søren", "Ærø", "", "Vestergade 3", "Ærøskøbing", "", "5970", "DK", "", 0),
    ("太郎", "山田", "", "道玄坂1-2-3", "渋谷区", "JP13", "150-0043", "JP", "+81 3-5550-0100", 0),
    ("João", "Conceição", "", "Av. Paulista, 1578", "São Paulo", "SP", "01310-200", "BR", "+55 11 5555-0101", 0),
    ("Chloé", "Tremblay", "", "1200 Rue Sainte-Catherine", "Montréal", "QC", "H3B 1K9", "CA", "", 0),
    ("Siobhán", "O'Connor", "", "14 Baker St", "London", "", "W1U 3BW", "GB", "+44 20 5550 0142", 0),
]
#: tax rate id → (rate code, label, percent)
TAX_RATES = {
    1: ("US-NY-NY SALES TAX-1", "NY Sales Tax", Decimal("8.875")),
    2: ("US-CA-CA TAX-1", "CA Tax", Decimal("7.25")),
    3: ("US-TX-TX STATE TAX-1", "TX State Tax", Decimal("6.25")),
    4: ("DE-MWST-1", "MwSt.", Decimal("19")),
    5: ("FR-TVA-1", "TVA", Decimal("20")),
}
SHIPPING = [
    ("flat_rate", "Flat rate", Decimal("5.90")), ("free_shipping", "Free shipping", Decimal("0")),
    ("local_pickup", "Local pickup", Decimal("0")), ("flat_rate", "DHL Paket", Decimal("4.90")),
    ("flat_rate", "UPS Ground", Decimal("9.50")), ("flat_rate", "Colissimo Suivi", Decimal("6.40")),
]
PAYMENTS = [
    ("stripe", "Credit card (Stripe)"), ("ppcp-gateway", "PayPal"), ("bacs", "Direct bank transfer"),
    ("cod", "Cash on delivery"), ("cheque", "Check payments"),
]
COUPONS = [("spring10", "percent", Decimal("10")), ("welcome5", "fixed_cart", Decimal("5")), ("vip20", "percent", Decimal("20"))]
STATUSES = ["processing", "completed", "on-hold", "pending", "cancelled", "refunded", "failed", "trash"]
STATUS_WEIGHTS = [35, 25, 8, 8, 6, 4, 4, 5]
PRODUCTS = [
    ("Enamel Mug", "MUG", "12.50", None, None), ("Logo Tee", "TEE", "25.00", ["Black", "White"], ["S", "M", "L"]),
    ("Sticker Set", "STK", "4.00", None, None), ("Hoodie", "HOOD", "59.00", ["Grey", "Navy"], ["M", "L", "XL"]),
    ("Canvas Tote", "TOTE", "18.00", None, None), ("Café Crème Beans 1 kg", "BEAN", "21.90", None, None),
    ("Wool Beanie", "BEANIE", "22.00", ["Red", "Mustard", "Forest"], None), ("Notebook A5", "NOTE", "9.95", None, None),
]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def catalogue(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` sellable items as simple products and variable products with variations:
    ``[{"name", "sku", "price", "weight", "stock", "variations": [{"sku", "attributes", ...}]}]``."""
    out: list[dict[str, Any]] = []
    remaining, n = count, 0
    while remaining > 0:
        name, code, price, colours, sizes = PRODUCTS[n % len(PRODUCTS)]
        suffix = f"-{n // len(PRODUCTS) + 1}" if n >= len(PRODUCTS) else ""
        product: dict[str, Any] = {
            "name": name + (f" {n // len(PRODUCTS) + 1}" if suffix else ""), "sku": code + suffix, "price": price,
            "weight": f"{rng.choice([0.1, 0.25, 0.4, 0.8, 1.2]):g}", "stock": rng.randint(0, 200), "variations": [],
        }
        if colours and remaining >= 2:
            combos = [(c, s) for c in colours for s in (sizes or [None])][:remaining]
            for colour, size in combos:
                attrs = [("Colour", colour)] + ([("Size", size)] if size else [])
                sku = "-".join([code + suffix, colour[:3].upper()] + ([size] if size else []))
                product["variations"].append({"sku": sku, "attributes": attrs, "price": price, "stock": rng.randint(0, 80)})
            remaining -= len(combos)
        else:
            remaining -= 1
        out.append(product)
        n += 1
    return out


@dataclass
class Sellable:
    """Something an order line can sell: product id, variation id (0 if none), name, SKU, price."""

    product_id: int
    variation_id: int
    name: str
    sku: str
    price: Decimal


def order(
    order_id: int, status: str, sellables: list[Sellable], rng: random.Random, now: datetime, utc_offset: timedelta,
    ids: Any,
) -> dict[str, Any]:
    """One realistic order in WooCommerce's JSON shape. ``ids()`` hands out line-item ids."""
    first, last, company, street, city, state, postcode, country, phone, rate_id = rng.choice(ADDRESSES)
    inclusive = country in ("DE", "FR")
    vat_exempt = bool(company) and country == "DE" and rng.random() < 0.5
    rate = Decimal(0) if vat_exempt or not rate_id else TAX_RATES[rate_id][2] / 100
    registered = rng.random() < 0.6
    email = f"{last.lower().replace(' ', '')}.{order_id}@example.{'org' if country != 'US' else 'com'}"
    coupon = rng.choice(COUPONS) if rng.random() < 0.25 else None
    picked = [(s, rng.randint(1, 3)) for s in rng.sample(sellables, k=min(len(sellables), rng.randint(1, 4)))]
    gross_sum = sum((s.price * qty for s, qty in picked), Decimal(0))
    lines = []
    for sellable, qty in picked:
        gross = sellable.price * qty  # what the buyer saw: tax included in an inclusive store
        off = Decimal(0)
        if coupon and coupon[1] == "percent":
            off = cents(gross * coupon[2] / 100)
        elif coupon and gross_sum:
            off = min(gross, cents(coupon[2] * gross / gross_sum))
        if inclusive:
            subtotal = cents(gross / (1 + rate))
            subtotal_tax, total = gross - subtotal, cents((gross - off) / (1 + rate))
            total_tax = gross - off - total
        else:
            subtotal, subtotal_tax = gross, cents(gross * rate)
            total = gross - off
            total_tax = cents(total * rate)
        lines.append({
            "id": ids(), "name": sellable.name, "product_id": sellable.product_id, "variation_id": sellable.variation_id,
            "quantity": qty, "tax_class": "", "subtotal": f"{subtotal}", "subtotal_tax": f"{subtotal_tax}",
            "total": f"{total}", "total_tax": f"{total_tax}",
            "taxes": [{"id": rate_id, "total": f"{total_tax}", "subtotal": f"{subtotal_tax}"}] if rate else [],
            "meta_data": [], "sku": sellable.sku, "price": float(total / qty),
        })
    method_id, method_title, ship = rng.choice(SHIPPING)
    ship_tax = cents(ship * rate)
    shipping_lines = [{
        "id": ids(), "method_title": method_title, "method_id": method_id, "instance_id": str(rng.randint(1, 9)),
        "total": f"{ship}", "total_tax": f"{ship_tax}",
        "taxes": [{"id": rate_id, "total": f"{ship_tax}"}] if rate else [], "meta_data": [],
    }]
    fee_lines = []
    if rng.random() < 0.1:
        fee, fee_tax = Decimal("3.00"), cents(Decimal("3.00") * rate)
        fee_lines.append({
            "id": ids(), "name": "Gift wrap", "tax_class": "", "tax_status": "taxable", "total": f"{fee}",
            "total_tax": f"{fee_tax}", "taxes": [{"id": rate_id, "total": f"{fee_tax}", "subtotal": ""}] if rate else [],
            "meta_data": [],
        })
    item_totals = sum((Decimal(li["total"]) for li in lines), Decimal(0))
    cart_tax = sum((Decimal(li["total_tax"]) for li in [*lines, *fee_lines]), Decimal(0))
    fees = sum((Decimal(f["total"]) for f in fee_lines), Decimal(0))
    total_tax = cart_tax + ship_tax
    total = item_totals + ship + fees + total_tax
    discount = sum((Decimal(li["subtotal"]) - Decimal(li["total"]) for li in lines), Decimal(0))
    discount_tax = sum((Decimal(li["subtotal_tax"]) - Decimal(li["total_tax"]) for li in lines), Decimal(0))
    created = now - timedelta(days=rng.uniform(1, 120))
    modified = min(now, created + timedelta(minutes=rng.randint(0, 4000)))
    paid = status in ("processing", "completed", "refunded") or (status == "trash" and rng.random() < 0.5)
    gateway = rng.choice(PAYMENTS)
    address = {
        "first_name": first, "last_name": last, "company": company, "address_1": street, "address_2": "",
        "city": city, "state": state, "postcode": postcode, "country": country,
    }
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{rng.getrandbits(48):012x}",
        "created_via": rng.choice(["checkout", "checkout", "checkout", "store-api", "admin"]), "version": "9.6.1",
        "status": status, "currency": "EUR" if inclusive else "USD",
        **_dates("date_created", created, utc_offset), **_dates("date_modified", modified, utc_offset),
        "discount_total": f"{discount}", "discount_tax": f"{discount_tax}", "shipping_total": f"{ship}",
        "shipping_tax": f"{ship_tax}", "cart_tax": f"{cart_tax}", "total": f"{total}", "total_tax": f"{total_tax}",
        "prices_include_tax": inclusive, "customer_id": rng.randint(2, 400) if registered else 0,
        "customer_ip_address": f"203.0.113.{rng.randint(1, 254)}", "customer_user_agent": "Mozilla/5.0",
        "customer_note": rng.choice(["", "", "", "Bitte beim Nachbarn abgeben.", "Leave at the back door, please 🙏"]),
        "billing": {**address, "email": email, "phone": phone}, "shipping": address if method_id != "local_pickup" else
        {k: "" for k in address},
        "payment_method": gateway[0], "payment_method_title": gateway[1],
        "transaction_id": f"txn_{rng.getrandbits(40):010x}" if paid and gateway[0] in ("stripe", "ppcp-gateway") else "",
        **_dates("date_paid", created + timedelta(seconds=40) if paid else None, utc_offset),
        **_dates("date_completed", modified if status == "completed" else None, utc_offset),
        "cart_hash": f"{rng.getrandbits(128):032x}",
        "meta_data": [{"id": ids(), "key": "is_vat_exempt", "value": "yes"}] if vat_exempt else [],
        "line_items": lines,
        "tax_lines": [{
            "id": ids(), "rate_code": TAX_RATES[rate_id][0], "rate_id": rate_id, "label": TAX_RATES[rate_id][1],
            "compound": False, "tax_total": f"{cart_tax}", "shipping_tax_total": f"{ship_tax}", "meta_data": [],
        }] if rate else [],
        "shipping_lines": shipping_lines, "fee_lines": fee_lines,
        "coupon_lines": [{
            "id": ids(), "code": coupon[0], "discount": f"{discount}", "discount_tax": f"{discount_tax}", "meta_data": [],
        }] if coupon else [],
        "refunds": [{"id": ids(), "reason": "Returned", "total": f"-{total}"}] if status == "refunded" else [],
    }


def _dates(field: str, gmt: datetime | None, utc_offset: timedelta) -> dict[str, str | None]:
    """``field`` in the site's time and ``field_gmt``, as WooCommerce writes them (no offset)."""
    if gmt is None:
        return {field: None, f"{field}_gmt": None}
    gmt = gmt.replace(microsecond=0, tzinfo=None)
    return {field: (gmt + utc_offset).isoformat(), f"{field}_gmt": gmt.isoformat()}
