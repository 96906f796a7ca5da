"""The push-status phase: back-office shipping results go back to the cart orders they came from.

For every transaction this integration imported, the states to tell the cart are *shipped* with
tracking number and carrier, *voided*, *closed*; and the merchant's *cart status after import*,
once, only for the orders this job imported (an order imported by an earlier job, or before the
setting was chosen, is never touched), and only while the order is as it was imported: the driver
leaves an order changed in the cart since then alone (counted skipped, with a warning).

What the cart accepted is remembered on the order's binding (``data["pushed"]``), so each state is
sent once; a refused one is an error on the job and is sent again next run, except the cart status
after import when the cart refuses it for good: that is reported once, not every run. Each order is
recorded as soon as its own answer arrives (the driver's ``progress`` calls), not at the end of its
batch. Before a batch goes out its states are written down as sent (``data["sent"]``); a state sent
whose answer never came (a lost answer, a job killed mid-batch) goes again flagged ``retry``, and the
driver looks whether it is already done before writing it again, so a customer never gets the same
note twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_
from sqlmodel import select

from ecom import models as m
from ecom.jobs.context import JobRun
from ecom.jobs.writer import ORDER
from ecom.errors import FatalError
from ecom.records import PushResult, StatusUpdate

PHASE = "push_status"


def wanted_updates(
    txn: m.Transaction, ref: m.ExternalRef, cart_status: str | None, update_status: bool, *, new: bool = False
) -> list[StatusUpdate]:
    """The states of ``txn`` the cart has not been told yet; the cart status after import only when
    ``new`` (imported by the job that pushes)."""
    pushed, sent = set(ref.data.get("pushed", [])), set(ref.data.get("sent", []))
    order_id, number = ref.external_id, txn.web_order_number
    updates = []
    if cart_status and new and "cart_status" not in pushed:
        updates.append(
            StatusUpdate(
                order_id=order_id, number=number, kind="cart_status", cart_status=cart_status,
                unchanged_since=_moment(ref.data.get("cart_updated_at")), retry="cart_status" in sent,
            )
        )
    if not update_status:
        return updates
    if txn.voided_at is not None:
        if "voided" not in pushed:
            updates.append(StatusUpdate(order_id=order_id, number=number, kind="voided", retry="voided" in sent))
        return updates  # a voided order is not shipped or closed afterwards
    if txn.shipped_at is not None and "shipped" not in pushed:
        updates.append(
            StatusUpdate(
                order_id=order_id, number=number, kind="shipped", tracking_number=txn.tracking_number,
                carrier=txn.carrier, shipped_at=txn.shipped_at, retry="shipped" in sent,
            )
        )
    if txn.closed_at is not None and "closed" not in pushed:
        updates.append(StatusUpdate(order_id=order_id, number=number, kind="closed", retry="closed" in sent))
    return updates


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def push_status(run: JobRun) -> None:
    prefs, general = run.settings.preferences, run.settings.general
    cart_status = prefs.cart_status_after_import
    started = run.job.started_at
    wanted = []
    if general.update_order_status:  # only orders whose state changed can need a push
        wanted.append(or_(m.Transaction.shipped_at.is_not(None), m.Transaction.voided_at.is_not(None), m.Transaction.closed_at.is_not(None)))  # type: ignore[union-attr]
    if cart_status and started is not None:  # the orders this job imported
        wanted.append(m.Transaction.created_at >= started)
    if not wanted:
        return
    query = (
        select(m.Transaction, m.ExternalRef)
        .join(m.ExternalRef, (m.ExternalRef.local_id == m.Transaction.id) & (m.ExternalRef.kind == ORDER))
        .where(and_(m.Transaction.integration_id == run.integration_id, m.ExternalRef.integration_id == run.integration_id, or_(*wanted)))
        .order_by(m.Transaction.id)
    )
    pending: list[tuple[m.ExternalRef, StatusUpdate]] = []
    for txn, ref in run.session.exec(query):
        fresh = started is not None and txn.created_at is not None and txn.created_at >= started
        pending += [(ref, update) for update in wanted_updates(txn, ref, cart_status, general.update_order_status, new=fresh)]
    for start in range(0, len(pending), run.batch_size):
        batch = pending[start : start + run.batch_size]
        for ref, update in batch:  # written down before the call: an answer lost is a retry next time
            if update.kind not in ref.data.get("sent", []):
                ref.data = {**ref.data, "sent": sorted({*ref.data.get("sent", []), update.kind})}
                run.session.add(ref)
        def record(
            index: int, result: PushResult, commit: bool = True,
            batch: list[tuple[m.ExternalRef, StatusUpdate]] = batch, recorded: set[int] = set(),  # noqa: B006 - one set per batch
        ) -> None:
            if index in recorded or not 0 <= index < len(batch):
                return
            recorded.add(index)
            _record(run, *batch[index], result)
            if commit:
                run.session.commit()  # this order's answer is kept, whatever happens to the rest

        results = run.driver.call("push_status", connection=run.connection, updates=[u for _, u in batch], progress=record)
        if len(results) != len(batch):
            raise FatalError(f"The {run.driver.info.title} driver answered {len(results)} status updates for {len(batch)}.")
        for index, result in enumerate(results):
            record(index, result, commit=False)
        run.session.commit()


def _record(run: JobRun, ref: m.ExternalRef, update: StatusUpdate, result: PushResult) -> None:
    """Count one update's result, log it, and remember on the binding what the cart now knows."""
    run.log.count(PHASE, "fetched")
    if result.ok or (update.kind == "cart_status" and not result.retryable):
        sent = [kind for kind in ref.data.get("sent", []) if kind != update.kind]
        ref.data = {**ref.data, "pushed": sorted({*ref.data.get("pushed", []), update.kind}), "sent": sent}
        run.session.add(ref)
    if result.ok and result.action == "unchanged" and update.kind == "cart_status" and not update.retry:
        run.log.count(PHASE, "skipped")
        run.log.warning(PHASE, update.number or update.order_id, f"cart status after import not set: {result.message}", rule="cart")
    elif result.ok:
        run.log.count(PHASE, "updated")
    else:
        run.log.count(PHASE, "failed")
        run.log.error(PHASE, update.number or update.order_id, f"{update.kind}: {result.message}", rule="cart")
