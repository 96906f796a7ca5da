"""Pure translation between Shopify's GraphQL shapes and ecom's canonical records.

No I/O here: each function takes the dicts the Admin API returns (the selections in
:mod:`ecom_shopify.queries`) and gives records, or takes records and gives mutation inputs. Money is
read from ``shopMoney`` (the shop's currency, the order's ``currencyCode``). The status table is
:data:`STATUS_TABLE`, the one the README shows. A value that cannot be read fails the order with
the core's one-line words (:func:`ecom.records.decimal`, :func:`ecom.records.reading`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ecom import (
    CartAddress,
    CartCustomer,
    CartDiscount,
    CartLine,
    CartOrder,
    CartPayment,
    CartProduct,
    CartShippingLine,
    CartTaxLine,
    WebOrderStatus,
)
from ecom.graphql import user_errors  # noqa: F401  (Shopify's user errors in its words: the core's reading)
from ecom.graphql import whole_nodes
from ecom.records import decimal, reading

ZERO = Decimal("0")
#: Shopify's statuses and what each becomes, checked top to bottom (the README's table).
STATUS_TABLE: dict[str, WebOrderStatus | str] = {
    "closed (archived)": "archived",
    "cancelled": WebOrderStatus.VOIDED,
    "financial REFUNDED": WebOrderStatus.VOIDED,
    "financial VOIDED": WebOrderStatus.VOIDED,
    "fulfillment FULFILLED": WebOrderStatus.CLOSED,
    "fulfillment ON_HOLD": WebOrderStatus.ON_CREDIT_HOLD,
    "financial PENDING": WebOrderStatus.PAYMENT_PENDING,
    "financial EXPIRED": WebOrderStatus.PAYMENT_PENDING,
    "financial AUTHORIZED": WebOrderStatus.APPROVED,
    "financial PAID": WebOrderStatus.PROCESSING,
    "financial PARTIALLY_PAID": WebOrderStatus.PROCESSING,
    "financial PARTIALLY_REFUNDED": WebOrderStatus.PROCESSING,
    "no financial status": WebOrderStatus.PROCESSING,
}
WEIGHT_UNITS = {"KILOGRAMS": "kg", "GRAMS": "g", "POUNDS": "lb", "OUNCES": "oz"}
DISCOUNT_KINDS = {
    "DiscountCodeApplication": "code",
    "AutomaticDiscountApplication": "automatic",
    "ManualDiscountApplication": "manual",
    "ScriptDiscountApplication": "script",
}


def web_status(financial: str | None, fulfillment: str | None, cancelled: bool) -> WebOrderStatus:
    """One of the six web order statuses for Shopify's display statuses (:data:`STATUS_TABLE`)."""
    for key in (
        "cancelled" if cancelled else None,
        f"financial {financial}" if financial in ("REFUNDED", "VOIDED") else None,
        f"fulfillment {fulfillment}",
        f"financial {financial}" if financial else "no financial status",
    ):
        status = STATUS_TABLE.get(key or "")
        if isinstance(status, WebOrderStatus):
            return status
    return WebOrderStatus.PROCESSING


def money(bag: dict[str, Any] | None, field: str = "amount") -> Decimal:
    """A ``MoneyBag``'s shop amount; ``field`` names it when it cannot be read."""
    return decimal((bag.get("shopMoney") or {}).get("amount"), field, blank=None) if bag else ZERO


def tax_lines(rows: list[dict[str, Any]] | None) -> list[CartTaxLine]:
    return [
        CartTaxLine(
            title=row["title"],
            rate=None if row.get("rate") is None else decimal(row["rate"], "tax rate"),
            amount=money(row["priceSet"], "tax priceSet"),
        )
        for row in rows or []
    ]


def discount_name(application: dict[str, Any]) -> str:
    return application.get("code") or application.get("title") or application.get("__typename", "discount")


def allocated(rows: list[dict[str, Any]] | None) -> Decimal:
    return sum((money(row["allocatedAmountSet"], "discount allocatedAmountSet") for row in rows or []), ZERO)


def address(raw: dict[str, Any] | None, email: str | None = None) -> CartAddress | None:
    if not raw:
        return None
    return CartAddress(
        first_name=raw.get("firstName"),
        last_name=raw.get("lastName"),
        company=raw.get("company"),
        line1=raw.get("address1"),
        line2=raw.get("address2"),
        city=raw.get("city"),
        state=raw.get("provinceCode") or raw.get("province"),
        postal_code=raw.get("zip"),
        country=raw.get("countryCodeV2"),
        phone=raw.get("phone"),
        email=email,
    )


def customer(raw: dict[str, Any]) -> CartCustomer | None:
    """The order's customer; a guest checkout (no customer) is described from the order itself."""
    person, billing = raw.get("customer"), raw.get("billingAddress") or {}
    if not person and not raw.get("email") and not billing:
        return None
    person = person or {}
    return CartCustomer(
        external_id=person.get("id"),
        email=(person.get("defaultEmailAddress") or {}).get("emailAddress") or raw.get("email"),
        first_name=person.get("firstName") or billing.get("firstName"),
        last_name=person.get("lastName") or billing.get("lastName"),
        company=billing.get("company"),
        phone=(person.get("defaultPhoneNumber") or {}).get("phoneNumber") or raw.get("phone"),
        tax_exempt=bool(person.get("taxExempt") or raw.get("taxExempt")),
        raw=person,
    )


def line(raw: dict[str, Any]) -> CartLine:
    with reading(f"line {raw.get('id')}"):
        return CartLine(
            external_id=raw["id"],
            sku=raw.get("sku") or None,
            name=raw.get("name") or "",
            quantity=raw["quantity"],
            unit_price=money(raw["originalUnitPriceSet"], "originalUnitPriceSet"),
            discount=allocated(raw.get("discountAllocations")),
            taxable=raw.get("taxable", True),
            tax_lines=tax_lines(raw.get("taxLines")),
            product_id=(raw.get("product") or {}).get("id"),
            variant_id=(raw.get("variant") or {}).get("id"),
            raw=raw,
        )


