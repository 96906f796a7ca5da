"""WooCommerce REST API v3 payloads to ecom records and back: pure functions, no I/O.

What the payloads look like (WooCommerce REST API docs, "Orders", "Products", "Product
variations"): money arrives as strings in the store's decimals; a line's ``price`` is a number
(its total after discounts divided by the quantity); a line's ``subtotal``/``total`` exclude tax
even in a store whose prices include tax (``prices_include_tax``); dates come twice, in the site's
time and in GMT (``*_gmt``), without an offset; a guest order has ``customer_id`` 0. A value
that cannot be read fails the order with the core's one-line words naming the line, the field and
the value (:func:`ecom.records.decimal`, which reads WooCommerce's amounts: strings, numbers, or
empty for none; :func:`ecom.records.reading`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ecom import drivers
from ecom.http import html_text
from ecom.records import (
    CartAddress, CartCustomer, CartDiscount, CartFee, CartLine, CartOrder, CartPayment, CartProduct,
    CartShippingLine, CartTaxLine, StatusUpdate, WebOrderStatus, decimal, moment, reading, unit_price, whole,
)

W = WebOrderStatus
#: WooCommerce order status → web order status (the plugin README documents this table).
STATUSES: dict[str, WebOrderStatus | str] = {
    "pending": W.PAYMENT_PENDING, "processing": W.PROCESSING, "on-hold": W.ON_CREDIT_HOLD,
    "completed": W.CLOSED, "cancelled": W.VOIDED, "refunded": W.VOIDED, "failed": W.VOIDED,
    "trash": "archived", "checkout-draft": "not imported",
}
#: What each kind of status update sets in WooCommerce.
PUSHED_STATUS = {"shipped": "completed", "voided": "cancelled", "closed": "completed"}
WEIGHT_UNITS = {"kg": "kg", "g": "g", "lbs": "lb", "lb": "lb", "oz": "oz"}
_GRAMS = {"kg": Decimal(1000), "g": Decimal(1), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125")}


def status_table(options: dict[str, Any]) -> dict[str, WebOrderStatus | str]:
    """The built-in status table with the admin's ``status_map`` option laid over it.

    ``status_map`` maps a WooCommerce status slug (with or without ``wc-``) to a web order
    status (``"processing"`` or its label ``"Processing"``), ``"archived"`` or ``"not imported"``.
    """
    return drivers.status_table(STATUSES, options.get("status_map"), slug=lambda s: s.removeprefix("wc-"))


def when(raw: dict[str, Any], field: str) -> datetime | None:
    """``field`` as an aware datetime, from its ``_gmt`` twin when there is one."""
    return moment(raw.get(f"{field}_gmt") or raw.get(field), field)


def translate_order(raw: dict[str, Any], statuses: dict[str, WebOrderStatus | str]) -> CartOrder | None:
    """A WooCommerce order as a :class:`CartOrder`; None for a checkout draft (not an order yet)."""
    target = statuses.get(raw["status"])
    if target is None:
        raise ValueError(f"the WooCommerce status {raw['status']!r} is not mapped: add it to the status_map setting")
    if target == "not imported":
        return None
    incl = bool(raw.get("prices_include_tax"))
    rates = {str(t.get("rate_id")): t for t in raw.get("tax_lines") or []}
    billing = raw.get("billing") or {}
    customer_id = raw.get("customer_id") or 0
    return CartOrder(
        external_id=str(raw["id"]),
        number=str(raw.get("number") or raw["id"]),
        created_at=when(raw, "date_created"),
        updated_at=when(raw, "date_modified") or when(raw, "date_created"),
        currency=raw["currency"],
        status=W.VOIDED if target == "archived" else target,
        cart_status=raw["status"],
        financial_status=_financial_status(raw),
        sales_channel=raw.get("created_via") or None,
        archived=target == "archived",
        customer=CartCustomer(
            external_id=str(customer_id) if customer_id else None,
            email=billing.get("email") or None, first_name=billing.get("first_name") or None,
            last_name=billing.get("last_name") or None, company=billing.get("company") or None,
            phone=billing.get("phone") or None, tax_exempt=_meta(raw, "is_vat_exempt") == "yes",
            raw={"customer_id": customer_id},
        ),
        billing=_address(billing),
        shipping=_address(raw.get("shipping") or {}),
        lines=[_line(item, incl, rates) for item in raw.get("line_items") or []],
        shipping_lines=[_shipping_line(s, incl, rates) for s in raw.get("shipping_lines") or []],
        fees=[_fee(f, incl, rates) for f in raw.get("fee_lines") or []],
        discounts=[_coupon(c, incl) for c in raw.get("coupon_lines") or []],
        payments=_payments(raw),
        tax_lines=_order_taxes(raw.get("tax_lines") or []),
        taxes_included=incl,
        total_tax=decimal(raw.get("total_tax"), "total_tax"),
        total=decimal(raw["total"], "total"),
        note=raw.get("customer_note") or None,
        raw=raw,
    )


def order_ref(raw: dict[str, Any]) -> str:
    """How the merchant names an order: its number."""
    return str(raw.get("number") or raw.get("id") or "(order without id)")


def _line(item: dict[str, Any], incl: bool, rates: dict[str, dict[str, Any]]) -> CartLine:
    with reading(f"line {item.get('id')}"):
        quantity = whole(item.get("quantity"), "quantity")
        before, after = _gross(item, "subtotal", incl), _gross(item, "total", incl)
        return CartLine(
            external_id=str(item["id"]), sku=item.get("sku") or None, name=item.get("name") or "",
            quantity=quantity, unit_price=unit_price(before, quantity), discount=before - after,
            taxable=decimal(item.get("subtotal_tax"), "subtotal_tax") != 0 or decimal(item.get("total_tax"), "total_tax") != 0,
            tax_lines=_taxes(item.get("taxes"), rates),
            product_id=str(item["product_id"]) if item.get("product_id") else None,
            variant_id=str(item["variation_id"]) if item.get("variation_id") else None, raw=item,
        )


def _shipping_line(s: dict[str, Any], incl: bool, rates: dict[str, dict[str, Any]]) -> CartShippingLine:
    with reading(f"shipping line {s.get('id')}"):
        return CartShippingLine(
            external_id=str(s["id"]), title=s.get("method_title") or "", code=s.get("method_id") or None,
            price=_gross(s, "total", incl), tax_lines=_taxes(s.get("taxes"), rates),
        )


def _fee(f: dict[str, Any], incl: bool, rates: dict[str, dict[str, Any]]) -> CartFee:
    with reading(f"fee line {f.get('id')}"):
        return CartFee(
            external_id=str(f["id"]), name=f.get("name") or "", amount=_gross(f, "total", incl),
            taxable=f.get("tax_status") == "taxable", tax_lines=_taxes(f.get("taxes"), rates),
        )


def _coupon(c: dict[str, Any], incl: bool) -> CartDiscount:
    with reading(f"coupon line {c.get('id')}"):
        return CartDiscount(
            code=c.get("code") or "", kind=c.get("discount_type") or None,
            amount=decimal(c.get("discount"), "discount") + (decimal(c.get("discount_tax"), "discount_tax") if incl else 0),
        )


def _gross(raw: dict[str, Any], field: str, incl: bool) -> Decimal:
    """An ex-tax amount, with its tax added when the store's prices include tax."""
    tax_field = "subtotal_tax" if field == "subtotal" else "total_tax"
    return decimal(raw.get(field), field) + (decimal(raw.get(tax_field), tax_field) if incl else 0)


