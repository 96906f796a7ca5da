"""The import-orders phase: cart orders → mapped → written, exactly once, in small batches.

Pages come from the driver; each order is checked against its binding (imported before: skipped;
the same cart id with another order number, or another customer and total: an error naming both
orders), mapped (:func:`ecom.mapping.map_order`) and written with its customer, ship-to and
bindings in a savepoint, so a failing order leaves nothing behind and never stops the others.
Every batch is committed with the job's counts, events and heartbeat: a crash loses at most the
batch in flight, and the next run skips what was stored.

An order that fails (a mapping rule, a write the database refused, a reused cart id) is an error
on the job and is kept aside (:class:`~ecom.models.FailedOrder`: its cart id and the copy read),
so it never holds the watermark back. After the read, the phase asks the cart again, by id, for
the kept-aside orders the read did not meet (the driver's ``fetch_orders_by_id``, one request per
page of ids; the kept copies when the driver has no such hook) and imports them: an order fixed
in the mapping imports on the next sync. A row goes when its order is stored or skipped by a
rule; ``ecom orders dismiss`` stops the retries until the cart changes the order. An order the
driver could not translate is an error but is not kept: fixing it in the cart changes its
``updated_at``, so it comes back.

The watermark moves once the phase has read every page: to the newest order stored or kept aside,
but never past the moment the read started by the cart's clock (the first page's ``read_at``,
else ours), so an order created or changed during or after the read is read next time, whatever
date another order claims. Each run re-reads an overlap window before the watermark
(``OVERLAP``): free, since imports are idempotent, and it covers clocks that disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ecom import models as m
from ecom.db import is_conflict
from ecom.drivers import chunks
from ecom.jobs import state
from ecom.jobs.context import JobRun
from ecom.jobs.lifecycle import heartbeat
from ecom.jobs.writer import ORDER, AlreadyImported, BatchWriter, Names, batch_retried, write_order
from ecom.mapping import DbLookups, Lookups, map_order
from ecom.mapping.batch import BatchLookups
from ecom.records import CartOrder, Page

PHASE = "import_orders"
OVERLAP = dt.timedelta(minutes=10)
#: kept-aside orders asked for per ``fetch_orders_by_id`` call (the driver pages them further)
RETRY_CHUNK = 500
#: orders written and committed together: the cart's pages are joined up to this many
#: (``bench/import_throughput.py``: per-batch costs, a commit above all, fall with its size; up
#: to three batches are in memory at once, one read ahead, one being joined, one being written,
#: and Shopify's orders with their payloads took a sync past 150 MB at 300)
BATCH = 200

#: an order's binding as the import reads it: ``external_id``, ``local_id`` (its transaction), ``data``
Binding = sa.Row[Any]

#: what import_one says about an order: None when it is stored (now or before) or deliberately
#: skipped, else why it failed
Failure = str | None


def _batches(orders: list[CartOrder], size: int) -> Iterator[list[CartOrder]]:
    for start in range(0, len(orders), size):
        yield orders[start : start + size]


def import_orders(run: JobRun) -> None:
    importer = Importer(run)
    if run.retry_of:  # `ecom jobs retry`: the orders that failed in that job, as it kept them
        importer.import_pages([failed_orders(run, run.retry_of)])
        run.session.commit()
        return
    watermark = None if run.full else state.get(run.session, run.integration_id, "orders")
    since = watermark - OVERLAP if watermark else None
    started = m.utcnow()
    pages: Iterable[Page[CartOrder]] = run.driver.fetch("fetch_orders", at_least=BATCH, connection=run.connection, since=since)
    importer.import_pages(pages)
    if importer.newest is not None:
        new_mark = min(importer.newest, importer.read_at or started)
        if watermark is None or new_mark > watermark:
            state.put(run.session, run.integration_id, "orders", new_mark)
    run.session.commit()
    importer.retry_kept_aside()
    run.session.commit()


def failed_orders(run: JobRun, job_id: int) -> Page[CartOrder]:
    """The orders that failed in job ``job_id``, from the copies its error events kept."""
    query = select(m.JobEvent).where(m.JobEvent.job_id == job_id, m.JobEvent.phase == PHASE).order_by(m.JobEvent.id)
    orders: dict[str, CartOrder] = {}
    for event in run.session.exec(query):
        if event.payload and event.payload.get("external_id") not in orders:
            orders[event.payload["external_id"]] = CartOrder.model_validate(event.payload)
    return Page(records=list(orders.values()))


class Importer:
    """One job's import of pages of orders: the caches every page shares, the orders kept aside,
    which of them the job met, the newest ``updated_at`` met and the cart's clock at the first page."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.lookups = DbLookups(run.session, run.integration_id)
        self.names = Names(run.session)
        self.aside = state.failed_orders(run.session, run.integration_id)
        self.met: set[str] = set()
        self.newest: dt.datetime | None = None
        self.read_at: dt.datetime | None = None
        self._first = True

    def import_pages(self, pages: Iterable[Page[CartOrder]]) -> None:
        """Import every order of ``pages``; those that fail are kept aside, those stored leave it."""
        run, log, session = self.run, self.run.log, self.run.session
        for page in pages:
            if self._first:
                self.read_at, self._first = page.read_at, False
            for failure in page.failures:
                log.count(PHASE, "fetched")
                log.count(PHASE, "failed")
                log.error(PHASE, failure.ref, f"the cart's order could not be read: {failure.message}", rule="translation")
            for batch in _batches(page.records, BATCH):
                results = import_batch(run, batch, self.lookups, self.names, self.aside)
                for order, failure in zip(batch, results, strict=True):
                    self.newest = max(self.newest, order.updated_at) if self.newest else order.updated_at
                    row = self.aside.get(order.external_id)
                    if row is not None or failure is not None:  # only kept-aside orders are asked for again:
                        self.met.add(order.external_id)  # memory grows with them, not with the orders read
                    if failure is not None:
                        self.aside[order.external_id] = state.keep_aside(
                            session, run.integration_id, order, failure, run.job.id, row
                        )
                    elif row is not None and not _dismissed_and_unchanged(row, order):
                        state.forget_failed(session, [self.aside.pop(order.external_id)])
                heartbeat(session, run.job)
                session.commit()

    def retry_kept_aside(self) -> None:
        """Import again the kept-aside orders this job has not met, as the cart has them now."""
        run = self.run
        rows = [r for r in self.aside.values() if r.dismissed_at is None and r.external_id not in self.met]
        if not rows:
            return
        run.log.count(PHASE, "retried", len(rows))
        ids = [row.external_id for row in rows]
        if run.driver.implements("fetch_orders_by_id"):
            for chunk in chunks(ids, RETRY_CHUNK):
                self.import_pages(run.driver.call("fetch_orders_by_id", connection=run.connection, ids=chunk))
        else:  # the driver cannot read orders by id: the copies kept, a chunk at a time
            self.import_pages(
                Page(records=[CartOrder.model_validate(copy) for copy in state.kept_copies(run.session, chunk)])
                for chunk in chunks(rows, RETRY_CHUNK)
            )
        for row in rows:
            if row.external_id not in self.met:
                run.log.count(PHASE, "failed")
                run.log.error(
                    PHASE, row.number,
                    f"kept aside since {row.first_failed_at:%Y-%m-%d} ({row.error}), but the cart no longer returns "
                    f"this order (deleted or trashed?); `ecom orders dismiss {row.id}` stops asking for it",
                    rule="kept aside",
                )
        heartbeat(run.session, run.job)
        run.session.commit()


