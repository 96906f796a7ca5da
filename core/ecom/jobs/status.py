"""The push-status phase: back-office shipping results go back to the cart orders they came from.

For every transaction this integration imported, the states to tell the cart are: the merchant's
*cart status after import* (once), *shipped* with tracking number and carrier, *voided*, *closed*.
What the cart accepted is remembered on the order's binding (``data["pushed"]``), so each state is
sent once; a refused one is an error on the job and is sent again next run, except the cart status
after import when the cart refuses it for good (the order moved on in the cart, e.g. completed):
that is reported once, not every run.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import select

from ecom import models as m
from ecom.jobs.context import JobRun
from ecom.jobs.writer import ORDER
from ecom.records import StatusUpdate

PHASE = "push_status"


def wanted_updates(txn: m.Transaction, ref: m.ExternalRef, cart_status: str | None, update_status: bool) -> list[StatusUpdate]:
    """The states of ``txn`` the cart has not been told yet."""
    pushed = set(ref.data.get("pushed", []))
    order_id, number = ref.external_id, txn.web_order_number
    updates = []
    if cart_status and "cart_status" not in pushed:
        updates.append(StatusUpdate(order_id=order_id, number=number, kind="cart_status", cart_status=cart_status))
    if not update_status:
        return updates
    if txn.voided_at is not None:
        if "voided" not in pushed:
            updates.append(StatusUpdate(order_id=order_id, number=number, kind="voided"))
        return updates  # a voided order is not shipped or closed afterwards
    if txn.shipped_at is not None and "shipped" not in pushed:
        updates.append(
            StatusUpdate(
                order_id=order_id, number=number, kind="shipped", tracking_number=txn.tracking_number,
                carrier=txn.carrier, shipped_at=txn.shipped_at,
            )
        )
    if txn.closed_at is not None and "closed" not in pushed:
        updates.append(StatusUpdate(order_id=order_id, number=number, kind="closed"))
    return updates


def push_status(run: JobRun) -> None:
    prefs, general = run.settings.preferences, run.settings.general
    cart_status = prefs.cart_status_after_import
    query = (
        select(m.Transaction, m.ExternalRef)
        .join(m.ExternalRef, (m.ExternalRef.local_id == m.Transaction.id) & (m.ExternalRef.kind == ORDER))
        .where(m.Transaction.integration_id == run.integration_id, m.ExternalRef.integration_id == run.integration_id)
        .order_by(m.Transaction.id)
    )
    if not cart_status:  # only orders whose state changed can need a push
        query = query.where(
            or_(m.Transaction.shipped_at.is_not(None), m.Transaction.voided_at.is_not(None), m.Transaction.closed_at.is_not(None))  # type: ignore[union-attr]
        )
    pending: list[tuple[m.ExternalRef, StatusUpdate]] = []
    for txn, ref in run.session.exec(query):
        pending += [(ref, update) for update in wanted_updates(txn, ref, cart_status, general.update_order_status)]
    for start in range(0, len(pending), run.batch_size):
        batch = pending[start : start + run.batch_size]
        results = run.driver.call("push_status", connection=run.connection, updates=[u for _, u in batch])
        for (ref, update), result in zip(batch, results, strict=True):
            run.log.count(PHASE, "fetched")
            if result.ok or (update.kind == "cart_status" and not result.retryable):
                ref.data = {**ref.data, "pushed": sorted({*ref.data.get("pushed", []), update.kind})}
                run.session.add(ref)
            if result.ok:
                run.log.count(PHASE, "updated")
            else:
                run.log.count(PHASE, "failed")
                run.log.error(PHASE, update.number or update.order_id, f"{update.kind}: {result.message}", rule="cart")
        run.session.commit()