def _rate(rate: dict[str, Any] | None) -> Decimal | None:
    percent = (rate or {}).get("rate_percent")
    return decimal(percent, "rate_percent") / 100 if percent not in (None, "") else None


def _taxes(taxes: list[dict[str, Any]] | None, rates: dict[str, dict[str, Any]]) -> list[CartTaxLine]:
    out = []
    for tax in taxes or []:
        rate = rates.get(str(tax.get("id")))
        if decimal(tax.get("total"), "tax total") != 0:
            title = (rate or {}).get("label") or (rate or {}).get("rate_code") or f"Tax rate {tax.get('id')}"
            out.append(CartTaxLine(title=title, rate=_rate(rate), amount=decimal(tax.get("total"), "tax total")))
    return out


def _order_taxes(tax_lines: list[dict[str, Any]]) -> list[CartTaxLine]:
    summed: dict[str, CartTaxLine] = {}
    for t in tax_lines:
        title = t.get("label") or t.get("rate_code") or "Tax"
        amount = decimal(t.get("tax_total"), "tax_total") + decimal(t.get("shipping_tax_total"), "shipping_tax_total")
        if title in summed:
            summed[title].amount += amount
        else:
            summed[title] = CartTaxLine(title=title, rate=_rate(t), amount=amount)
    return list(summed.values())


def _address(raw: dict[str, Any]) -> CartAddress | None:
    fields = {
        "first_name": "first_name", "last_name": "last_name", "company": "company", "line1": "address_1",
        "line2": "address_2", "city": "city", "state": "state", "postal_code": "postcode",
        "country": "country", "phone": "phone", "email": "email",
    }
    values = {ours: raw.get(theirs) or None for ours, theirs in fields.items()}
    return CartAddress(**values) if any(values.values()) else None


def _payments(raw: dict[str, Any]) -> list[CartPayment]:
    method = raw.get("payment_method") or raw.get("payment_method_title")
    if not method:
        return []
    paid = raw.get("date_paid_gmt") or raw.get("date_paid")
    return [CartPayment(method=method, amount=decimal(raw["total"], "total") if paid else None, reference=raw.get("transaction_id") or None)]


