"""The import-orders phase: cart orders → mapped → written, exactly once, in small batches.

Pages come from the driver; each order is checked against its binding (imported before: skipped),
mapped (:func:`ecom.mapping.map_order`) and written with its customer, ship-to and bindings in a
savepoint, so a failing order leaves nothing behind and never stops the others. Every batch is
committed with the job's counts, events and heartbeat: a crash loses at most the batch in flight,
and the next run skips what was stored.

The watermark moves once the phase has read every page, and only past stored orders: to the
newest stored order's ``updated_at``, but never past the oldest order that failed to map (it is
read again next run, after the admin fixes the mapping). An order the driver could not translate
does not hold it back: fixing it in the cart changes its ``updated_at``, so it comes back. Each
run re-reads an overlap window before the watermark (``OVERLAP``): free, since imports are
idempotent, and it covers clocks that disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ecom import models as m
from ecom.db import is_conflict
from ecom.jobs import state
from ecom.jobs.context import JobRun
from ecom.jobs.lifecycle import heartbeat
from ecom.jobs.writer import ORDER, AlreadyImported, Names, Rows, batch_retried, write_order
from ecom.mapping import DbLookups, map_order
from ecom.records import CartOrder, Page

PHASE = "import_orders"
OVERLAP = dt.timedelta(minutes=10)


def _batches(orders: list[CartOrder], size: int) -> Iterator[list[CartOrder]]:
    for start in range(0, len(orders), size):
        yield orders[start : start + size]


def import_orders(run: JobRun) -> None:
    if run.retry_of:  # `ecom jobs retry`: the orders that failed in that job, as it kept them
        import_pages(run, [failed_orders(run, run.retry_of)])
        run.session.commit()
        return
    watermark = None if run.full else state.get(run.session, run.integration_id, "orders")
    since = watermark - OVERLAP if watermark else None
    pages: Iterable[Page[CartOrder]] = run.driver.call("fetch_orders", connection=run.connection, since=since)
    newest, held = import_pages(run, pages)
    if newest is not None:
        new_mark = min(newest, held) if held else newest
        if watermark is None or new_mark > watermark:
            state.put(run.session, run.integration_id, "orders", new_mark)
    run.session.commit()


def failed_orders(run: JobRun, job_id: int) -> Page[CartOrder]:
    """The orders that failed in job ``job_id``, from the copies its error events kept."""
    query = select(m.JobEvent).where(m.JobEvent.job_id == job_id, m.JobEvent.phase == PHASE).order_by(m.JobEvent.id)
    orders: dict[str, CartOrder] = {}
    for event in run.session.exec(query):
        if event.payload and event.payload.get("external_id") not in orders:
            orders[event.payload["external_id"]] = CartOrder.model_validate(event.payload)
    return Page(records=list(orders.values()))


def import_pages(run: JobRun, pages: Iterable[Page[CartOrder]]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Import every order of ``pages``; returns (newest stored updated_at, oldest failed updated_at)."""
    log, session = run.log, run.session
    lookups = DbLookups(session, run.integration_id)
    names = Names(session)
    newest: dt.datetime | None = None
    held: dt.datetime | None = None
    for page in pages:
        for failure in page.failures:
            log.count(PHASE, "fetched")
            log.count(PHASE, "failed")
            log.error(PHASE, failure.ref, f"the cart's order could not be read: {failure.message}", rule="translation")
        for batch in _batches(page.records, run.batch_size):
            for order, stored in zip(batch, import_batch(run, batch, lookups, names), strict=True):
                if stored:
                    newest = max(newest, order.updated_at) if newest else order.updated_at
                else:
                    held = min(held, order.updated_at) if held else order.updated_at
            heartbeat(session, run.job)
            session.commit()
    return newest, held


