"""The cart contract: what a cart driver implements, one hookspec per operation.

A driver is a module registered under the entry-point group ``ecom``; it implements these hooks
with ``@ecom.hookimpl``. The core calls each operation on **the integration's own driver only**,
always with keyword arguments, and speaks only the records of :mod:`ecom.records`. A driver
implements the operations its cart supports; the core reads which from the hooks it implements.

The long form, with an example per hook, is ``docs/plugin-hooks.md``; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ecom.fake import FakeCart
    from ecom.records import (
        CartInfo,
        CartOrder,
        CartProduct,
        Connection,
        ConnectionReport,
        Page,
        PushResult,
        StatusUpdate,
        StockLevel,
    )

hookspec = pluggy.HookspecMarker("ecom")
hookimpl = pluggy.HookimplMarker("ecom")


@hookspec
def describe_cart() -> CartInfo:
    """Describe the cart this driver talks to: its kind, title, what the four connection fields
    mean for it, and how its order statuses map to the six web order statuses.

    It may also say how the core checks the connection fields when they are saved: which ones
    the cart requires (``required``), the API paths an admin may paste after the store's address
    (``api_paths``, removed with a note), and the driver option that allows plain HTTP to another
    machine (``plain_http_option``, only for a driver that then sends no secret in clear).

    Every driver implements it; ``ecom plugins list``, ``ecom integration add`` / ``set`` /
    ``apply`` and the docs read it.

    :return: a :class:`~ecom.records.CartInfo`.
    """


@hookspec(firstresult=True)
def test_connection(connection: Connection, operations: frozenset[str]) -> ConnectionReport:
    """Check that the cart answers and accepts the credentials.

    Stops at first non-None result.

    :param connection: how to reach the cart (:class:`~ecom.records.Connection`).
    :param operations: the hook names the integration has switched on (e.g. ``push_inventory``),
        so the driver can name a permission those need and the credentials lack.
    :return: a :class:`~ecom.records.ConnectionReport` saying what the cart answered; permissions
        missing for the enabled operations go in its ``warnings``.
    :raises ecom.errors.AuthError: the cart refused the credentials; the message is the cart's.
    :raises ecom.errors.DriverError: the cart could not be reached or answered with an error.
    """


@hookspec(firstresult=True)
def fetch_orders(connection: Connection, since: datetime | None) -> Iterator[Page[CartOrder]]:
    """Read the cart's orders changed at or after ``since``, a page at a time.

    Stops at first non-None result.

    Return a generator: the core stores each page before asking for the next, so the whole
    history is never in memory. Yield every order the cart returns, archived ones included (with
    ``archived`` set): filtering is the core's job. A payload that cannot be translated goes in
    the page's ``failures`` and never stops the others (:func:`ecom.records.translate_page`).
    Read in an order an edit during the read cannot shift (a cursor, or ascending ids: see
    :func:`ecom.drivers.overlapping_offsets`), and set the first page's ``read_at`` to the cart's
    clock when the cart says it (:func:`ecom.http.cart_clock`): the watermark never passes it.

    :param connection: how to reach the cart.
    :param since: the watermark (timezone-aware), already moved back by the core's overlap
        window; None means every order (first sync, or a full re-read).
    :return: an iterator of :class:`~ecom.records.Page` of :class:`~ecom.records.CartOrder`.
    :raises ecom.errors.RetryableError: the cart kept failing after the HTTP helper's retries.
    :raises ecom.errors.AuthError: the credentials were refused.
    """


@hookspec(firstresult=True)
def fetch_orders_by_id(connection: Connection, ids: list[str]) -> Iterator[Page[CartOrder]]:
    """Read the cart's orders with these external ids, a page of ids per request.

    Stops at first non-None result.

    The core calls it on each sync for the orders it keeps aside because they failed to import
    (see ``docs/jobs.md``), so it must cost one request per page of ids, never a read of every
    order. Orders the cart no longer has are left out; a payload that cannot be translated goes
    in the page's ``failures``, as for :func:`fetch_orders`. A driver without it gets the kept
    copies tried again instead of the cart's current ones.

    :param connection: how to reach the cart.
    :param ids: external ids, as :attr:`~ecom.records.CartOrder.external_id` gave them; a few
        hundred at most.
    :return: an iterator of :class:`~ecom.records.Page` of :class:`~ecom.records.CartOrder`, in
        any order.
    :raises ecom.errors.RetryableError: the cart kept failing after the HTTP helper's retries.
    :raises ecom.errors.AuthError: the credentials were refused.
    """


@hookspec(firstresult=True)
def fetch_products(connection: Connection, since: datetime | None) -> Iterator[Page[CartProduct]]:
    """Read the cart's products (one record per sellable variant), a page at a time, for Import
    Products.

    Stops at first non-None result.

    :param connection: how to reach the cart.
    :param since: only products changed at or after this time; None means all.
    :return: an iterator of :class:`~ecom.records.Page` of :class:`~ecom.records.CartProduct`.
    :raises ecom.errors.DriverError: as for :func:`fetch_orders`.
    """


@hookspec(firstresult=True)
def push_status(
    connection: Connection, updates: list[StatusUpdate], progress: Callable[[int, PushResult], None] | None = None
) -> list[PushResult]:
    """Apply back-office order changes in the cart: shipped (with tracking), voided, closed, or
    the merchant's "cart status after import".

    Stops at first non-None result.

    :param connection: how to reach the cart.
    :param updates: the :class:`~ecom.records.StatusUpdate` batch. An update flagged ``retry`` may
        be done already (its answer was lost): look before writing it again.
    :param progress: optional; a driver that answers the batch order by order calls
        ``progress(index, result)`` as soon as ``updates[index]`` has its final result, so the core
        records it at once and a job killed mid-batch does not send it again. Leave it out of the
        implementation's arguments when the whole batch is answered at once.
    :return: one :class:`~ecom.records.PushResult` per update, in order, ``ref`` = the order's
        external id. A refused update is a failed result in the cart's words, never an exception.
    :raises ecom.errors.AuthError: the credentials were refused (the whole batch fails).
    :raises ecom.errors.RetryableError: the cart kept failing after the HTTP helper's retries.
    """


@hookspec(firstresult=True)
def push_inventory(connection: Connection, levels: list[StockLevel]) -> list[PushResult]:
    """Set the available quantity of each SKU in the cart.

    Stops at first non-None result.

    :param connection: how to reach the cart; ``connection.refs`` caches SKU → cart ids.
    :param levels: the :class:`~ecom.records.StockLevel` batch (only changed quantities, unless
        the admin asked for a full push).
    :return: one :class:`~ecom.records.PushResult` per level, in order, ``ref`` = the SKU. An
        unknown SKU or a refused quantity is a failed result, never an exception.
    :raises ecom.errors.AuthError: the credentials were refused (the whole batch fails).
    :raises ecom.errors.RetryableError: the cart kept failing after the HTTP helper's retries.
    """


@hookspec(firstresult=True)
def upsert_products(connection: Connection, products: list[CartProduct]) -> list[PushResult]:
    """Create products in the cart, or update the ones that exist (matched by ``external_id``,
    then by SKU): name, description, price, weight, active.

    Stops at first non-None result.

    :param connection: how to reach the cart.
    :param products: the :class:`~ecom.records.CartProduct` batch.
    :return: one :class:`~ecom.records.PushResult` per product, in order, ``ref`` = the SKU,
        ``action`` created or updated, ``external_id`` the cart's id.
    :raises ecom.errors.AuthError: the credentials were refused (the whole batch fails).
    :raises ecom.errors.RetryableError: the cart kept failing after the HTTP helper's retries.
    """


@hookspec(firstresult=True)
def fake_cart() -> FakeCart:
    """Hand the core a new, empty fake of this driver's cart (:class:`ecom.fake.FakeCart`).

    Stops at first non-None result.

    The driver conformance suite (:mod:`ecom.testing`) and ``ecom demo`` run against it, in
    process or on a loopback port. Each call returns a fresh fake with its own state.

    :return: a :class:`~ecom.fake.FakeCart`.
    """
