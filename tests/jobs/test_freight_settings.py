"""Freight settings that break after they were saved (issue 10, SPEC §2 ship method mapping).

A ship method that loses its other-charge item is an error on the orders that need it (those
with freight in the Freight box), never a job that reads no order; ``ecom import ship-methods``
refuses to take the item away from a ship method an active integration puts freight through;
a sync refused for its settings exits 3 (usage/config), not 4 (the cart).
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from ecom import integrations
from ecom import models as m
from ecom.models import JobStatus
from ecom.settings import IntegrationSettings


def _freight(order: dict) -> Decimal:
    return sum((Decimal(str(s["price"])) for s in order.get("shipping") or []), Decimal(0))


def test_a_ship_method_that_lost_its_other_charge_item_fails_only_the_orders_with_freight(shop):
    shop.fake.seed(orders=40, seed=11)
    with shop.session() as session:  # e.g. the freight item was re-typed by an items import since
        for method in session.exec(select(m.ShipMethod)):
            method.other_charge_item_id = None
            session.add(method)
        session.commit()
    importable = [o for o in shop.fake.orders.values() if not o.get("archived_at")]
    with_freight = {o["number"] for o in importable if _freight(o)}
    assert with_freight and len(with_freight) < len(importable), "the seed has orders with and without freight"

    job = shop.sync()

    assert job.status is JobStatus.SUCCEEDED_WITH_ERRORS
    with shop.session() as session:
        errors = session.exec(select(m.JobEvent).where(m.JobEvent.job_id == job.id, m.JobEvent.level == m.EventLevel.ERROR)).all()
        numbers = set(session.exec(select(m.Transaction.web_order_number)).all())
    failed = {e.record_ref for e in errors}
    assert failed <= with_freight and not numbers & with_freight
    freight_errors = [e for e in errors if e.rule == "freight"]
    assert {e.record_ref for e in freight_errors} == with_freight - {e.record_ref for e in errors if e.rule != "freight"}
    assert all("has no other-charge item" in e.message for e in freight_errors)
    assert job.counts["import_orders"]["created"] == len(numbers) > 0


def test_a_sync_refused_for_its_settings_exits_3_and_runs_nothing(shop, ecom_cli):
    with shop.session() as session:
        session.delete(session.exec(select(m.TransactionClass).where(m.TransactionClass.name == "Web")).one())
        session.commit()
    result = ecom_cli("sync", shop.name)
    assert result.exit_code == 3, result.output
    assert "preferences.class: no class named 'Web'" in result.stderr
    assert shop.count(m.Job) == 0


def test_import_ship_methods_refuses_to_take_the_item_from_a_method_an_active_integration_uses(shop, ecom_cli, tmp_path):
    csv = tmp_path / "ship-methods.csv"
    csv.write_text("name,carrier,other_charge_item\nUPS Ground,UPS,\nUSPS Priority,USPS,FREIGHT\n")
    refused = ecom_cli("import", "ship-methods", str(csv))
    assert refused.exit_code == 3, refused.output
    assert "row 2, column other_charge_item" in refused.stderr and "'shop'" in refused.stderr
    with shop.session() as session:
        ground = session.exec(select(m.ShipMethod).where(m.ShipMethod.name == "UPS Ground")).one()
        assert ground.other_charge_item_id is not None, "nothing imported"
        settings = integrations.load_settings(session, shop.integration(session)).model_dump(by_alias=True)
        settings["shipping"].update(freight_as_line=True, freight_item="FREIGHT")
        integrations.save_settings(session, shop.integration(session), IntegrationSettings.model_validate(settings))
        session.commit()
    accepted = ecom_cli("import", "ship-methods", str(csv))
    assert accepted.exit_code == 0, accepted.output