@batch_retried
def import_batch(run: JobRun, batch: list[CartOrder], lookups: DbLookups, names: Names) -> list[bool]:
    """Import a batch; for each order, whether it is stored (now or before) or deliberately skipped.

    The fast way first: the whole batch in one savepoint, its rows inserted together. If any write
    in it fails (a race with another process, a row the database refuses), the savepoint takes the
    batch back and it goes again order by order, each in its own savepoint, so the failure is that
    one order's.
    """
    bound = bound_orders(run, [order.external_id for order in batch])
    before = run.log.snapshot()
    rows = Rows()
    try:
        with run.session.connection().begin_nested():
            stored = [import_one(run, order, lookups, names, order.external_id in bound, rows) for order in batch]
            rows.insert(run.session)
        return stored
    except Exception as exc:  # noqa: BLE001 - retried order by order below, where each failure is named
        if is_conflict(exc):
            raise  # the whole batch goes again (batch_retried)
        run.log.restore(before)
        lookups.forget()
        names.forget()
        return [import_one(run, order, lookups, names, order.external_id in bound, None) for order in batch]


def bound_orders(run: JobRun, external_ids: list[str]) -> set[str]:
    """Which of these cart orders were imported before (one query for a batch)."""
    query = select(m.ExternalRef.external_id).where(
        m.ExternalRef.integration_id == run.integration_id, m.ExternalRef.kind == ORDER,
        col(m.ExternalRef.external_id).in_(external_ids),
    )
    return set(run.session.exec(query))


def import_one(run: JobRun, order: CartOrder, lookups: DbLookups, names: Names, bound: bool, rows: Rows | None) -> bool:
    """Import one order; True when it is stored (now or before) or deliberately skipped.

    With ``rows`` (the batch's fast way) a write that fails raises, for the batch to go again one
    order at a time; without, the order is written in its own savepoint and a failure is its error.
    """
    log, session = run.log, run.session
    log.count(PHASE, "fetched")
    if bound:
        log.count(PHASE, "skipped")
        return True
    outcome = map_order(order, run.settings, lookups)
    for note in outcome.warnings:
        log.warning(PHASE, order.number, note.message, rule=note.rule)
    if outcome.skipped:
        log.count(PHASE, "skipped")
        return True
    if outcome.draft is None:
        log.count(PHASE, "failed")
        payload = order.model_dump(mode="json")
        for note in outcome.errors:
            log.error(PHASE, order.number, note.message, rule=note.rule, payload=payload)
        return False
    if rows is not None:
        write_order(
            run.session, run.integration_id, outcome.draft, cart_updated_at=order.updated_at.isoformat(),
            new_item_group=run.settings.general.import_product_group, names=names, rows=rows,
        )
        log.count(PHASE, "created")
        return True
    for attempt in (1, 2):
        try:
            with session.connection().begin_nested():  # the writer speaks SQL: a plain savepoint
                write_order(
                    session, run.integration_id, outcome.draft, cart_updated_at=order.updated_at.isoformat(),
                    new_item_group=run.settings.general.import_product_group, names=names,
                )
            break
        except AlreadyImported:
            log.count(PHASE, "skipped")
            return True
        except IntegrityError as exc:
            # Another process created the same customer (or item) a moment ago: map again, once,
            # so this order finds it instead of failing.
            if attempt == 1:
                outcome = map_order(order, run.settings, lookups)
                if outcome.draft is not None:
                    continue
            return _write_failed(run, order, exc)
        except Exception as exc:  # noqa: BLE001 - a write that fails is this order's error, the job goes on
            if is_conflict(exc):
                raise  # the whole batch goes again (batch_retried)
            return _write_failed(run, order, exc)
    log.count(PHASE, "created")
    return True


def _write_failed(run: JobRun, order: CartOrder, exc: Exception) -> bool:
    run.log.count(PHASE, "failed")
    message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    run.log.error(PHASE, order.number, f"could not be written: {message}", rule="write", payload=order.model_dump(mode="json"))
    return False
