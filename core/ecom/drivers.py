"""Helpers for a driver's write operations (one result per record, chunked batches, cached cart
ids, status-map settings), for waiting on a cart's asynchronous job (:func:`poll`) and for reading
a listing that has no cursor (:func:`overlapping_offsets`).

Every cart caps how many records one write request may carry and answers per record, and every
driver must look up the cart's ids for the merchant's keys (SKU → product, variant, inventory
item) once, keep them in ``connection.refs`` and look them up again when the cart says a cached
one is gone. This module holds those patterns so that a driver only says how to talk to its cart:
:func:`chunks` (:func:`batches` for a stream) and :func:`send_in_chunks` for batches with each result
mapped back to its record, :func:`all_or_nothing` for a batch the cart writes whole or not at all,
:func:`resolve_refs` and :func:`retry_stale_refs` for cached ids, and :func:`status_table` for the
setting that maps a cart's custom order statuses to the six web order statuses;
:func:`each_record` for writes sent one record at a time, each record's refusal being its own
failed result; :class:`Results` for writes that screen records first and send the rest in
batches, each result filled in when it is known; :func:`poll` for a bulk export or a background job the cart runs, waited for with
backoff while the running sync job keeps its lease and stops when it is cancelled;
:func:`changed_since_import` for the rule that a cart status after import leaves alone an order
the cart changed since it was imported.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from ecom import http as ecom_http
from ecom.errors import ConfigError, DriverError, RecordError, RejectedError, RetryableError
from ecom.records import BadValueError, Page, PushResult, RefCache, StatusUpdate, WebOrderStatus, moment, translate_page

K = TypeVar("K")
G = TypeVar("G", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E")

#: What a status map may send a cart status to, besides the six web order statuses.
NOT_ORDERS = ("archived", "not imported")


def each_record(
    records: Iterable[T],
    send: Callable[[T], PushResult],
    *,
    ref: Callable[[T], str],
    progress: Callable[[int, PushResult], None] | None = None,
) -> list[PushResult]:
    """One result per record, in order: ``send(record)``'s, or when the cart refuses that record
    (:class:`~ecom.errors.RejectedError`) or it is bad (:class:`~ecom.errors.RecordError`), a
    failed result naming it (``ref(record)``) with the reason. Any other error (the cart is
    unreachable, the credentials are refused) is not one record's and propagates. ``progress(i,
    result)`` (``push_status``'s argument) hears each result as soon as it is final."""
    results = []
    for i, record in enumerate(records):
        try:
            result = send(record)
        except (RejectedError, RecordError) as exc:
            result = PushResult.failed(ref(record), str(exc))
        results.append(result)
        if progress is not None:
            progress(i, result)
    return results


class Results:
    """The results of one write hook, one slot per record, filled in any order: the records the
    driver refuses before sending (a bad id, a location the cart lacks), then the cart's batch
    answers for the rest. ``ref(record)`` names each record in its result; ``progress(i, result)``
    (``push_status``'s argument) hears each one as soon as it is given.

    A slot is given one result: a second is a driver bug (:class:`ValueError`), and so is a slot
    left empty when :meth:`done` is asked for the list.
    """

    def __init__(
        self,
        records: Sequence[T],
        *,
        ref: Callable[[T], str],
        progress: Callable[[int, PushResult], None] | None = None,
    ) -> None:
        self.records, self._ref, self._progress = records, ref, progress
        self._slots: list[PushResult | None] = [None] * len(records)

    def set(self, i: int, result: PushResult) -> None:
        """Record ``result`` as record ``i``'s."""
        if self._slots[i] is not None:
            raise ValueError(f"record {i} ({self._ref(self.records[i])}) was given two results")
        self._slots[i] = result
        if self._progress is not None:
            self._progress(i, result)

    def ok(self, i: int, **fields: Any) -> None:
        """Record ``i`` done: a :class:`~ecom.records.PushResult` naming it, with ``fields``
        (``action``, ``external_id``, ``message``)."""
        self.set(i, PushResult(ref=self._ref(self.records[i]), ok=True, **fields))

    def fail(self, i: int, message: str, *, retryable: bool = False) -> None:
        """Record ``i`` failed, for the reason ``message`` (the cart's words, or the driver's)."""
        self.set(i, PushResult.failed(self._ref(self.records[i]), message, retryable=retryable))

    def screen(self, prepare: Callable[[T], R]) -> list[tuple[int, R]]:
        """``prepare(record)`` for each record still without a result, in order: what it gives
        (what to send for it), by index. A record it refuses (:class:`~ecom.errors.RejectedError`:
        the cart lacks its SKU or location; :class:`~ecom.errors.RecordError`) is given that
        failure in its words instead; any other error propagates."""
        prepared = []
        for i in self.open():
            try:
                prepared.append((i, prepare(self.records[i])))
            except (RejectedError, RecordError) as exc:
                self.fail(i, str(exc))
        return prepared

    def open(self) -> list[int]:
        """The records without a result yet, by index, in order."""
        return [i for i, result in enumerate(self._slots) if result is None]

    def done(self) -> list[PushResult]:
        """One result per record, in the records' order. :raises ValueError: one has none."""
        missing = self.open()
        if missing:
            names = ", ".join(self._ref(self.records[i]) for i in missing[:5])
            raise ValueError(f"{len(missing)} records were given no result: {names}")
        return list(self._slots)  # type: ignore[arg-type]


class PollTimeout(RetryableError):
    """The job was still running when :func:`poll` stopped waiting; ``last`` is its last state."""

    def __init__(self, message: str, last: Any) -> None:
        super().__init__(message)
        self.last = last


_keepalive: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("ecom_keepalive", default=None)


@contextlib.contextmanager
def keeping_alive(beat: Callable[[], None]) -> Iterator[None]:
    """While inside, :func:`poll` calls ``beat()`` before each wait. The job engine puts the running
    job's heartbeat here around each hook call, so a long wait keeps the job's lease and a
    cancelled or taken-over job stops (``beat`` raises) instead of waiting on."""
    token = _keepalive.set(beat)
    try:
        yield
    finally:
        _keepalive.reset(token)


def poll(
    read: Callable[[], T],
    *,
    done: Callable[[T], bool],
    what: str,
    timeout: float,
    failed: Callable[[T], str | None] | None = None,
    first: T | None = None,
    delay: float = 1.0,
    max_delay: float = 30.0,
) -> T:
    """Wait for a cart's asynchronous job (a bulk export, a background cancellation): ``read()``
    its state until ``done(state)``, and return that state.

    Waits start at ``delay`` seconds and double up to ``max_delay``. ``first``: a state already
    known (the answer that started the job), looked at before the first wait instead of a read.
    Before each wait the running sync job's heartbeat beats (:func:`keeping_alive`), so the wait
    neither loses the job's lease nor outlives its cancellation.

    :raises RetryableError: ``failed(state)`` names why the job failed (``what`` and the reason).
    :raises PollTimeout: still not done after ``timeout`` seconds of waiting (with the last state).
    """
    state = read() if first is None else first
    waited, deadline = 0.0, time.monotonic() + timeout
    while not done(state):
        why = failed(state) if failed is not None else None
        if why:
            raise RetryableError(f"{what} {why}")
        if waited >= timeout or time.monotonic() >= deadline:
            raise PollTimeout(f"{what} is still running after {waited:g} s", state)
        beat = _keepalive.get()
        if beat is not None:
            beat()
        pause = min(delay, timeout - waited)
        ecom_http.default_sleep(pause)  # looked up at call time: tests put a virtual clock there
        waited, delay = waited + pause, min(delay * 2, max_delay)
        state = read()
    return state


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in consecutive lists of at most ``size``, in order."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[n : n + size]) for n in range(0, len(items), size)]


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Like :func:`chunks`, for an iterator read as it goes (records streamed from a file, made
    into pages of ``size``): each list is yielded as soon as it is full, the last when ``items``
    ends; never an empty one."""
    if size < 1:
        raise ValueError("size must be at least 1")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def all_or_nothing(
    items: Sequence[T],
    send: Callable[[list[T]], Mapping[int, Sequence[E]]],
    *,
    gave_up: E,
    attempts: int = 2,
) -> list[list[E]]:
    """Each item's refusals (none: written) from a batch write the cart applies whole or not at all.

    ``send(batch)`` writes ``batch`` and returns the refusals by position in it (empty: all were
    written). When the cart refused some items it wrote none, so the items it did not refuse are
    sent again, up to ``attempts`` sends in all; those still unwritten after the last get
    ``[gave_up]`` (the driver's words for it).
    """
    refusals: list[list[E]] = [[] for _ in items]
    todo = list(range(len(items)))
    for _attempt in range(attempts):
        if not todo:
            break
        refused = send([items[n] for n in todo])
        if not refused:
            return refusals
        for position, errors in refused.items():
            refusals[todo[position]] = list(errors)
        todo = [n for position, n in enumerate(todo) if position not in refused]
    for n in todo:
        refusals[n] = [gave_up]
    return refusals


def missing_permissions(
    granted: Iterable[str], needs: Mapping[str, Iterable[str]], operations: Iterable[str], *, holder: str
) -> list[str]:
    """Test Connection's warnings: one per permission (an access scope) that an enabled operation
    needs (``needs``: hook name → permissions) and ``granted`` lacks, operations in name order,
    each saying ``{holder} lacks {permission}, needed to {operation in words}.`` (``holder``: "The
    access token")."""
    have = set(granted)
    return [
        f"{holder} lacks {permission}, needed to {operation.replace('_', ' ')}."
        for operation in sorted(set(operations) & needs.keys())
        for permission in needs[operation]
        if permission not in have
    ]


def send_in_chunks(
    entries: Iterable[tuple[K, G, T]],
    size: int,
    send: Callable[[G, list[T]], Sequence[R]],
    *,
    refused: Callable[[RejectedError], R] | None = None,
) -> dict[K, R]:
    """Send ``(key, target, item)`` entries, at most ``size`` items per call; return each key's result.

    Entries are grouped by ``target`` (e.g. the batch route and the action) in the order targets
    first appear, and ``send(target, items)`` is called per chunk of a group; it returns one
    result per item, in order. When ``refused`` is given, a chunk the cart refuses as a whole
    (:class:`~ecom.errors.RejectedError`) gives each of its keys ``refused(error)`` and the other
    chunks are still sent; other errors propagate.

    :raises DriverError: ``send`` returned a different number of results than it was given items.
    """
    groups: dict[G, list[tuple[K, T]]] = {}
    for key, target, item in entries:
        groups.setdefault(target, []).append((key, item))
    out: dict[K, R] = {}
    for target, group in groups.items():
        for chunk in chunks(group, size):
            try:
                results = send(target, [item for _, item in chunk])
            except RejectedError as exc:
                if refused is None:
                    raise
                out.update((key, refused(exc)) for key, _ in chunk)
                continue
            if len(results) != len(chunk):
                raise DriverError(f"{len(results)} results for a batch of {len(chunk)} records")
            out.update((key, result) for (key, _), result in zip(chunk, results, strict=True))
    return out


def resolve_refs(
    refs: RefCache,
    kind: str,
    keys: Iterable[str],
    lookup: Callable[[list[str]], Mapping[str, str]],
) -> dict[str, str]:
    """The cart ids of ``keys`` (e.g. SKUs): from ``refs`` under ``kind``, and for the ones not
    cached, from one ``lookup(missing)`` call, whose answers for keys asked are stored in
    ``refs``. A key the cart does not know is left out. ``lookup`` gets each missing key once, in
    first-seen order; it may store more kinds for what it finds (e.g. a variant's product id)."""
    wanted = list(dict.fromkeys(keys))
    found = {key: ref for key in wanted if (ref := refs.get(kind, key)) is not None}
    missing = [key for key in wanted if key not in found]
    if missing:
        for key, ref in lookup(missing).items():
            if key in missing and key not in found:
                refs.set(kind, key, ref)
                found[key] = ref
    return found


def retry_stale_refs(
    refs: RefCache,
    kind: str,
    pending: Iterable[K],
    attempt: Callable[[list[K], bool], Mapping[K, R]],
    stale: Callable[[K, R], str | None],
) -> dict[K, R]:
    """Run ``attempt(pending, retry)`` and, once, again for the records whose result says a cached
    cart id is stale: ``stale(record, result)`` returns the ref key to forget (None: not stale),
    the key is forgotten under ``kind`` and the record is tried again with ``retry=True`` (when
    ``attempt`` resolves its ids afresh). A result that is still stale the second time is kept."""
    out: dict[K, R] = {}
    todo = list(pending)
    for retry in (False, True):
        again: list[K] = []
        for record, result in attempt(todo, retry).items():
            key = None if retry else stale(record, result)
            if key is None:
                out[record] = result
            else:
                refs.forget(kind, key)
                again.append(record)
        if not again:
            break
        todo = again
    return out


def status_target(value: Any) -> WebOrderStatus | str:
    """A status-map value as the admin wrote it: a web order status by label (``On Credit Hold``)
    or value (``on_credit_hold``), any case, ``-``/``_``/space alike; or ``archived`` /
    ``not imported``. :raises ValueError: it is none of those."""
    key = str(value).strip().lower().replace("-", " ").replace("_", " ")
    if key in NOT_ORDERS:
        return key
    return WebOrderStatus(key.replace(" ", "_"))


def status_table(
    base: Mapping[str, WebOrderStatus | str],
    overrides: Mapping[str, Any] | None,
    *,
    setting: str = "status_map",
    slug: Callable[[str], str] = str,
) -> dict[str, WebOrderStatus | str]:
    """A driver's status table with the admin's setting laid over it: ``overrides`` maps a cart
    status (normalised by ``slug``) to a :func:`status_target`.

    :raises ConfigError: a value is not a status, naming the setting and the choices.
    """
    table = dict(base)
    for status, target in (overrides or {}).items():
        try:
            table[slug(status)] = status_target(target)
        except ValueError:
            choices = ", ".join([s.label for s in WebOrderStatus] + list(NOT_ORDERS))
            raise ConfigError(f"{setting}: {target!r} for {status!r} is not one of {choices}.") from None
    return table


def overlapping_offsets(
    read: Callable[[int], tuple[R, list[Any]]], page_size: int, id_of: Callable[[Any], int | None]
) -> Iterator[tuple[R, list[Any]]]:
    """Every object of a listing sorted by ascending id, for a cart that pages by offset and has no
    cursor: yields (the cart's answer, the objects in it not yielded before).

    ``read(offset)`` asks for ``page_size`` objects from ``offset`` and returns (answer, objects).
    Pages overlap by one object: each page after the first must start at or before the last id
    already read. When it starts after it, objects before it left the listing (trashed, deleted)
    and moved the rest back, so the read steps back until it finds its place again: no object is
    ever skipped. Sorted by id, an edit never moves an object, and a new one comes last. An object
    that joins the listing before the place read (a restored order) is not read: joining changed
    it, so the next read since a watermark meets it.
    """
    offset, last = 0, None
    while True:
        answer, objects = read(offset)
        ids = [id_of(obj) for obj in objects]
        known = [i for i in ids if i is not None]
        if last is not None and offset > 0 and (not known or known[0] > last):
            offset = max(0, offset - (page_size - 1))  # objects before the place read left the listing
            continue
        yield answer, [obj for obj, i in zip(objects, ids, strict=True) if last is None or i is None or i > last]
        if len(objects) < page_size or not known:
            return
        last = max(known if last is None else [last, *known])
        offset += len(objects) - 1


# -- a cart status after import, only on an order still as it was imported -----------------------

#: One order as the cart has it now: (its last change, its status in the cart's words or None).
OrderState = tuple[datetime | None, str | None]

#: The last change of an order whose time the cart gave in a form nobody can read: later than any
#: import, so the order is left alone rather than changed on a guess (:func:`last_change`).
UNREADABLE = datetime.max.replace(tzinfo=UTC)


def last_change(value: Any) -> datetime | None:
    """An order's last change as the cart gives it (ISO 8601, no offset read as UTC), for an
    :data:`OrderState`: None when it gives none; :data:`UNREADABLE` when it is not a time, so one
    malformed order is left alone instead of failing the others' push."""
    try:
        return moment(value, "last change")
    except BadValueError:
        return UNREADABLE


def changed_since_import(
    updates: Sequence[StatusUpdate] | Mapping[int, StatusUpdate],
    read: Callable[[list[str]], Mapping[str, OrderState]],
    *,
    cart: str = "the cart",
    gone: bool = False,
) -> dict[int, PushResult]:
    """The ``cart_status`` updates to leave alone, by index, each with its result: their order
    changed in the cart after the update's ``unchanged_since`` (the order's ``updated_at`` when it
    was imported, :class:`~ecom.records.StatusUpdate`), so the merchant's later change is kept.

    ``updates``: a hook's list, or some of it by index (the ones a driver has not refused).
    ``read(order_ids)`` is called once, with each order id of the updates that carry
    ``unchanged_since`` once (chunk the reads inside as the cart allows), and returns, for each
    order the cart has, its :data:`OrderState`. An order it does not return is left to the write
    (which fails in the cart's words), unless ``gone``: the cart lists every order it keeps, so
    one not listed was trashed or deleted since it was imported, which changed it.

    Each result is ok, ``action="unchanged"``, its ``ref`` the order id and its message why,
    naming ``cart`` (the job shows it as a warning: the cart status after import was not set).
    """
    asked = {
        i: update
        for i, update in (updates.items() if isinstance(updates, Mapping) else enumerate(updates))
        if update.kind == "cart_status" and update.unchanged_since is not None
    }
    if not asked:
        return {}
    found = read(list(dict.fromkeys(update.order_id for update in asked.values())))
    left: dict[int, PushResult] = {}
    for i, update in asked.items():
        state = found.get(update.order_id)
        why = None
        if state is None and gone:
            why = f"{cart} no longer lists the order (trashed or deleted since it was imported)"
        elif state is not None and state[0] == UNREADABLE:
            why = f"{cart} gave the order in a form that cannot be read, so whether it changed since it was imported is unknown"
        elif state is not None and state[0] is not None and update.unchanged_since is not None and state[0] > update.unchanged_since:
            why = f"the order changed in {cart} since it was imported" + (f" (now {state[1]})" if state[1] else "")
        if why is not None:
            left[i] = PushResult(ref=update.order_id, ok=True, action="unchanged", message=why)
    return left


# -- a listing read as pages of records ------------------------------------------------------------


def read_pages(
    answers: Iterable[tuple[Any, list[Any]]], translate: Callable[[Any], Any], *, ref: Callable[[Any], str]
) -> Iterator[Page[Any]]:
    """A listing's answers, each (the cart's response, the raw records in it), as pages of
    records (:func:`~ecom.records.translate_page`: a record that does not fit is that record's
    failure), the first page's ``read_at`` the cart's clock when it answered
    (:func:`ecom.http.cart_clock`): the watermark never passes what the cart had then."""
    for n, (response, raws) in enumerate(answers):
        page = translate_page(raws, translate, ref=ref)
        if n == 0:
            page.read_at = ecom_http.cart_clock(response)
        yield page
