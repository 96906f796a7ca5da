"""A small, realistic back office and integration settings, for ``ecom demo``, tests and benches.

:func:`seed_back_office` fills the lists a merchant would import by CSV (items for the cart's
SKUs plus an assembly built from two of them, stock at two locations, ship methods with their
freight item, tax codes and rates, payment methods, terms, discounts, a class, a custom field),
and :func:`sample_settings` maps a typical US store's orders onto them.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from ecom import models as m
from ecom.settings import IntegrationSettings

D = Decimal


def _get_or_add(session: Session, model: type, **fields: object) -> object:
    row = session.exec(select(model).filter_by(**{k: v for k, v in fields.items() if k in ("name", "sku")})).first()
    if row is None:
        row = model(**fields)
        session.add(row)
        session.flush()
    return row


def seed_back_office(session: Session, skus: list[str], untracked: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Lists, items for ``skus`` (stock 20 at Main, 5 at Warehouse) and an assembly; idempotent.

    SKUs in ``untracked`` (the cart keeps no stock for them, e.g. gift cards) become
    non-inventory items, which are never pushed.
    """
    group = _get_or_add(session, m.ItemGroup, name="Web")
    main = _get_or_add(session, m.Location, name="Main")
    warehouse = _get_or_add(session, m.Location, name="Warehouse")
    freight = _get_or_add(session, m.Item, sku="FREIGHT", name="Freight", type=m.ItemType.OTHER_CHARGE, taxable=False)
    _get_or_add(session, m.Item, sku="FEE", name="Fees", type=m.ItemType.OTHER_CHARGE, taxable=False)
    discount_item = _get_or_add(session, m.Item, sku="DISCOUNT", name="Discount", type=m.ItemType.DISCOUNT, taxable=False)
    items = []
    for n, sku in enumerate(skus):
        kind = m.ItemType.NON_INVENTORY if sku in untracked else m.ItemType.INVENTORY
        item = _get_or_add(session, m.Item, sku=sku, name=sku.replace("-", " ").title(), group_id=group.id, price=D("10.00"), type=kind)
        if kind is m.ItemType.NON_INVENTORY:
            continue
        items.append(item)
        if session.exec(select(m.Stock).where(m.Stock.item_id == item.id)).first() is None:
            session.add(m.Stock(item_id=item.id, location_id=main.id, on_hand=D(20 + n % 7), committed=D(n % 3)))
            session.add(m.Stock(item_id=item.id, location_id=warehouse.id, on_hand=D(5), committed=D(0)))
    if len(items) >= 2 and session.exec(select(m.Item).where(m.Item.sku == "GIFT-SET")).first() is None:
        kit = m.Item(sku="GIFT-SET", name="Gift Set", type=m.ItemType.ASSEMBLY, group_id=group.id, price=D("39.00"))
        session.add(kit)
        session.flush()
        session.add(m.BomLine(assembly_id=kit.id, component_id=items[0].id, quantity=D(2)))
        session.add(m.BomLine(assembly_id=kit.id, component_id=items[1].id, quantity=D(1)))
    for name in ("UPS Ground", "UPS 2nd Day", "USPS Priority", "DHL International", "FedEx International"):
        _get_or_add(session, m.ShipMethod, name=name, other_charge_item_id=freight.id)
    _get_or_add(session, m.SalesTaxCode, name="Tax", taxable=True)
    _get_or_add(session, m.SalesTaxCode, name="Non", taxable=False)
    for name, rate in (("NY 8.875%", "0.08875"), ("TX 8.25%", "0.0825"), ("Default 6%", "0.06"), ("Exempt", "0")):
        _get_or_add(session, m.ItemSalesTax, name=name, rate=D(rate))
    for name in ("Credit Card", "PayPal", "Purchase Order"):
        _get_or_add(session, m.PaymentMethod, name=name)
    _get_or_add(session, m.Term, name="Prepaid", term_type=m.TermType.CREDIT_CARD)
    _get_or_add(session, m.Term, name="Net 30", term_type=m.TermType.ACCOUNTS_RECEIVABLE)
    _get_or_add(session, m.Discount, name="Web Discount", item_id=discount_item.id)
    _get_or_add(session, m.TransactionClass, name="Web")
    _get_or_add(session, m.CustomerType, name="Web")
    _get_or_add(session, m.CustomField, name="Web Order #")
    session.flush()


def sample_settings(recipients: list[str] | None = None) -> IntegrationSettings:
    """Settings that map a typical US store onto :func:`seed_back_office`'s lists."""
    return IntegrationSettings.model_validate(
        {
            "general": {"update_order_status": True, "update_inventory": True, "include_buildable": True},
            "preferences": {"customer_type": "Web", "location": "Main", "class": "Web", "web_order_number_field": "Web Order #",
                            "hold_if_total_over": "500"},
            "sales_tax": {"taxable_code": "Tax", "taxable_item_tax": "Default 6%", "states": {"NY": "NY 8.875%", "TX": "TX 8.25%"},
                          "nontaxable_code": "Non", "nontaxable_item_tax": "Exempt", "nontaxable_shipping_tax": "Exempt"},
            "shipping": {
                "default_method": "UPS Ground",
                "methods": [
                    {"method": "UPS Ground", "cart_method": "Ground"},
                    {"method": "UPS Ground", "cart_method": "Standard (3-5 days)"},
                    {"method": "UPS Ground", "cart_method": "Free shipping"},
                    {"method": "UPS Ground", "cart_method": "Flat rate"},
                    {"method": "UPS 2nd Day", "cart_method": "2-Day Air"},
                    {"method": "USPS Priority", "cart_method": "Priority Mail"},
                    {"method": "DHL International", "cart_method": "International Economy"},
                    {"method": "FedEx International", "cart_method": "International Express"},
                ],
                "fee_item": "FEE",
            },
            "payments": {"import_payment": True, "default_method": "Credit Card", "default_term": "Prepaid",
                         "methods": [{"method": "PayPal", "term": "Prepaid", "cart_method": "paypal"},
                                     {"method": "Purchase Order", "term": "Net 30", "cart_method": "purchase_order"}]},
            "discounts": {"default_discount": "Web Discount"},
            "notify": {"recipients": recipients or []},
        }
    )


def untracked_skus(fake: object) -> set[str]:
    """The SKUs a fake cart keeps no stock for (:meth:`ecom.fake.FakeCart.product` quantity None)."""
    return {sku for sku in fake.skus() if (p := fake.product(sku)) is not None and p.quantity is None}  # type: ignore[attr-defined]
