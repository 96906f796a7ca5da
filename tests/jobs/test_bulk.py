"""Many rows in a few statements (ecom.jobs.bulk): what the import's inserts write, on both backends,
is what a SQLAlchemy insert of the same rows would write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ecom import models as m
from ecom.jobs.bulk import SQLITE_MAX_ROWS, insert_many, new_ids


def test_more_rows_than_one_statement_takes_return_every_id_once(ecom_db):
    rows = [{"name": f"Buyer {n:05d}", "email": f"b{n}@example.com", "taxable": n % 2 == 0} for n in range(2 * SQLITE_MAX_ROWS + 7)]
    table = m.Customer.__table__
    with ecom_db.engine.begin() as c:
        returned = insert_many(c, table, rows, "name", "id")
        stored = dict(c.execute(sa.select(table.c.name, table.c.id)).all())
        taxable = dict(c.execute(sa.select(table.c.name, table.c.taxable)).all())
    assert len(returned) == len(rows) and dict(returned) == stored  # each row's own id, none twice
    assert taxable["Buyer 00002"] is True and taxable["Buyer 00003"] is False


def test_a_column_left_out_takes_its_python_default_and_each_value_its_types_conversion(ecom_db):
    table = m.Transaction.__table__
    with ecom_db.engine.begin() as c:
        customer = insert_many(c, m.Customer.__table__, [{"name": "Ann"}], "id")[0].id
        [txn_id] = new_ids(c, table, 1)
        insert_many(c, table, [{"id": txn_id, "number": "SO-1", "date": date(2026, 3, 1), "customer_id": customer,
                                "total": Decimal("12.30"), "type": m.TransactionType.SHIP_DOC}])
        row = c.execute(sa.select(table).where(table.c.id == txn_id)).one()
    assert row.total == Decimal("12.30") and row.subtotal == Decimal("0")  # exact, and the column's default
    assert row.type == m.TransactionType.SHIP_DOC and row.status == "open" and row.currency == "USD"
    assert row.created_at is not None and row.created_at.tzinfo is not None


def test_a_float_where_money_belongs_is_refused_and_nothing_is_written(ecom_db):
    table = m.Transaction.__table__
    with pytest.raises(TypeError, match="must be a Decimal, not the float"):
        with ecom_db.engine.begin() as c:
            customer = insert_many(c, m.Customer.__table__, [{"name": "Bo"}], "id")[0].id
            insert_many(c, table, [{"number": "SO-2", "date": date(2026, 3, 1), "customer_id": customer, "total": 12.3}])
    with ecom_db.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(m.Customer.__table__)).scalar() == 0


def test_ids_taken_first_follow_the_ones_given_before(ecom_db):
    table = m.Customer.__table__
    with ecom_db.engine.begin() as c:
        [first] = insert_many(c, table, [{"name": "Cy"}], "id")
        taken = new_ids(c, table, 3)
    assert len(set(taken)) == 3 and min(taken) > first.id