def _financial_status(raw: dict[str, Any]) -> str:
    refunded = sum((abs(decimal(r.get("total"), "refund total")) for r in raw.get("refunds") or []), Decimal(0))
    if refunded:
        return "refunded" if refunded >= decimal(raw.get("total"), "total") else "partially_refunded"
    return "paid" if raw.get("date_paid_gmt") or raw.get("date_paid") else "unpaid"


def _meta(raw: dict[str, Any], key: str) -> Any:
    return next((m.get("value") for m in raw.get("meta_data") or [] if m.get("key") == key), None)


# -- products -------------------------------------------------------------------------------


def translate_product(raw: dict[str, Any], weight_unit: str, parent: dict[str, Any] | None = None) -> CartProduct | None:
    """A simple product, or a variation (with its parent product when known), as a
    :class:`CartProduct`; None for what is not sold by itself (variable, grouped, external)."""
    variation = parent is not None or raw.get("type") == "variation"
    if not variation and raw.get("type") != "simple":
        return None
    parent_id = parent["id"] if parent else raw.get("parent_id")
    options = ", ".join(a["option"] for a in raw.get("attributes") or [] if a.get("option"))
    price = raw.get("regular_price") or raw.get("price")
    return CartProduct(
        sku=raw.get("sku") or None,
        name=(parent or raw).get("name") or "",
        external_id=str(raw["id"]),
        parent_id=str(parent_id) if variation and parent_id else None,
        variant_title=options or None,
        description=html_text(raw.get("description")) or None,
        price=decimal(price, "regular_price") if price not in (None, "") else None,
        weight=decimal(raw["weight"], "weight") if raw.get("weight") else None,
        weight_unit=WEIGHT_UNITS.get(weight_unit) if raw.get("weight") else None,
        active=raw.get("status") == "publish",
        quantity=raw.get("stock_quantity") if raw.get("manage_stock") is True else None,
        raw=raw,
    )


def product_ref(raw: dict[str, Any]) -> str:
    return raw.get("sku") or f"product {raw.get('id')}"


def product_body(product: CartProduct, *, variation: bool, weight_unit: str) -> dict[str, Any]:
    """The fields WooCommerce takes to create or update a product (or a variation, which has no
    name of its own)."""
    body: dict[str, Any] = {
        "sku": product.sku,
        "regular_price": f"{product.price:f}" if product.price is not None else None,
        "description": product.description,
        "weight": _weight(product, weight_unit),
        "status": ("publish" if product.active else "private" if variation else "draft"),
    }
    if not variation:
        body["name"] = product.name
    return {k: v for k, v in body.items() if v is not None}


def _weight(product: CartProduct, store_unit: str) -> str | None:
    if product.weight is None:
        return None
    to = WEIGHT_UNITS.get(store_unit, "kg")
    grams = product.weight * _GRAMS[product.weight_unit or to]
    return f"{(grams / _GRAMS[to]).quantize(Decimal('0.001')).normalize():f}"


def stock_body(item_id: str, quantity: int) -> dict[str, Any]:
    """A batch ``update`` entry setting a product's or variation's own stock quantity."""
    return {"id": int(item_id), "manage_stock": True, "stock_quantity": quantity}


# -- order status ------------------------------------------------------------------------------


def pushed_status(update: StatusUpdate) -> str | None:
    """The WooCommerce status slug a status update sets, or None when it names none."""
    if update.kind == "cart_status":
        return update.cart_status.removeprefix("wc-") if update.cart_status else None
    return PUSHED_STATUS[update.kind]


def tracking_note(update: StatusUpdate) -> str | None:
    """The order note telling who carries a shipped order and its tracking number."""
    if update.kind != "shipped" or not (update.tracking_number or update.carrier):
        return None
    note = f"Shipped with {update.carrier or 'the carrier'}"
    note += f", tracking number {update.tracking_number}." if update.tracking_number else "."
    return note + (f" Track it at {update.tracking_url}" if update.tracking_url else "")


def has_note(notes: Any, note: str) -> bool:
    """Whether ``note`` is among an order's notes (``GET /orders/{id}/notes``), compared as text:
    WordPress may give it back wrapped in HTML or with entities."""
    wanted = " ".join(note.split())
    return isinstance(notes, list) and any(
        isinstance(n, dict) and " ".join(html_text(str(n.get("note") or "")).split()) == wanted for n in notes
    )


# -- WooCommerce's words -------------------------------------------------------------------------


def error_words(body: Any) -> str:
    """The message of a WordPress/WooCommerce error body ``{code, message, data}``, tags removed,
    with the per-parameter reasons of a ``rest_invalid_param``."""
    if not isinstance(body, dict) or not body.get("message"):
        return ""
    words = html_text(body["message"])
    params = (body.get("data") or {}).get("params") if isinstance(body.get("data"), dict) else None
    if isinstance(params, dict) and params:
        words += " (" + "; ".join(html_text(str(v)) for v in params.values()) + ")"
    return words
