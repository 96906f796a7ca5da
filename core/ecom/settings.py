"""An integration's settings: every tab of the Integration Editor, as one data model.

The sections follow the editor's tabs (SPEC §2): General, Preferences, Sales Tax Mapping, Ship
Method Mapping, Payment Method Mapping, Discount Mapping, Schedule, plus who gets the job report.
Back-office things are named as the admin knows them (a ship method's name, an item's SKU), so the
same model is the TOML file ``ecom integration export`` writes and ``apply`` reads. Whether those
names exist is checked against the back office when settings are saved (``ecom.integrations``);
this module only checks what can be checked without a database.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ecom.records import WebOrderStatus


class Section(BaseModel):
    """A tab of the editor: unknown keys are refused so a typo in a TOML file is named, not lost."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


class CartItem(Section):
    """Custom Cart only: one item the cart carries, and its identifier there."""

    sku: str
    cart_id: str


OLD_LOCATIONS_NOTE = (
    "general.driver_options.locations is retired: it was read into general.location_map (back-office location → "
    "the cart's location, by name or id); keep only location_map in the file"
)


class General(Section):
    """Connection-independent switches of the General tab."""

    update_order_status: bool = False
    locations: list[str] = Field(default_factory=list, description="Inventory is computed over these; none = all.")
    update_inventory: bool = False
    include_buildable: bool = Field(False, description="Calculate items that can be made (BOMs).")
    include_on_po: bool = Field(False, description="Include inventory on purchase order.")
    include_vendor_qty: bool = Field(False, description="Include item vendor quantity.")
    location_map: dict[str, str] = Field(
        default_factory=dict,
        description="Back-office location → the cart's location, by its name or id in the cart; empty = the cart's default.",
    )
    import_products: bool = False
    import_product_group: str | None = None
    export_products: bool = False
    cart_items: list[CartItem] = Field(default_factory=list)
    driver_options: dict[str, Any] = Field(default_factory=dict, description="Options the cart's driver documents.")

    @model_validator(mode="before")
    @classmethod
    def _old_driver_locations(cls, data: Any) -> Any:
        """Read the retired second location map into ``location_map``.

        Once the Shopify driver took ``driver_options.locations`` (a name → Shopify location), applied
        to what ``location_map`` gave; stored integrations and files may still hold it. It is folded in
        (``{"Main": "WH"}`` with ``{"WH": "East"}`` becomes ``{"Main": "East"}``) and dropped; without a
        ``location_map`` it never did anything. ``ecom integration apply`` notes it (:data:`OLD_LOCATIONS_NOTE`).
        """
        if not isinstance(data, dict) or not isinstance(data.get("driver_options"), dict):
            return data
        old = data["driver_options"].get("locations")
        if not isinstance(old, dict):
            return data
        mapped = data.get("location_map")
        folded = {k: old.get(v, v) for k, v in mapped.items()} if isinstance(mapped, dict) else mapped
        options = {k: v for k, v in data["driver_options"].items() if k != "locations"}
        return {**data, "driver_options": options, **({"location_map": folded} if mapped is not None else {})}

    @model_validator(mode="after")
    def _group_for_import(self) -> General:
        if self.import_products and not self.import_product_group:
            raise ValueError("import_products needs import_product_group: the item group new items go into")
        return self


class Preferences(Section):
    """How customers and orders are created (the Preferences tab)."""

    taxable_proxy: str | None = Field(None, description="Customer that taxable web orders are booked to.")
    nontaxable_proxy: str | None = Field(None, description="Customer that non-taxable web orders are booked to.")
    use_proxy_on_orders: bool = False
    customer_match: Literal["email", "cart_id", "company", "name_postal"] = "email"
    ship_to_match: Literal["address", "always_new"] = "address"
    customer_type: str | None = None
    sales_rep: str | None = None
    statuses: list[WebOrderStatus] = Field(default_factory=list, description="Import only these; none = any.")
    secondary_statuses: list[str] = Field(default_factory=list)
    financial_statuses: list[str] = Field(default_factory=list)
    sales_channels: list[str] = Field(default_factory=list)
    cart_status_after_import: str | None = Field(
        None, description="Set once on the orders a job imports (one of the driver's statuses); never on older orders."
    )
    import_test_orders: bool = Field(False, description="Import the cart's test orders too (skipped by default).")
    transaction_type: Literal["sales_order", "ship_doc"] = "sales_order"
    initial_status: str = "open"
    location: str | None = None
    class_: str | None = Field(None, alias="class")
    web_order_number_field: str | None = Field(None, description="Custom field that receives the web order number.")
    hold_if_total_over: Decimal | None = Field(None, ge=0)
    create_missing_items: bool = Field(False, description="Create an item for an unknown SKU instead of failing.")

    @model_validator(mode="after")
    def _proxy_needs_customers(self) -> Preferences:
        if self.use_proxy_on_orders and not (self.taxable_proxy and self.nontaxable_proxy):
            raise ValueError("use_proxy_on_orders needs both taxable_proxy and nontaxable_proxy (they may be the same)")
        return self