def _dismissed_and_unchanged(row: m.FailedOrder, order: CartOrder) -> bool:
    """The admin dismissed this failed order and the cart has not changed it since."""
    return row.dismissed_at is not None and order.updated_at <= row.cart_updated_at


@batch_retried
def import_batch(
    run: JobRun, batch: list[CartOrder], lookups: DbLookups, names: Names, aside: dict[str, m.FailedOrder] | None = None,
) -> list[Failure]:
    """Import a batch; for each order, None when it is stored (now or before) or deliberately
    skipped, else why it failed.

    The fast way first: the whole batch in one savepoint, the back office read for the whole batch
    at once (:class:`~ecom.mapping.batch.BatchLookups`) and its rows inserted together
    (:class:`~ecom.jobs.writer.BatchWriter`). If any write in it fails (a race with another
    process, a row the database refuses), the savepoint takes the batch back and it goes again
    order by order, each in its own savepoint, so the failure is that one order's. ``aside``
    holds the orders kept aside: a dismissed one the cart has not changed is skipped.
    """
    bound = bound_orders(run, [order.external_id for order in batch])
    aside = aside or {}
    before = run.log.snapshot()
    try:
        with run.session.connection().begin_nested(), run.log.held():  # the batch's events: one insert
            seen = BatchLookups(lookups, batch, run.settings.preferences)
            writer = BatchWriter(run.session, run.integration_id, names, seen)
            results = [import_one(run, order, seen, names, bound.get(order.external_id), writer, aside.get(order.external_id))
                       for order in batch]
            writer.write()
        return results
    except Exception as exc:  # noqa: BLE001 - retried order by order below, where each failure is named
        if is_conflict(exc):
            raise  # the whole batch goes again (batch_retried)
        run.log.restore(before)
        lookups.forget()
        names.forget()
        return [import_one(run, order, lookups, names, bound.get(order.external_id), None, aside.get(order.external_id))
                for order in batch]


