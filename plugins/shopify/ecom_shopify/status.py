"""Pushing back-office order changes to Shopify: fulfil with tracking, close, cancel, tag.

The orders of a batch are read first in one query (``nodes``: their fulfillment orders with any
holds, and whether they are already closed or cancelled), so a re-run finds nothing left to do and
writes nothing (``fulfillmentCreate`` takes no idempotency key: looking first is the way). Shipped
creates one fulfillment per assigned location from the open fulfillment orders; a fulfillment order
Shopify will not fulfil now (on hold, scheduled, incomplete) is that order's failure, saying why and
who holds it, tried again on the next sync. Voided runs ``orderCancel``, which Shopify completes as
a background job that is polled for a while; the cart status after import is added as a tag, unless
the order changed in Shopify since it was imported. A user error is that order's failure, except
the ones that say the work is already done (the retry of a request whose answer was lost).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ecom import PushResult, RejectedError, StatusUpdate, drivers
from ecom.graphql import check_user_errors
from ecom_shopify import queries
from ecom_shopify.api import Shopify

FULFILLABLE = {"OPEN", "IN_PROGRESS"}
#: Fulfillment order statuses that may be fulfilled later, and how to say so (enums/FulfillmentOrderStatus).
NOT_NOW = {"ON_HOLD": "is on hold", "SCHEDULED": "is scheduled for later", "INCOMPLETE": "is incomplete"}
#: User errors that mean a retry found the work done (Shopify's words).
FULFILLED_ALREADY = re.compile(r"unfulfillable status\s*=\s*closed", re.I)
CANCELLED_ALREADY = re.compile(r"already been cancelled", re.I)


def push(shop: Shopify, updates: list[StatusUpdate]) -> list[PushResult]:
    ids = [gid for update in updates if (gid := order_gid(update.order_id))]
    # 15 orders x 10 fulfillment orders with their holds: 795 points, under 1,000
    orders = shop.nodes_by_id(queries.ORDERS_FOR_STATUS, ids, per_query=15)

    def found(order_ids: list[str]) -> dict[str, drivers.OrderState]:
        read = {i: orders.get(order_gid(i) or "") for i in order_ids}
        return {i: (drivers.last_change(o.get("updatedAt")), None) for i, o in read.items() if o is not None}

    left = {id(updates[i]): result for i, result in drivers.changed_since_import(updates, found, cart="Shopify").items()}

    def send(update: StatusUpdate) -> PushResult:
        order = orders.get(order_gid(update.order_id) or "")
        if order is None:
            raise RejectedError(f"Shopify has no order {update.order_id}")
        return left.get(id(update)) or HANDLERS[update.kind](shop, update, order)

    return drivers.each_record(updates, send, ref=lambda u: u.order_id)


def order_gid(order_id: str) -> str | None:
    """The order's global id (a bare number is an order's legacy id), or None when it is neither."""
    if order_id.startswith("gid://shopify/Order/"):
        return order_id
    return f"gid://shopify/Order/{order_id}" if order_id.isdigit() else None


def _done(update: StatusUpdate, message: str, action: str = "unchanged", external_id: str | None = None) -> PushResult:
    return PushResult(ref=update.order_id, ok=True, action=action, message=message, external_id=external_id)  # type: ignore[arg-type]


def shipped(shop: Shopify, update: StatusUpdate, order: dict[str, Any]) -> PushResult:
    groups: dict[str, list[str]] = defaultdict(list)
    waiting = []
    for fo in order["fulfillmentOrders"]["nodes"]:
        if fo["status"] in FULFILLABLE:
            groups[((fo.get("assignedLocation") or {}).get("location") or {}).get("id", "")].append(fo["id"])
        elif fo["status"] in NOT_NOW:
            waiting.append(fo)
    if not groups and not waiting:
        statuses = {fo["status"] for fo in order["fulfillmentOrders"]["nodes"]}
        if order.get("cancelledAt") and "CLOSED" not in statuses:
            raise RejectedError(f"{order['name']} was cancelled in Shopify, so it cannot be shipped there; "
                                "void it in the back office if it will not ship")
        return _done(update, f"{order['name']} has no open fulfillment order: already fulfilled")
    tracking = {"number": update.tracking_number, "company": update.carrier, "url": update.tracking_url}
    created = []
    for fulfillment_orders in groups.values():
        fulfillment = {
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo} for fo in fulfillment_orders],
            "trackingInfo": {k: v for k, v in tracking.items() if v},
            "notifyCustomer": bool(shop.option("notify_customer", False)),
        }
        payload = shop.query(queries.FULFILL, {"fulfillment": fulfillment})["fulfillmentCreate"]
        if check_user_errors(payload, done=FULFILLED_ALREADY):
            continue  # our own earlier try, whose answer was lost, fulfilled it
        created.append(payload["fulfillment"]["id"])
    if waiting:
        done = "fulfilled what could be, but " if created else ""
        raise RejectedError(f"{done}{order['name']} cannot be shipped in Shopify now: " + "; ".join(_why_not(fo) for fo in waiting)
                            + ". The tracking is kept and sent again on the next sync.")
    return _done(update, f"fulfilled {order['name']}", "updated", ",".join(created) or None)


def _why_not(fo: dict[str, Any]) -> str:
    """Why Shopify will not fulfil ``fo`` now, with the holds' reasons and holders as it gives them."""
    words = f"its fulfillment order {NOT_NOW[fo['status']]}"
    holds = []
    for hold in fo.get("fulfillmentHolds") or []:
        reason = hold.get("displayReason") or str(hold.get("reason", "")).replace("_", " ").lower()
        if hold.get("reasonNotes"):
            reason += f" ({hold['reasonNotes']})"
        if (hold.get("heldByApp") or {}).get("title"):
            reason += f", held by {hold['heldByApp']['title']}"
        holds.append(reason)
    return words + (f": {'; '.join(holds)}" if holds else "")