class SalesTax(Section):
    """Sales Tax Mapping: codes and rates for taxable, non-taxable and foreign customers."""

    state_from: Literal["billing", "shipping"] = "billing"
    home_country: str = Field("US", min_length=2, max_length=2, description="Customers elsewhere get only a code.")
    taxable_code: str | None = None
    taxable_item_tax: str | None = None
    states: dict[str, str] = Field(default_factory=dict, description="State → item sales tax, for taxable customers.")
    nontaxable_code: str | None = None
    nontaxable_item_tax: str | None = None
    nontaxable_shipping_tax: str | None = None

    @field_validator("states")
    @classmethod
    def _upper_states(cls, value: dict[str, str]) -> dict[str, str]:
        return {state.strip().upper(): tax for state, tax in value.items()}


class ShipMethodRow(Section):
    method: str
    cart_method: str
    cart_carrier: str = ""


class Shipping(Section):
    """Ship Method Mapping: a required default, grid rows, and where freight goes."""

    default_method: str | None = None
    methods: list[ShipMethodRow] = Field(default_factory=list)
    freight_as_line: bool = Field(False, description="Add shipping as a line using freight_item, not in Freight.")
    freight_item: str | None = None
    fee_item: str | None = Field(None, description="Item used for cart fee lines (gift wrap, handling).")

    @model_validator(mode="after")
    def _freight_item_for_lines(self) -> Shipping:
        if self.freight_as_line and not self.freight_item:
            raise ValueError("freight_as_line needs freight_item: the item the shipping line uses")
        return self


class PaymentMethodRow(Section):
    method: str
    term: str | None = None
    cart_method: str


class Payments(Section):
    """Payment Method Mapping: blank method = no payment recorded (payments entered by hand)."""

    import_payment: bool = False
    default_method: str | None = None
    default_term: str | None = None
    methods: list[PaymentMethodRow] = Field(default_factory=list)


class DiscountRow(Section):
    discount: str
    cart_code: str


class Discounts(Section):
    """Discount Mapping: a default, and cart discount code → discount rows."""

    default_discount: str | None = None
    codes: list[DiscountRow] = Field(default_factory=list)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Schedule(Section):
    """When jobs run by themselves: every N minutes / hours / days / weeks, at a time of day."""

    enabled: bool = False
    frequency: Literal["minutes", "hourly", "daily", "weekly"] = "hourly"
    interval: int = Field(1, ge=1, le=100_000)  # far more overflows the schedule's date arithmetic
    time: dt.time | None = Field(None, description="Time of day (daily, weekly) in UTC.")
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None = None

    @model_validator(mode="after")
    def _weekly_needs_a_day(self) -> Schedule:
        if self.enabled and self.frequency == "weekly" and self.weekday is None:
            raise ValueError("a weekly schedule needs weekday")
        return self


class Notify(Section):
    """Who receives the end-of-job report.

    Each recipient is one bare address (``ops@example.com``), checked by the standard library's
    RFC 5322 parser (:func:`mail_address_problem`): a display name, a list, or a CR/LF that would
    smuggle in another header is refused. Settings read back from the database skip the check
    (the validation context ``stored``), so a bad address saved by an older ecom never stops a
    sync; the mailer checks each address again and warns about the ones it cannot use.
    """

    recipients: list[str] = Field(default_factory=list)

    @field_validator("recipients")
    @classmethod
    def _valid_addresses(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.context and info.context.get("stored"):
            return value
        bad = [f"{r!r} ({problem})" for r in value if (problem := mail_address_problem(r))]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return value


def mail_address_problem(address: str) -> str | None:
    """Why ``address`` is not one bare email address (``name@domain``), or None when it is."""
    if any(ord(char) < 32 or ord(char) == 127 for char in address):
        return "it contains a line break or another control character"
    try:
        parsed = Address(addr_spec=address)
    except Exception:  # noqa: BLE001 - the parser raises several kinds; each means "not an address"
        parsed = None
    if parsed is None or not parsed.username or not parsed.domain:
        return "expected one address like ops@example.com, with no name, list or spaces around it"
    return None


class IntegrationSettings(Section):
    """Everything an admin sets on one integration, besides its connection fields."""

    general: General = Field(default_factory=General)
    preferences: Preferences = Field(default_factory=Preferences)
    sales_tax: SalesTax = Field(default_factory=SalesTax)
    shipping: Shipping = Field(default_factory=Shipping)
    payments: Payments = Field(default_factory=Payments)
    discounts: Discounts = Field(default_factory=Discounts)
    schedule: Schedule = Field(default_factory=Schedule)
    notify: Notify = Field(default_factory=Notify)
