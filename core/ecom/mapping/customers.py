"""Who an order belongs to: proxy customers, customer matching, ship-to matching.

With *use proxy on orders*, every order goes to the taxable or non-taxable proxy and no customer
is created. Otherwise the cart customer is matched by the integration's rule (email by default,
cart customer id, company, or full name + postal code) and created only when nothing matches; a
guest without the rule's key falls back to name + postal code. Ship-tos are matched by normalised
address (name, line 1, city, postal code, country) or always created, as set.
"""

from __future__ import annotations

from ecom.mapping.draft import CustomerChoice, NewCustomer, ShipToChoice
from ecom.mapping.lookups import Lookups, normalise
from ecom.mapping.notes import Notes
from ecom.records import CartAddress, CartOrder
from ecom.settings import Preferences

RULE_WORDS = {
    "email": "email",
    "cart_id": "cart customer id",
    "company": "company name",
    "name_postal": "full name and postal code",
}


def _full_name(order: CartOrder) -> str:
    customer, billing = order.customer, order.billing or order.shipping
    return (customer.name if customer else "") or (billing.name if billing else "")


def order_email(order: CartOrder) -> str | None:
    """The buyer's email: the cart customer's, else the billing (or shipping) address's."""
    customer, billing = order.customer, order.billing or order.shipping
    return (customer.email if customer else None) or (billing.email if billing else None)


def match_key(order: CartOrder, rule: str) -> str | None:
    """The value ``order`` is matched on under ``rule``, normalised; None when it has none."""
    customer, billing = order.customer, order.billing or order.shipping
    if rule == "email":
        email = order_email(order)
        return email.strip().lower() if email and email.strip() else None
    if rule == "cart_id":
        return customer.external_id if customer and customer.external_id else None
    if rule == "company":
        company = (billing.company if billing else None) or (customer.company if customer else None)
        return normalise(company) if company and company.strip() else None
    if rule == "name_postal":
        postal = billing.postal_code if billing else None
        name = _full_name(order)
        return normalise(name, postal) if name.strip() and postal and postal.strip() else None
    raise ValueError(f"unknown customer matching rule {rule!r}")


def new_customer_name(order: CartOrder) -> str:
    """The name a new customer gets: company, else full name, else email, else the order number."""
    customer, billing = order.customer, order.billing or order.shipping
    company = (billing.company if billing else None) or (customer.company if customer else None)
    email = order_email(order)
    return next((n.strip() for n in (company, _full_name(order), email) if n and n.strip()), f"Web customer {order.number}")


def customer_names(name: str, email: str | None) -> list[str]:
    """The names a new customer may take, best first: its own name, then with its email (when it
    has one other than the name), then numbered. The first one free is used."""
    hint = [f"{name} ({email})"] if email and email != name else []
    return [name, *hint, *(f"{name} ({n})" for n in range(2, 200))]


def customer_key(order: CartOrder, prefs: Preferences) -> tuple[str, str | None, str]:
    """The rule and key :func:`choose_customer` looks the order's customer up by (no key: nothing
    to match), and how, in words: the integration's rule, else full name and postal code."""
    rule = prefs.customer_match
    key = match_key(order, rule)
    how = f"by {RULE_WORDS[rule]}"
    if key is None and rule != "name_postal":
        rule, key = "name_postal", match_key(order, "name_postal")
        how = f"no {RULE_WORDS[prefs.customer_match]} on the order, so by {RULE_WORDS[rule]}"
    return rule, key, how


def choose_customer(
    order: CartOrder, prefs: Preferences, taxable: bool, lookups: Lookups, notes: Notes, defaults: dict[str, str | None]
) -> CustomerChoice:
    """Pick the order's customer. ``defaults`` carries the tax code and item tax for a new one."""
    if prefs.use_proxy_on_orders:
        proxy = (prefs.taxable_proxy if taxable else prefs.nontaxable_proxy) or ""
        if lookups.customer(proxy) is None:
            notes.error("proxy customer", f"proxy customer {proxy!r} does not exist in the back office")
        kind = "taxable" if taxable else "non-taxable"
        return CustomerChoice(action="proxy", name=proxy, rule=f"{kind} proxy (use proxy on orders)")

    rule, key, how = customer_key(order, prefs)
    if key is not None:
        found = lookups.find_customer(rule, key)
        if found is not None:
            return CustomerChoice(action="existing", name=found.name, rule=f"matched {how} ({key!r})")
    customer, billing = order.customer, order.billing or order.shipping
    new = NewCustomer(
        name=new_customer_name(order),
        email=order_email(order),
        company=(billing.company if billing else None) or (customer.company if customer else None),
        phone=(customer.phone if customer else None) or (billing.phone if billing else None),
        first_name=(customer.first_name if customer else None) or (billing.first_name if billing else None),
        last_name=(customer.last_name if customer else None) or (billing.last_name if billing else None),
        customer_type=prefs.customer_type,
        sales_rep=prefs.sales_rep,
        sales_tax_code=defaults.get("sales_tax_code"),
        item_sales_tax=defaults.get("item_sales_tax"),
        taxable=taxable,
        cart_id=customer.external_id if customer else None,
    )
    reason = f"no customer matched {how} ({key!r})" if key else f"nothing to match {how}"
    return CustomerChoice(action="create", name=new.name, rule=f"new customer: {reason}", new=new)


def address_key(address: CartAddress) -> str:
    return normalise(address.name or address.company, address.line1, address.city, address.postal_code, address.country)


def choose_ship_to(order: CartOrder, customer: CustomerChoice, prefs: Preferences, lookups: Lookups) -> ShipToChoice:
    """Pick or create the ship-to. Proxy orders keep the address on the order only."""
    address = order.shipping
    if address is None:
        return ShipToChoice(action="none", rule="the order has no shipping address")
    if customer.action == "proxy":
        return ShipToChoice(action="none", rule="proxy customer: the address is kept on the order", address=address)
    if prefs.ship_to_match == "address" and customer.action == "existing":
        found = lookups.find_ship_to(customer.name, address_key(address))
        if found is not None:
            return ShipToChoice(action="existing", rule="matched by address", existing_id=found, address=address)
    why = "always new (ship-to matching)" if prefs.ship_to_match == "always_new" else "no ship-to with this address"
    return ShipToChoice(action="create", rule=f"new ship-to: {why}", address=address)