def closed(shop: Shopify, update: StatusUpdate, order: dict[str, Any]) -> PushResult:
    if order.get("closed"):
        return _done(update, f"{order['name']} is already closed")
    check_user_errors(shop.query(queries.CLOSE, {"input": {"id": order["id"]}})["orderClose"])
    return _done(update, f"closed {order['name']}", "updated")


def voided(shop: Shopify, update: StatusUpdate, order: dict[str, Any]) -> PushResult:
    if order.get("cancelledAt"):
        return _done(update, f"{order['name']} is already cancelled")
    variables = {
        "orderId": order["id"],
        "reason": shop.option("cancel_reason", "OTHER"),
        "refundMethod": {"originalPaymentMethodsRefund": True} if shop.option("cancel_refund", False) else None,
        "restock": bool(shop.option("cancel_restock", True)),
        "notifyCustomer": bool(shop.option("notify_customer", False)),
        "staffNote": "Voided in the back office (ecom)",
    }
    payload = shop.query(queries.CANCEL, variables)["orderCancel"]
    if check_user_errors(payload, key="orderCancelUserErrors", done=CANCELLED_ALREADY):
        return _done(update, f"{order['name']} is already cancelled", "updated")  # our own earlier try, answer lost
    job, polls = payload["job"], int(shop.option("cancel_polls", 5))
    if job is not None:
        try:  # waits of 0.5, 1, 2... seconds: cancel_polls of them
            drivers.poll(lambda: shop.query(queries.JOB, {"id": job["id"]})["job"], done=lambda j: j is None or j["done"],
                         what=f"Shopify's job {job['id']}", timeout=0.5 * (2**polls - 1), first=job, delay=0.5)
        except drivers.PollTimeout:
            return _done(update, f"Shopify accepted the cancellation of {order['name']}; its job {job['id']} is still running", "updated")
    return _done(update, f"cancelled {order['name']}", "updated")


def cart_status(shop: Shopify, update: StatusUpdate, order: dict[str, Any]) -> PushResult:
    if not update.cart_status:
        raise RejectedError("no cart status to set")
    if update.cart_status in (order.get("tags") or []):
        return _done(update, f"{order['name']} is already tagged {update.cart_status!r}")
    if update.unchanged_since is None and (order.get("cancelledAt") or order.get("closed")):  # imported before the date was kept
        return _done(update, f"{order['name']} is {'cancelled' if order.get('cancelledAt') else 'closed'} in Shopify")
    check_user_errors(shop.query(queries.TAGS_ADD, {"id": order["id"], "tags": [update.cart_status]})["tagsAdd"])
    return _done(update, f"tagged {order['name']} {update.cart_status!r}", "updated")


HANDLERS = {"shipped": shipped, "closed": closed, "voided": voided, "cart_status": cart_status}