def shipping_line(raw: dict[str, Any]) -> CartShippingLine:
    with reading(f"shipping line {raw.get('title')!r}"):
        return CartShippingLine(
            external_id=raw.get("id"),
            title=raw["title"],
            code=raw.get("code"),
            carrier=raw.get("carrierIdentifier") or raw.get("source"),
            price=money(raw["originalPriceSet"], "originalPriceSet"),
            discount=allocated(raw.get("discountAllocations")),
            tax_lines=tax_lines(raw.get("taxLines")),
        )


def discounts(lines: list[dict[str, Any]], shipping: list[dict[str, Any]]) -> list[CartDiscount]:
    """Discounts by code (or title, for automatic ones), summed over the lines they were allocated to."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    kinds: dict[str, str | None] = {}
    for row in lines + shipping:
        for allocation in row.get("discountAllocations") or []:
            name = discount_name(allocation["discountApplication"])
            totals[name] += money(allocation["allocatedAmountSet"], "discount allocatedAmountSet")
            kinds[name] = DISCOUNT_KINDS.get(allocation["discountApplication"].get("__typename", ""))
    return [CartDiscount(code=name, amount=amount, kind=kinds[name]) for name, amount in totals.items()]


def order(raw: dict[str, Any]) -> CartOrder:
    """A Shopify ``Order`` (as selected by ``queries.ORDER_FIELDS``) as a :class:`CartOrder`."""
    lines, shipping = whole_nodes(raw.get("lineItems"), "line items"), whole_nodes(raw.get("shippingLines"), "shipping lines")
    financial, fulfillment = raw.get("displayFinancialStatus"), raw.get("displayFulfillmentStatus")
    cancelled, closed = bool(raw.get("cancelledAt")), bool(raw.get("closed") or raw.get("closedAt"))
    total, gateways = money(raw["totalPriceSet"], "totalPriceSet"), list(raw.get("paymentGatewayNames") or [])
    email = raw.get("email")
    return CartOrder(
        external_id=raw["id"],
        number=raw["name"],
        created_at=raw["createdAt"],
        updated_at=raw["updatedAt"],
        currency=raw["currencyCode"],
        status=web_status(financial, fulfillment, cancelled),
        cart_status="cancelled" if cancelled else "closed" if closed else "open",
        secondary_status=fulfillment.lower() if fulfillment else None,
        financial_status=financial.lower() if financial else None,
        sales_channel=raw.get("sourceName"),
        archived=closed,
        customer=customer(raw),
        billing=address(raw.get("billingAddress"), email),
        shipping=address(raw.get("shippingAddress"), email),
        lines=[line(row) for row in lines],
        shipping_lines=[shipping_line(row) for row in shipping],
        discounts=discounts(lines, shipping),
        payments=[CartPayment(method=name, amount=total if len(gateways) == 1 else None) for name in gateways],
        tax_lines=tax_lines(raw.get("taxLines")),
        taxes_included=bool(raw.get("taxesIncluded")),
        total_tax=money(raw.get("totalTaxSet"), "totalTaxSet"),
        total=total,
        note=raw.get("note"),
        tags=list(raw.get("tags") or []),
        test=bool(raw.get("test")),
        raw=raw,
    )


def product(raw: dict[str, Any], variant: dict[str, Any]) -> CartProduct:
    """One sellable variant of a Shopify ``Product`` as a :class:`CartProduct`."""
    weight = ((variant.get("inventoryItem") or {}).get("measurement") or {}).get("weight") or {}
    title = variant.get("title")
    return CartProduct(
        sku=variant.get("sku") or None,
        name=raw["title"],
        external_id=variant["id"],
        parent_id=raw["id"],
        variant_title=None if title in (None, "Default Title") else title,
        description=raw.get("descriptionHtml") or None,
        price=None if variant.get("price") is None else decimal(variant["price"], "price"),
        weight=None if weight.get("value") is None else decimal(weight["value"], "weight"),
        weight_unit=WEIGHT_UNITS.get(weight.get("unit", "")),
        active=raw.get("status") == "ACTIVE",
        quantity=variant.get("inventoryQuantity"),
        raw={"product": {k: v for k, v in raw.items() if k != "variants"}, "variant": variant},
    )


def variant_input(record: CartProduct) -> dict[str, Any]:
    """The variant fields ecom owns (SKU, price, weight), as Shopify's variant input."""
    values: dict[str, Any] = {"inventoryItem": {"sku": record.sku, "tracked": True}}
    if record.price is not None:
        values["price"] = str(record.price)
    if record.weight is not None:
        unit = {v: k for k, v in WEIGHT_UNITS.items()}[record.weight_unit or "kg"]
        values["inventoryItem"]["measurement"] = {"weight": {"value": float(record.weight), "unit": unit}}
    return values


def product_fields(record: CartProduct) -> dict[str, Any]:
    fields: dict[str, Any] = {"title": record.name, "status": "ACTIVE" if record.active else "DRAFT"}
    if record.description is not None:
        fields["descriptionHtml"] = record.description
    return fields


def product_set_input(record: CartProduct) -> dict[str, Any]:
    """``ProductSetInput`` creating a product with one variant (the ``Default Title`` option)."""
    option = "Default Title" if not record.variant_title else record.variant_title
    return {
        **product_fields(record),
        "productOptions": [{"name": "Title", "values": [{"name": option}]}],
        "variants": [{**variant_input(record), "optionValues": [{"optionName": "Title", "name": option}]}],
    }