def bound_orders(run: JobRun, external_ids: list[str]) -> dict[str, Binding]:
    """The bindings of those of these cart orders imported before (one query for a batch)."""
    found = run.session.connection().execute(_BOUND, {"integration": run.integration_id, "ids": external_ids})
    return {row.external_id: row for row in found}


_REFS = m.ExternalRef.__table__.c  # type: ignore[attr-defined]
# built once, the ids an expanding parameter (a list written in costs a new cache key per call)
_BOUND = sa.select(_REFS.external_id, _REFS.local_id, _REFS.data).where(
    _REFS.integration_id == sa.bindparam("integration"), _REFS.kind == ORDER,
    _REFS.external_id.in_(sa.bindparam("ids", expanding=True)),
)


def identity(order: CartOrder) -> dict[str, str]:
    """What the binding keeps to tell a changed order from another order under the same cart id:
    the buyer (email, else the cart's customer id) and the total."""
    customer = order.customer
    email = (customer and customer.email) or (order.billing and order.billing.email)
    who = (email or "").lower() or (customer and customer.external_id) or ""
    return {"customer": who, "total": str(order.total)}


def reused_id(run: JobRun, order: CartOrder, binding: Binding) -> str | None:
    """Why ``order`` is not the order bound to its cart id, or None when it is that order.

    The same cart id with another order number, or with both another buyer and another total, is
    another order: a cart that reused an id (a restored backup, a store migrated into this one).
    """
    data = binding.data or {}
    known, now = data.get("number"), identity(order)
    other_number = known is not None and known != order.number
    other_buyer = "customer" in data and data["customer"] != now["customer"] and data.get("total") != now["total"]
    if not (other_number or other_buyer):
        return None
    txn = run.session.get(m.Transaction, binding.local_id) if binding.local_id else None
    was = f"order {known or '?'}" + (f" ({txn.number})" if txn is not None else "")
    if other_number:
        what = f"now carries order {order.number}, but it was imported as {was}"
    else:
        what = (f"was imported as {was} for {data['customer'] or 'a guest'} at {data.get('total')}, but the cart now "
                f"sends it for {now['customer'] or 'a guest'} at {now['total']}")
    return (f"cart id {order.external_id} {what}: the cart reused the id for another order? "
            f"{order.number} is not imported; check both orders in the cart")


def import_one(
    run: JobRun, order: CartOrder, lookups: Lookups, names: Names, binding: Binding | None,
    batch: BatchWriter | None, kept: m.FailedOrder | None = None,
) -> Failure:
    """Import one order; None when it is stored (now or before) or deliberately skipped, else why
    it failed (an error on the job, naming the order).

    With ``batch`` (the batch's fast way) the order is staged there and a write that fails raises,
    for the batch to go again one order at a time; without, the order is written in its own
    savepoint and a failure is its error.
    """
    log, session = run.log, run.session
    log.count(PHASE, "fetched")
    if kept is not None and _dismissed_and_unchanged(kept, order):
        log.count(PHASE, "skipped")
        return None
    if binding is not None:
        clash = reused_id(run, order, binding)
        if clash is None:
            log.count(PHASE, "skipped")
            return None
        log.count(PHASE, "failed")
        log.error(PHASE, order.number, clash, rule="reused cart id", payload=order.model_dump(mode="json"))
        return clash
    outcome = map_order(order, run.settings, lookups)
    for note in outcome.warnings:
        log.warning(PHASE, order.number, note.message, rule=note.rule)
    if outcome.skipped:
        log.count(PHASE, "skipped")
        return None
    if outcome.draft is None:
        log.count(PHASE, "failed")
        payload = order.model_dump(mode="json")
        for note in outcome.errors:
            log.error(PHASE, order.number, note.message, rule=note.rule, payload=payload)
        return "; ".join(note.message for note in outcome.errors) or "the mapping refused it"
    if batch is not None:
        batch.add(
            outcome.draft, cart_updated_at=order.updated_at.isoformat(),
            new_item_group=run.settings.general.import_product_group, identity=identity(order),
        )
        log.count(PHASE, "created")
        return None
    for attempt in (1, 2):
        try:
            with session.connection().begin_nested():  # the writer speaks SQL: a plain savepoint
                write_order(
                    session, run.integration_id, outcome.draft, cart_updated_at=order.updated_at.isoformat(),
                    new_item_group=run.settings.general.import_product_group, names=names, identity=identity(order),
                )
            break
        except AlreadyImported:
            log.count(PHASE, "skipped")
            return None
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
    return None


def _write_failed(run: JobRun, order: CartOrder, exc: Exception) -> str:
    run.log.count(PHASE, "failed")
    message = f"could not be written: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
    run.log.error(PHASE, order.number, message, rule="write", payload=order.model_dump(mode="json"))
    return message
