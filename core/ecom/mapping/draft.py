"""What the mapping engine produces: a transaction draft, and the notes on how it was reached.

A draft is everything needed to write one back-office transaction (and its customer and ship-to,
when new), named as the admin knows things (SKUs, customer names, ship method names), plus the
rule behind each choice so ``ecom integration preview`` can explain it. Nothing here touches the
database: the job's writer turns a draft into rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ecom.records import CartAddress

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    """Round money to cents, half up (the rounding used for every amount ecom computes)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Note(Draft):
    """A warning or an error about one order: which rule, and what happened, in words."""

    rule: str
    message: str


class NewCustomer(Draft):
    """A customer to create because none matched."""

    name: str
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    customer_type: str | None = None
    sales_rep: str | None = None
    sales_tax_code: str | None = None
    item_sales_tax: str | None = None
    taxable: bool = True
    cart_id: str | None = Field(None, description="The cart's customer id, bound to the new customer.")


class CustomerChoice(Draft):
    """Who the order is for: an existing customer, a new one, or a proxy."""

    action: Literal["existing", "create", "proxy"]
    name: str
    rule: str
    new: NewCustomer | None = None


class ShipToChoice(Draft):
    """Where the order ships: an existing ship-to of the customer, a new one, or none."""

    action: Literal["existing", "create", "none"]
    rule: str
    existing_id: int | None = None
    address: CartAddress | None = None


class LineDraft(Draft):
    """One transaction line."""

    kind: Literal["item", "freight", "discount", "fee"]
    sku: str | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxable: bool = False
    item_sales_tax: str | None = None
    new_item: bool = Field(False, description="The SKU is unknown and will be created (create_missing_items).")
    cart_line_id: str | None = None


class PaymentDraft(Draft):
    method: str
    term: str | None
    amount: Decimal
    reference: str | None = None


class TransactionDraft(Draft):
    """A back-office transaction ready to be written."""

    type: Literal["sales_order", "ship_doc"]
    status: str
    date: dt.date
    currency: str
    web_order_number: str
    cart_order_id: str
    customer: CustomerChoice
    accounting_customer: str | None = Field(None, description="The proxy, when orders keep their own customer.")
    bill_to: CartAddress | None = None
    ship_to: ShipToChoice
    location: str | None = None
    class_: str | None = Field(None, alias="class")
    ship_method: str | None = None
    taxable: bool
    sales_tax_code: str | None = None
    item_sales_tax: str | None = None
    freight_sales_tax: str | None = Field(
        None, description="The item sales tax on the freight amount (SPEC §2: the shipping sales tax); None with freight as a line."
    )
    lines: list[LineDraft]
    subtotal: Decimal
    freight: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    payments: list[PaymentDraft] = Field(default_factory=list)
    hold: bool = False
    hold_reason: str | None = None
    custom_fields: dict[str, str] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class MappingOutcome(Draft):
    """The engine's answer for one order: skipped (and why), or a draft, with warnings and errors.

    An order with errors has no draft: it is never imported half.
    """

    order: str = Field(description="The order as the merchant knows it: its number.")
    skipped: str | None = None
    draft: TransactionDraft | None = None
    warnings: list[Note] = Field(default_factory=list)
    errors: list[Note] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.draft is not None and not self.errors
