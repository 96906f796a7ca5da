"""Writing a mapped order: rows and bindings together, customers and ship-tos never duplicated."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.jobs.writer import AlreadyImported, number_transactions, write_order
from ecom.mapping import DbLookups, map_order
from tests.mapping.conftest import sample_order

LINES = [{"external_id": "1", "sku": "TC-MUG-WHT", "quantity": 2, "unit_price": "12.50"}]


def order(n: int, street: str, **changes):
    return sample_order(
        external_id=str(9000 + n), number=f"#W{n}", lines=LINES, discounts=[], tax_lines=[], total_tax="0",
        total=str(25 + 5.90), shipping={"first_name": "Dana", "last_name": "Keller", "line1": street, "city": "New York",
                                        "state": "NY", "postal_code": "10001", "country": "US"},
        **changes,
    )


def write(shop, cart_order):
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        outcome = map_order(cart_order, integrations.load_settings(session, integration), DbLookups(session, integration.id))
        assert outcome.errors == [], outcome.errors
        txn_id = write_order(session, integration.id, outcome.draft, cart_updated_at="x")
        number_transactions(session, [txn_id])
        return txn_id


def test_a_returning_customer_shipping_somewhere_new_gets_a_second_ship_to(shop):
    write(shop, order(1, "210 W 29th St"))
    write(shop, order(2, "1 Main St"))
    write(shop, order(3, "210 W 29th  st"))  # the first address again, typed differently
    with shop.session() as session:
        customers = session.exec(select(m.Customer)).all()
        ship_tos = session.exec(select(m.ShipTo.name, m.ShipTo.line1).order_by(m.ShipTo.id)).all()
        txns = session.exec(select(m.Transaction.ship_to_id).order_by(m.Transaction.id)).all()
    assert [c.email for c in customers] == ["Dana.Keller@example.net"]
    assert ship_tos == [("Dana Keller", "210 W 29th St"), ("Dana Keller, 1 Main St", "1 Main St")]
    assert txns[0] == txns[2] != txns[1]


def test_an_order_is_written_once(shop):
    write(shop, order(1, "210 W 29th St"))
    with pytest.raises(AlreadyImported):
        write(shop, order(1, "210 W 29th St"))
    assert shop.count(m.Transaction) == 1


def test_transactions_are_numbered_by_type(shop):
    txn_id = write(shop, order(1, "210 W 29th St"))
    with shop.session() as session:
        assert session.get(m.Transaction, txn_id).number == f"SO-{txn_id:06d}"


def test_with_proxies_not_used_on_orders_the_order_keeps_its_customer_and_names_the_proxy(shop):
    with shop.db.session() as session:
        session.add(m.Customer(name="Web Sales (taxable)"))
        session.add(m.Customer(name="Web Sales (exempt)", taxable=False))
    with shop.db.session() as session:
        integration = integrations.get(session, shop.name)
        settings = integrations.load_settings(session, integration)
        settings.preferences.taxable_proxy = "Web Sales (taxable)"
        settings.preferences.nontaxable_proxy = "Web Sales (exempt)"
        integrations.save_settings(session, integration, settings)
    txn_id = write(shop, order(1, "210 W 29th St"))  # no tax charged: the non-taxable proxy
    with shop.session() as session:
        txn = session.get(m.Transaction, txn_id)
        assert session.get(m.Customer, txn.customer_id).email == "Dana.Keller@example.net"
        assert session.get(m.Customer, txn.accounting_customer_id).name == "Web Sales (exempt)"
