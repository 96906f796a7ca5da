"""Realistic generated shop data: a catalog with stock, and orders the way Shopify keeps them.

The same seed gives the same shop. Orders have one to five lines of catalog variants, per-line tax
lines (US state rates; Canadian HST; VAT included in European prices; none for exports or
tax-exempt customers), discount codes and automatic discounts allocated to lines, a shipping line,
guest checkouts, non-US addresses and unicode names, and every status mix the driver maps:
pending, authorized, paid, partially paid or refunded, refunded, voided, on hold, fulfilled, closed
(archived) and cancelled. Totals add up: lines − discounts + shipping (+ tax unless included).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ecom_shopify.fake.state import PRIMARY, WAREHOUSE, Store, bag

CENT = Decimal("0.01")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CATALOG = [
    ("Logo Tee", "TEE", "25.00", 0.2, ["S", "M", "L"]), ("Enamel Mug", "MUG", "12.50", 0.4, None),
    ("Canvas Tote", "TOTE", "18.00", 0.3, None), ("Wool Beanie", "BEANIE", "22.00", 0.1, ["Grey", "Navy"]),
    ("Trail Socks", "SOCK", "9.95", 0.1, ["M", "L"]), ("Ceramic Planter", "PLANT", "34.00", 1.2, None),
    ("Leather Wallet", "WALLET", "45.00", 0.15, None), ("Café Espresso Beans", "BEANS", "16.40", 0.5, None),
    ("Crème Hand Soap", "SOAP", "8.75", 0.3, None), ("Bamboo Cutting Board", "BOARD", "29.00", 0.9, None),
    ("Notebook Set", "NOTE", "14.00", 0.35, None), ("Gift Card", "GIFT", "50.00", None, None),
]
PEOPLE = [
    ("Dana", "Keller"), ("José", "Müller"), ("Zoë", "Ångström"), ("Aroha", "Ngata"), ("Mateo", "García"),
    ("Siobhán", "O'Connor"), ("Yuki", "Tanaka"), ("山田", "太郎"), ("Chloé", "Lefèvre"), ("Ravi", "Iyer"),
    ("Fatima", "Al-Sayed"), ("Björn", "Økland"), ("Grace", "Oduya"), ("Liam", "Walsh"), ("Ana", "Łukasiewicz"),
]
#: (country, province code, province, city, zip, tax title, rate, taxes included, tax shipping)
PLACES = [
    ("US", "NY", "New York", "New York", "10001", "NY State Tax", "0.08875", False, True),
    ("US", "CA", "California", "Oakland", "94607", "CA State Tax", "0.0725", False, False),
    ("US", "TX", "Texas", "Austin", "78701", "TX State Tax", "0.0625", False, True),
    ("US", "WA", "Washington", "Seattle", "98101", "WA State Tax", "0.065", False, True),
    ("US", "OR", "Oregon", "Portland", "97205", None, "0", False, False),
    ("CA", "ON", "Ontario", "Toronto", "M5V 2T6", "HST", "0.13", False, True),
    ("GB", None, None, "London", "SW1A 1AA", "VAT", "0.20", True, True),
    ("DE", None, None, "München", "80331", "MwSt", "0.19", True, True),
    ("JP", "JP-13", "Tokyo", "渋谷区", "150-0002", None, "0", False, False),
    ("MX", "JAL", "Jalisco", "Guadalajara", "44100", None, "0", False, False),
]
STREETS = ["210 W 29th St", "1 Rue de Rivoli", "Hauptstraße 5", "742 Evergreen Terrace", "4-2-8 Shibakoen", "88 Queen St W"]
GATEWAYS = ["shopify_payments", "paypal", "manual", "gift_card"]
TAGS = ["wholesale", "repeat-buyer", "gift", "vip", "instagram"]
CHANNELS = ["web", "web", "web", "pos", "shopify_draft_order", "580111"]
#: (weight, financial status, fulfillment status, cancelled, closed)
FATES = [
    (30, "PAID", "UNFULFILLED", False, False), (8, "PENDING", "UNFULFILLED", False, False),
    (8, "AUTHORIZED", "UNFULFILLED", False, False), (3, "PARTIALLY_PAID", "UNFULFILLED", False, False),
    (3, "PARTIALLY_REFUNDED", "PARTIALLY_FULFILLED", False, False), (2, "EXPIRED", "UNFULFILLED", False, False),
    (5, "PAID", "ON_HOLD", False, False), (10, "PAID", "FULFILLED", False, False),
    (14, "PAID", "FULFILLED", False, True), (4, "REFUNDED", "UNFULFILLED", True, False),
    (4, "VOIDED", "UNFULFILLED", True, False), (3, "REFUNDED", "UNFULFILLED", True, True),
    (6, "PAID", "UNFULFILLED", False, False),
]


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def seed_products(store: Store, count: int, rng: random.Random) -> None:
    """``count`` sellable variants (SKUs), grouped into products, with stock at both locations."""
    made = 0
    while made < count:
        n = len(store.all("Product"))
        title, code, price, weight, options = CATALOG[n % len(CATALOG)]
        batch = n // len(CATALOG)
        title = title if batch == 0 else f"{title} {batch + 1}"
        values = (options or [None])[: count - made]
        specs = [{
            "sku": f"{code}-{n + 1:03d}" + (f"-{v.upper()}" if v else ""), "title": v or "Default Title",
            "price": price, "weight": weight, "tracked": code != "GIFT",
            "stock": {PRIMARY: rng.randint(0, 60), WAREHOUSE: rng.randint(0, 200)},
        } for v in values]
        store.add_product(title, f"<p>{title}, made for the ecom demo shop.</p>", "ACTIVE" if n % 10 else "DRAFT",
                          specs, product_type="Merch")
        made += len(specs)


def seed_orders(store: Store, count: int, rng: random.Random) -> None:
    variants = [v for v in store.all("ProductVariant") if v["sku"]]
    customers = [_customer(store, rng, i) for i in range(max(1, count // 3))]
    number = 1001 + len(store.all("Order"))
    for i in range(count):
        created = START + timedelta(hours=3 * (number - 1001), minutes=rng.randint(0, 170))
        _order(store, rng, number, created, rng.choice(customers) if rng.random() > 0.15 else None, variants)
        number += 1


def _customer(store: Store, rng: random.Random, i: int) -> dict[str, Any]:
    first, last = rng.choice(PEOPLE)
    email = f"{first.lower()}.{last.lower()}{i}@example.net".replace(" ", "").replace("'", "")
    return store.add("Customer", firstName=first, lastName=last, taxExempt=rng.random() < 0.1, tags=[], note=None,
                     state="ENABLED", createdAt=START.strftime("%Y-%m-%dT%H:%M:%SZ"), updatedAt=START.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     defaultEmailAddress={"emailAddress": email, "marketingState": "NOT_SUBSCRIBED"},
                     defaultPhoneNumber={"phoneNumber": f"+1212555{rng.randint(1000, 9999)}"} if rng.random() < 0.5 else None)


def _address(place: tuple[Any, ...], first: str, last: str, rng: random.Random) -> dict[str, Any]:
    country, code, province, city, zip_code = place[:5]
    return {"firstName": first, "lastName": last, "name": f"{first} {last}", "company": rng.choice([None, None, "Keller & Söhne GmbH"]),
            "address1": rng.choice(STREETS), "address2": rng.choice([None, "Apt 4B", "Suite 300"]), "city": city,
            "province": province, "provinceCode": code, "zip": zip_code, "countryCodeV2": country, "phone": None}


def _order(store: Store, rng: random.Random, number: int, created: datetime, customer: dict[str, Any] | None,
           variants: list[dict[str, Any]]) -> None:
    place = rng.choice(PLACES)
    first, last = (customer["firstName"], customer["lastName"]) if customer else rng.choice(PEOPLE)
    exempt = bool(customer and customer["taxExempt"])
    _, _, _, _, _, tax_title, rate_text, included, tax_shipping = place
    rate = Decimal(rate_text) if tax_title and not exempt else Decimal("0")
    discount = rng.choice([None, None, None, ("WELCOME10", "DiscountCodeApplication", Decimal("0.10")),
                           ("Spring sale", "AutomaticDiscountApplication", Decimal("0.05"))])
    lines, line_total, discount_total, tax_total = [], Decimal("0"), Decimal("0"), Decimal("0")
    for variant in rng.sample(variants, k=min(len(variants), rng.choice([1, 1, 2, 2, 3, 4, 5]))):
        quantity, unit = rng.choice([1, 1, 1, 2, 3]), Decimal(variant["price"])
        gross = unit * quantity
        cut = money(gross * discount[2]) if discount else Decimal("0")
        tax = _tax(gross - cut, rate, included)
        allocations = [{"allocatedAmountSet": bag(cut), "discountApplication": _application(discount)}] if cut else []
        product = variant["product"]
        lines.append(store.add(
            "LineItem", name=product["title"] if variant["title"] == "Default Title" else f"{product['title']} - {variant['title']}",
            title=product["title"], variantTitle=None if variant["title"] == "Default Title" else variant["title"],
            sku=variant["sku"], quantity=quantity, currentQuantity=quantity, unfulfilledQuantity=quantity, taxable=True,
            requiresShipping=True, originalUnitPriceSet=bag(unit), totalDiscountSet=bag(cut), variant=variant, product=product,
            taxLines=[{"title": tax_title, "rate": float(rate), "ratePercentage": float(rate * 100), "priceSet": bag(tax)}] if tax else [],
            discountAllocations=allocations))
        line_total, discount_total, tax_total = line_total + gross, discount_total + cut, tax_total + tax
    method = ("Free shipping", "FREE", "shopify", None, Decimal("0")) if line_total >= 75 else rng.choice(
        [("Standard (3-5 days)", "STANDARD", "shopify", None, Decimal("5.90")), ("Express", "EXPRESS", "usps", "usps", Decimal("14.00"))])
    ship_tax = _tax(method[4], rate, included) if tax_shipping else Decimal("0")
    shipping = store.add("ShippingLine", title=method[0], code=method[1], source=method[2], carrierIdentifier=method[3],
                         originalPriceSet=bag(method[4]), discountedPriceSet=bag(method[4]), discountAllocations=[],
                         taxLines=[{"title": tax_title, "rate": float(rate), "ratePercentage": float(rate * 100), "priceSet": bag(ship_tax)}] if ship_tax else [])
    tax_total += ship_tax
    total = line_total - discount_total + method[4] + (Decimal("0") if included else tax_total)
    _, financial, fulfillment, cancelled, closed = rng.choices(FATES, weights=[f[0] for f in FATES])[0]
    updated = created + timedelta(minutes=rng.randint(1, 600) + (1440 * rng.randint(1, 9) if closed or cancelled or fulfillment == "FULFILLED" else 0))
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    email = customer["defaultEmailAddress"]["emailAddress"] if customer else f"guest{number}@example.org"
    order = store.add(
        "Order", name=f"#{number}", createdAt=stamp(created), processedAt=stamp(created), updatedAt=stamp(updated),
        cancelledAt=stamp(updated) if cancelled else None, cancelReason=rng.choice(["CUSTOMER", "FRAUD", "INVENTORY", "DECLINED"]) if cancelled else None,
        closed=closed, closedAt=stamp(updated) if closed else None, confirmed=True, test=False, currencyCode="USD",
        taxesIncluded=included, taxExempt=exempt, displayFinancialStatus=financial, displayFulfillmentStatus=fulfillment,
        sourceName=rng.choice(CHANNELS), paymentGatewayNames=[] if financial == "PENDING" else [rng.choice(GATEWAYS)],
        discountCodes=[discount[0]] if discount and discount[1] == "DiscountCodeApplication" else [],
        tags=rng.sample(TAGS, k=rng.choice([0, 0, 1, 2])), note=rng.choice([None, None, "Please gift wrap 🎁", "Leave at the back door"]),
        email=email, phone=None, customer=customer, totalPriceSet=bag(total), subtotalPriceSet=bag(line_total - discount_total),
        totalTaxSet=bag(tax_total), totalDiscountsSet=bag(discount_total), totalShippingPriceSet=bag(method[4]),
        taxLines=[{"title": tax_title, "rate": float(rate), "ratePercentage": float(rate * 100), "priceSet": bag(tax_total)}] if tax_total else [],
        billingAddress=_address(place, first, last, rng), shippingAddress=_address(place, first, last, rng),
        lineItems=lines, shippingLines=[shipping], fulfillmentOrders=[], fulfillments=[])
    _fulfillment_order(store, rng, order, fulfillment, cancelled)


def _tax(amount: Decimal, rate: Decimal, included: bool) -> Decimal:
    if not rate or not amount:
        return Decimal("0")
    return money(amount - amount / (1 + rate)) if included else money(amount * rate)


def _application(discount: tuple[str, str, Decimal]) -> dict[str, Any]:
    name, typename, _ = discount
    key = "code" if typename == "DiscountCodeApplication" else "title"
    return {"__typename": typename, key: name, "index": 0, "allocationMethod": "ACROSS", "targetSelection": "ALL", "targetType": "LINE_ITEM"}


def _fulfillment_order(store: Store, rng: random.Random, order: dict[str, Any], fulfillment: str, cancelled: bool) -> None:
    location = store.locations[0] if rng.random() < 0.8 else store.locations[1]
    done = fulfillment == "FULFILLED"
    status = "CANCELLED" if cancelled else "CLOSED" if done else "ON_HOLD" if fulfillment == "ON_HOLD" else "OPEN"
    if fulfillment == "PARTIALLY_FULFILLED":
        status = "IN_PROGRESS"
    fo = store.add("FulfillmentOrder", status=status, requestStatus="UNSUBMITTED", order=order, orderId=order["id"],
                   orderName=order["name"], createdAt=order["createdAt"], updatedAt=order["updatedAt"],
                   assignedLocation={"name": location["name"], "countryCode": "US", "location": location}, lineItems=[],
                   fulfillmentHolds=[])
    if status == "ON_HOLD":  # held, as Shopify's fraud filter does (enums/FulfillmentHoldReason)
        fo["fulfillmentHolds"].append(store.add("FulfillmentHold", reason="HIGH_RISK_OF_FRAUD", reasonNotes=None, handle=None,
                                                displayReason="High risk of fraud", heldByApp=None, heldByRequestingApp=False))
    for line in order["lineItems"]:
        remaining = 0 if done or cancelled else line["quantity"]
        if fulfillment == "PARTIALLY_FULFILLED" and line is order["lineItems"][0]:
            remaining = 0
        line["unfulfilledQuantity"] = remaining
        fo["lineItems"].append(store.add("FulfillmentOrderLineItem", lineItem=line, sku=line["sku"], totalQuantity=line["quantity"],
                                         remainingQuantity=remaining, productTitle=line["title"], variantTitle=line["variantTitle"],
                                         inventoryItemId=line["variant"]["inventoryItem"]["id"], requiresShipping=True))
    order["fulfillmentOrders"].append(fo)
    if done:
        number = f"1Z{rng.randint(10**15, 10**16 - 1)}"
        order["fulfillments"].append(store.add("Fulfillment", name=f"{order['name']}-F1", status="SUCCESS", order=order,
                                               createdAt=order["updatedAt"], updatedAt=order["updatedAt"], totalQuantity=0,
                                               trackingInfo=[{"number": number, "company": "UPS", "url": f"https://www.ups.com/track?tracknum={number}"}],
                                               fulfillmentLineItems=[], requiresShipping=True, location=location))
