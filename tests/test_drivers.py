"""The helpers drivers share: per-record results (one at a time, or screened then batched), polling a cart's job, chunked batches, cached
cart ids, status-map settings, the cart status after import left off an order changed since its import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ecom import http as ecom_http
from ecom.drivers import (
    UNREADABLE, PollTimeout, Results, all_or_nothing, batches, changed_since_import, chunks, each_record, keeping_alive, last_change, missing_permissions, overlapping_offsets, poll, read_pages, resolve_refs, retry_stale_refs, send_in_chunks, status_table, status_target,
)
from ecom.errors import AuthError, ConfigError, DriverError, RecordError, RejectedError, RetryableError
from ecom.records import PushResult, RefCache, StatusUpdate, WebOrderStatus


def test_chunks_keep_order_and_cap_the_size():
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunks([], 3) == []
    with pytest.raises(ValueError):
        chunks([1], 0)


def test_send_in_chunks_groups_by_target_caps_each_call_and_maps_results_back():
    calls = []

    def send(target, items):
        calls.append((target, list(items)))
        return [f"{target}:{item}" for item in items]

    entries = [(0, "a", 10), (1, "b", 11), (2, "a", 12), (3, "a", 13), (4, "b", 14)]
    out = send_in_chunks(entries, 2, send)
    assert calls == [("a", [10, 12]), ("a", [13]), ("b", [11, 14])]
    assert out == {0: "a:10", 1: "b:11", 2: "a:12", 3: "a:13", 4: "b:14"}


def test_a_refused_chunk_fails_only_its_records():
    def send(target, items):
        if 2 in items:
            raise RejectedError("the cart refused this batch")
        return ["ok"] * len(items)

    out = send_in_chunks([(k, None, k) for k in range(5)], 2, send, refused=lambda exc: f"failed: {exc}")
    assert out == {0: "ok", 1: "ok", 2: "failed: the cart refused this batch", 3: "failed: the cart refused this batch", 4: "ok"}


def test_without_refused_or_for_other_errors_the_error_propagates():
    def refuse(target, items):
        raise RejectedError("no")

    with pytest.raises(RejectedError):
        send_in_chunks([(0, None, 1)], 10, refuse)

    def flaky(target, items):
        raise RetryableError("later")

    with pytest.raises(RetryableError):
        send_in_chunks([(0, None, 1)], 10, flaky, refused=str)


def test_a_send_that_loses_results_is_a_driver_error():
    with pytest.raises(DriverError, match="1 results for a batch of 2"):
        send_in_chunks([(0, None, 1), (1, None, 2)], 10, lambda target, items: ["only one"])


def test_resolve_refs_looks_up_only_the_missing_keys_once_and_caches_them():
    refs, lookups = RefCache(), []
    refs.set("item", "CACHED", "1")

    def lookup(missing):
        lookups.append(missing)
        return {"NEW": "2", "OTHER": "99", "CACHED": "3"}  # OTHER was not asked for; CACHED not asked either

    found = resolve_refs(refs, "item", ["CACHED", "NEW", "NEW", "UNKNOWN"], lookup)
    assert found == {"CACHED": "1", "NEW": "2"}
    assert lookups == [["NEW", "UNKNOWN"]]
    assert refs.get("item", "NEW") == "2" and refs.get("item", "OTHER") is None and refs.get("item", "CACHED") == "1"
    assert resolve_refs(refs, "item", ["CACHED", "NEW"], lookup) == {"CACHED": "1", "NEW": "2"}
    assert len(lookups) == 1, "everything cached: no lookup"


def test_retry_stale_refs_forgets_and_tries_stale_records_again_once():
    refs = RefCache()
    refs.set("item", "A", "old")
    refs.set("item", "B", "1")
    rounds = []

    def attempt(records, retry):
        rounds.append((list(records), retry))
        # A's cached id is stale the first time; C is stale both times
        return {r: ("stale" if (r == "A" and not retry) or r == "C" else "ok") for r in records}

    out = retry_stale_refs(refs, "item", ["A", "B", "C"], attempt, lambda r, result: r if result == "stale" else None)
    assert rounds == [(["A", "B", "C"], False), (["A", "C"], True)]
    assert out == {"A": "ok", "B": "ok", "C": "stale"}, "stale twice: the second answer is kept"
    assert refs.get("item", "A") is None and refs.get("item", "B") == "1"


def test_retry_stale_refs_runs_once_when_nothing_is_stale():
    rounds = []
    out = retry_stale_refs(RefCache(), "item", [1, 2], lambda rs, retry: rounds.append(retry) or {r: r for r in rs}, lambda r, res: None)
    assert out == {1: 1, 2: 2} and rounds == [False]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("On Credit Hold", WebOrderStatus.ON_CREDIT_HOLD),
        ("on_credit_hold", WebOrderStatus.ON_CREDIT_HOLD),
        (" payment-pending ", WebOrderStatus.PAYMENT_PENDING),
        ("CLOSED", WebOrderStatus.CLOSED),
        ("Archived", "archived"),
        ("not_imported", "not imported"),
    ],
)
def test_status_target_reads_labels_and_values(value, expected):
    assert status_target(value) == expected


def test_status_target_refuses_anything_else():
    with pytest.raises(ValueError):
        status_target("Shipped")


def test_status_table_lays_the_setting_over_the_drivers_table():
    base = {"open": WebOrderStatus.PROCESSING, "gone": "archived"}
    table = status_table(base, {"x-awaiting": "Approved", "open": "On Credit Hold"}, slug=lambda s: s.removeprefix("x-"))
    assert table == {"open": WebOrderStatus.ON_CREDIT_HOLD, "gone": "archived", "awaiting": WebOrderStatus.APPROVED}
    assert base["open"] == WebOrderStatus.PROCESSING, "the driver's table is not changed"
    assert status_table(base, None) == base


def test_status_table_names_the_setting_the_value_and_the_choices():
    with pytest.raises(ConfigError, match=r"custom_statuses: 'Shipped' for 'x' is not one of Processing, On Credit Hold, .*not imported\."):
        status_table({}, {"x": "Shipped"}, setting="custom_statuses")


@pytest.mark.parametrize("removed", [0, 1, 2, 5, 12])
@pytest.mark.parametrize("when", [1, 2, 3])
def test_overlapping_offsets_skip_nothing_when_objects_leave_or_join_between_pages(removed, when):
    listing = list(range(1, 48))  # ids, by offset; pages of 5
    reads: list[int] = []

    def read(offset):
        reads.append(offset)
        if len(reads) == when + 1:  # between two reads: objects already read leave, a new one comes last
            del listing[:removed]
            listing.append(1000)
        return offset, listing[offset : offset + 5]

    seen = [i for _, page in overlapping_offsets(read, 5, lambda i: i) for i in page]
    assert len(seen) == len(set(seen)), "no object twice"
    assert set(range(removed + 1, 48)) | {1000} <= set(seen), "none of the objects still listed is skipped"
    assert len(reads) <= 48 // 4 + 3 + removed // 4 + 1


def test_overlapping_offsets_read_one_page_per_page_size_minus_one_when_nothing_moves():
    listing = list(range(1, 21))
    reads = []

    def read(offset):
        reads.append(offset)
        return None, listing[offset : offset + 5]

    assert [i for _, page in overlapping_offsets(read, 5, lambda i: i) for i in page] == listing
    assert reads == [0, 4, 8, 12, 16]


# -- each_record ------------------------------------------------------------------------------------


def test_each_record_gives_one_result_per_record_in_order_a_refusal_being_that_records_own():
    heard = []

    def send(sku):
        if sku == "B":
            raise RejectedError("the cart says B's price is negative")
        if sku == "C":
            raise RecordError("no weight")
        return PushResult(ref=sku, ok=True, action="updated")

    results = each_record(["A", "B", "C", "D"], send, ref=str.lower, progress=lambda i, r: heard.append((i, r.ok)))
    assert [(r.ref, r.ok, r.message) for r in results] == [
        ("A", True, None), ("b", False, "the cart says B's price is negative"), ("c", False, "no weight"), ("D", True, None),
    ]
    assert heard == [(0, True), (1, False), (2, False), (3, True)]


def test_each_record_lets_an_error_that_is_not_the_records_stop_the_write():
    sent = []

    def send(sku):
        sent.append(sku)
        raise AuthError("the token was revoked")

    with pytest.raises(AuthError):
        each_record(["A", "B"], send, ref=str)
    assert sent == ["A"]


# -- Results ---------------------------------------------------------------------------------------


def test_results_are_given_in_any_order_and_listed_in_the_records_order():
    heard = []
    results = Results(["a", "b", "c"], ref=str.upper, progress=lambda i, r: heard.append((i, r.action)))
    results.fail(1, "no such product")  # refused before sending
    assert results.open() == [0, 2]
    results.ok(2, action="created", external_id="9")
    results.set(0, PushResult(ref="A", ok=True, action="unchanged"))
    assert results.open() == []
    assert [(r.ref, r.ok, r.action, r.external_id, r.message) for r in results.done()] == [
        ("A", True, "unchanged", None, None), ("B", False, "failed", None, "no such product"), ("C", True, "created", "9", None),
    ]
    assert heard == [(1, "failed"), (2, "created"), (0, "unchanged")]


def test_results_refuse_a_second_result_and_a_record_left_without_one():
    results = Results(["a", "b", "c"], ref=str.upper)
    results.ok(0)
    with pytest.raises(ValueError, match=r"record 0 \(A\) was given two results"):
        results.fail(0, "late")
    with pytest.raises(ValueError, match="2 records were given no result: B, C"):
        results.done()


def test_results_keep_a_failure_retryable_when_said():
    results = Results(["a"], ref=str)
    results.fail(0, "the note failed", retryable=True)
    assert results.done()[0].retryable is True


# -- poll -------------------------------------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(ecom_http, "default_sleep", slept.append)
    return slept


def test_poll_backs_off_until_done_and_returns_the_final_state(waits):
    states = iter(["RUNNING", "RUNNING", "RUNNING", "RUNNING", "COMPLETED"])
    assert poll(lambda: next(states), done=lambda s: s == "COMPLETED", what="the export", timeout=60, max_delay=5) == "COMPLETED"
    assert waits == [1.0, 2.0, 4.0, 5.0]


def test_poll_starts_from_a_known_state_and_says_why_a_job_failed(waits):
    reads = []

    def read():
        reads.append(1)
        return "FAILED"

    with pytest.raises(RetryableError, match="^the export ended FAILED$"):
        poll(read, done=lambda s: s == "COMPLETED", failed=lambda s: "ended FAILED" if s == "FAILED" else None,
             what="the export", timeout=60, first="RUNNING", delay=0.5)
    assert waits == [0.5] and len(reads) == 1


def test_poll_stops_waiting_at_the_timeout_with_the_last_state(waits):
    with pytest.raises(PollTimeout, match="the export is still running after 7 s") as late:
        poll(lambda: {"status": "RUNNING"}, done=lambda s: False, what="the export", timeout=7)
    assert waits == [1.0, 2.0, 4.0] and late.value.last == {"status": "RUNNING"}
    assert isinstance(late.value, RetryableError)


def test_poll_beats_the_running_jobs_heartbeat_and_stops_when_it_is_cancelled(waits):
    beats, reads = [], []

    def beat():
        beats.append(1)
        if len(beats) == 3:
            raise RuntimeError("job 7 was cancelled")

    def read():
        reads.append(1)
        return "RUNNING"

    with keeping_alive(beat), pytest.raises(RuntimeError, match="cancelled"):
        poll(read, done=lambda s: False, what="the export", timeout=3600)
    assert len(beats) == 3 and len(reads) == 3 and len(waits) == 2  # no wait, no read after the cancel
    poll(lambda: "DONE", done=lambda s: s == "DONE", what="x", timeout=1)  # outside: nothing beats
    assert len(beats) == 3


# -- changed_since_import ---------------------------------------------------------------------------

IMPORTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _after_import(order_id: str, since: datetime | None = IMPORTED) -> StatusUpdate:
    return StatusUpdate(order_id=order_id, kind="cart_status", cart_status="exported", unchanged_since=since)


def test_changed_since_import_leaves_alone_only_the_orders_changed_after_their_import():
    updates = [
        _after_import("1"),  # changed after its import
        _after_import("2"),  # as it was imported
        StatusUpdate(order_id="1", kind="voided"),  # another kind: never read, never left alone
        _after_import("3", since=None),  # imported before the date was kept: nothing to compare
        _after_import("4"),  # the cart does not say when it changed
        _after_import("1"),  # the same order again: read once
    ]
    asked = []

    def read(ids):
        asked.append(ids)
        return {"1": (IMPORTED + timedelta(seconds=1), "completed"), "2": (IMPORTED, "processing"), "4": (None, "x")}

    left = changed_since_import(updates, read, cart="Acme")
    assert asked == [["1", "2", "4"]]
    assert sorted(left) == [0, 5]
    assert [(r.ref, r.ok, r.action, r.message) for r in left.values()] == [
        ("1", True, "unchanged", "the order changed in Acme since it was imported (now completed)"),
    ] * 2


def test_changed_since_import_reads_nothing_without_a_cart_status_to_check():
    def read(ids):
        raise AssertionError(f"nothing to read, yet asked for {ids}")

    assert changed_since_import([StatusUpdate(order_id="1", kind="shipped"), _after_import("2", since=None)], read) == {}


def test_an_order_not_found_is_left_to_the_write_unless_the_cart_lists_every_order():
    updates = {3: _after_import("7"), 5: _after_import("8")}  # some of a hook's list, by index
    read = lambda ids: {"8": (IMPORTED - timedelta(days=1), None)}  # noqa: E731
    assert changed_since_import(updates, read) == {}
    left = changed_since_import(updates, read, cart="the shop", gone=True)
    assert list(left) == [3]
    assert left[3].action == "unchanged" and left[3].ref == "7"
    assert left[3].message == "the shop no longer lists the order (trashed or deleted since it was imported)"


def test_the_words_leave_out_a_status_the_cart_did_not_give():
    [result] = changed_since_import([_after_import("1")], lambda ids: {"1": (IMPORTED + timedelta(hours=1), None)}).values()
    assert result.message == "the order changed in the cart since it was imported"


def test_an_order_whose_last_change_cannot_be_read_is_left_alone_and_the_others_go_on():
    assert last_change("2026-03-01T09:00:01Z") == IMPORTED + timedelta(seconds=1)
    assert last_change("2026-03-01 09:00:00") == IMPORTED  # no offset: UTC
    assert last_change(None) is None and last_change("") is None
    assert last_change("yesterday") == last_change(1234) == UNREADABLE
    updates = [_after_import("1"), _after_import("2")]
    left = changed_since_import(updates, lambda ids: {"1": (last_change("31/02/2026"), "processing"), "2": (last_change(None), None)})
    assert list(left) == [0]  # order 2 says nothing of its last change: left to the write
    assert left[0].ok and left[0].action == "unchanged"
    assert left[0].message == "the cart gave the order in a form that cannot be read, so whether it changed since it was imported is unknown"


# -- read_pages ----------------------------------------------------------------------------------------


def test_read_pages_translates_each_answer_and_stamps_only_the_first_with_the_carts_clock():
    first = httpx.Response(200, headers={"Date": "Sun, 01 Mar 2026 09:00:00 GMT"}, json=[])
    later = httpx.Response(200, headers={"Date": "Sun, 01 Mar 2026 09:05:00 GMT"}, json=[])

    def translate(raw):
        if raw["id"] == "bad":
            raise ValueError("not an order")
        return None if raw["id"] == "draft" else raw["id"].upper()

    answers = [(first, [{"id": "a"}, {"id": "bad"}]), (later, [{"id": "draft"}, {"id": "c"}])]
    pages = list(read_pages(answers, translate, ref=lambda raw: f"#{raw['id']}"))
    assert [p.records for p in pages] == [["A"], ["C"]]
    assert [(f.ref, f.message) for f in pages[0].failures] == [("#bad", "ValueError: not an order")] and pages[1].failures == []
    assert pages[0].read_at == IMPORTED and pages[1].read_at is None


def test_read_pages_of_a_cart_that_sends_no_clock_has_no_read_at():
    [page] = read_pages([(httpx.Response(200, json=[]), [])], str, ref=str)
    assert page.records == [] and page.read_at is None
def test_batches_yield_full_lists_as_the_items_come_and_the_rest_last():
    taken = []

    def items():
        for n in range(5):
            taken.append(n)
            yield n

    stream = batches(items(), 2)
    assert next(stream) == [0, 1] and taken == [0, 1]  # read as it goes, not all at once
    assert list(stream) == [[2, 3], [4]]
    assert list(batches([], 3)) == []
    with pytest.raises(ValueError):
        next(batches([1], 0))


def test_all_or_nothing_fails_the_refused_and_sends_the_rest_again_once():
    sent = []

    def send(batch):
        sent.append(list(batch))
        return {n: [f"{item} refused"] for n, item in enumerate(batch) if item in ("b", "d")}

    assert all_or_nothing(["a", "b", "c", "d"], send, gave_up="never sent") == [[], ["b refused"], [], ["d refused"]]
    assert sent == [["a", "b", "c", "d"], ["a", "c"]]


def test_all_or_nothing_gives_up_on_what_is_still_unwritten_after_the_last_send():
    sent = []

    def send(batch):
        sent.append(list(batch))
        return {0: ["first one refused"]}  # each time the first of the batch

    assert all_or_nothing([1, 2, 3], send, gave_up="gave up") == [["first one refused"], ["first one refused"], ["gave up"]]
    assert sent == [[1, 2, 3], [2, 3]]
    assert all_or_nothing([], send, gave_up="x") == [] and len(sent) == 2  # nothing to write: nothing sent
    assert all_or_nothing([1], lambda batch: {}, gave_up="x") == [[]]


def test_results_screen_gives_what_to_send_and_fails_the_records_refused_before_sending():
    def prepare(sku):
        if sku == "GONE":
            raise RejectedError("the cart has no SKU GONE")
        if sku == "BAD":
            raise RecordError("quantity is not a number")
        return {"sku": sku}

    results = Results(["A", "GONE", "BAD", "B"], ref=str)
    assert results.screen(prepare) == [(0, {"sku": "A"}), (3, {"sku": "B"})]
    assert results.open() == [0, 3]
    results.ok(0)
    assert results.screen(prepare) == [(3, {"sku": "B"})]  # only the records still open
    results.ok(3)
    done = results.done()
    assert [r.ok for r in done] == [True, False, False, True] and done[1].message == "the cart has no SKU GONE"
    with pytest.raises(AuthError):
        Results(["A"], ref=str).screen(lambda sku: (_ for _ in ()).throw(AuthError("key refused")))


def test_missing_permissions_name_each_one_an_enabled_operation_needs():
    needs = {"push_inventory": ("write_stock", "read_places"), "fetch_orders": ("read_orders",), "push_status": ("write_orders",)}
    assert missing_permissions({"read_orders", "read_places"}, needs, {"push_inventory", "fetch_orders", "upsert_products"},
                               holder="The key") == ["The key lacks write_stock, needed to push inventory."]
    assert missing_permissions(set(), needs, ["push_status", "fetch_orders"], holder="The token") == [
        "The token lacks read_orders, needed to fetch orders.", "The token lacks write_orders, needed to push status."]
