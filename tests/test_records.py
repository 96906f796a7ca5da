"""The canonical records: exact money, aware datetimes, a stable public JSON form."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from datetime import UTC, datetime

from ecom.records import (
    RECORDS_VERSION,
    CartOrder,
    Connection,
    PushResult,
    WebOrderStatus,
    BadValueError,
    CartLine,
    Page,
    RecordFailure,
    decimal,
    failure_text,
    joined_pages,
    reading,
    schema_text,
    translate_page,
    whole,
)

ROOT = Path(__file__).resolve().parent.parent

ORDER_JSON = {
    "external_id": "5931274601234",
    "number": "#1042",
    "created_at": "2025-03-14T10:21:07-04:00",
    "updated_at": "2025-03-14T10:23:55-04:00",
    "currency": "USD",
    "status": "processing",
    "lines": [{"external_id": "1", "sku": "TEE-BLK-M", "quantity": 2, "unit_price": "25.00", "discount": "5.00"}],
    "total": "67.14",
}


def test_the_published_schema_is_current():
    published = (ROOT / "docs" / "records.schema.json").read_text()
    assert published == schema_text(), (
        "docs/records.schema.json is stale; regenerate it with: "
        "python -c 'from ecom.records import schema_text; print(schema_text(), end=\"\")' > docs/records.schema.json"
    )
    published = json.loads(published)
    assert published["version"] == RECORDS_VERSION


def test_an_order_round_trips_through_its_json_form_with_exact_money():
    order = CartOrder.model_validate(ORDER_JSON)
    assert order.lines[0].unit_price == Decimal("25.00")
    assert order.status is WebOrderStatus.PROCESSING
    data = json.loads(order.model_dump_json())
    assert data["total"] == "67.14" and data["lines"][0]["unit_price"] == "25.00"
    assert CartOrder.model_validate(data) == order


def test_naive_datetimes_are_refused():
    with pytest.raises(ValidationError, match="timezone"):
        CartOrder.model_validate({**ORDER_JSON, "created_at": "2025-03-14T10:21:07"})


def test_unknown_fields_are_refused_so_typos_do_not_pass_silently():
    with pytest.raises(ValidationError, match="totl"):
        CartOrder.model_validate({**ORDER_JSON, "totl": "1"})


def test_translate_page_keeps_good_records_and_names_the_bad_one():
    raws = [{"id": 1, "total": "5.00"}, {"id": 2, "total": "five"}, {"id": 3, "total": "7.00"}, {"id": 4, "draft": True}]

    def translate(raw):
        if raw.get("draft"):
            return None
        return CartOrder.model_validate({**ORDER_JSON, "external_id": str(raw["id"]), "total": raw["total"]})

    page = translate_page(raws, translate, ref=lambda raw: f"order {raw['id']}")
    assert [o.external_id for o in page.records] == ["1", "3"]
    assert [f.ref for f in page.failures] == ["order 2"]
    assert "total" in page.failures[0].message
    assert page.failures[0].raw == {"id": 2, "total": "five"}


def _page(ids, failed=(), read_at=None):
    return Page(records=[CartOrder.model_validate({**ORDER_JSON, "external_id": str(i)}) for i in ids],
                failures=[RecordFailure(ref=f"order {f}", message="bad") for f in failed], read_at=read_at)


def test_small_pages_are_joined_into_batches_of_at_least_the_size_asked_keeping_every_record_and_failure():
    first, third = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    pages = [_page([1, 2], read_at=first), _page([3, 4], failed=[90]), _page([5], read_at=third), _page([6, 7, 8]), _page([9])]
    beats = []
    joined = list(joined_pages(iter(pages), 4, between=lambda: beats.append(1)))
    assert [[o.external_id for o in p.records] for p in joined] == [["1", "2", "3", "4"], ["5", "6", "7", "8"], ["9"]]
    assert [[f.ref for f in p.failures] for p in joined] == [["order 90"], [], []]
    assert [p.read_at for p in joined] == [first, third, None]  # each joined page keeps its first page's clock
    assert len(beats) == 3  # after each page that leaves its batch short: the 1st, the 3rd and the last
    assert [o.external_id for o in pages[0].records] == ["1", "2"]  # the driver's pages are not changed


def test_joined_pages_closed_early_close_the_drivers_reader():
    ended = []

    def driver_pages():
        try:
            for n in range(10):
                yield _page([n])
        finally:
            ended.append(True)

    reader = driver_pages()  # still referenced here: only an explicit close ends it
    joined = joined_pages(reader, 2)
    assert len(next(joined).records) == 2
    joined.close()
    assert ended == [True]


def _driver_translate(raw):
    """A driver's translation done the core's way: amounts through decimal(), lines inside reading()."""
    lines = []
    for item in raw["items"]:
        with reading(f"line {item['id']}"):
            lines.append(CartLine(external_id=str(item["id"]), quantity=whole(item["qty"], "qty"), unit_price=decimal(item["price"], "price")))
    return CartOrder.model_validate({**ORDER_JSON, "lines": lines, "currency": raw.get("currency")})


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"items": [{"id": 7, "qty": 1, "price": "N/A"}], "currency": "USD"}, "line 7 price 'N/A': is not a number"),
        ({"items": [{"id": 7, "qty": 1, "price": "12,50"}], "currency": "USD"}, "line 7 price '12,50': is not a number (write decimals with a point: 12.50)"),
        ({"items": [{"id": 7, "qty": "1.5", "price": "1"}], "currency": "USD"}, "line 7 qty '1.5': is not a whole number"),
        ({"items": [{"id": 7, "qty": 1, "price": "NaN"}], "currency": "USD"}, "line 7 price 'NaN': is not a finite number"),
        ({"items": [], "currency": None}, "currency None: input should be a valid string"),
        ({"items": []}, "currency None: input should be a valid string"),
        ({"currency": "USD"}, "items is missing"),
    ],
)
def test_a_value_a_driver_cannot_read_fails_its_record_in_one_line_naming_field_and_value(raw, expected):
    page = translate_page([{"id": 1, **raw}], _driver_translate, ref=lambda raw: f"#{raw['id']}")
    assert [(f.ref, f.message) for f in page.failures] == [("#1", expected)]


def test_failure_text_names_a_records_own_fields_by_line_id():
    data = {**ORDER_JSON, "lines": [{"external_id": "L9", "quantity": 1, "unit_price": "N/A"}]}
    data.pop("currency")
    with pytest.raises(ValidationError) as caught:
        CartOrder.model_validate(data)
    assert failure_text(caught.value, data) == "currency is missing; line L9 unit_price 'N/A': input should be a valid decimal"


def test_decimal_reads_what_carts_send_exactly():
    assert [decimal(v, "x") for v in ("12.50", " 3.5 ", 7, 12.5, "", None)] == [Decimal("12.50"), Decimal("3.5"), 7, Decimal("12.5"), 0, 0]
    with pytest.raises(BadValueError, match="total None: is missing"):
        decimal(None, "total", blank=None)
    with pytest.raises(BadValueError, match="is not a number"):
        decimal(True, "x")


def test_translate_page_survives_a_payload_without_an_id():
    page = translate_page([{}], lambda raw: raw["id"], ref=lambda raw: raw["id"])
    assert page.failures[0].ref == "(unidentified record)"


def test_connection_never_shows_its_password():
    connection = Connection(website_name="Shop", api_url="https://x.test", password=SecretStr("cs_secret_123"))
    assert "cs_secret_123" not in repr(connection) and "cs_secret_123" not in str(connection)
    assert connection.secrets == ("cs_secret_123",)
    assert Connection(website_name="a", api_url="b").secrets == ()


def test_failed_push_result_says_why():
    result = PushResult.failed("SKU-1", "Unknown SKU")
    assert (result.ok, result.action, result.message) == (False, "failed", "Unknown SKU")


def test_web_order_status_labels_are_the_admins_words():
    assert [s.label for s in WebOrderStatus] == [
        "Processing", "On Credit Hold", "Payment Pending", "Approved", "Voided", "Closed",
    ]


# -- moment and unit_price (a cart's times and line prices) ------------------------------------------


def test_moment_reads_iso_times_and_takes_one_without_offset_as_utc():
    from datetime import UTC, datetime, timedelta, timezone

    from ecom.records import moment

    assert moment("2026-03-01T09:00:00", "date_modified") == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert moment("2026-03-01T09:00:00-04:00", "date_modified").utcoffset() == -timedelta(hours=4)
    assert moment("2026-03-01T09:00:00+02:00", "x") == datetime(2026, 3, 1, 7, 0, tzinfo=timezone.utc)
    assert moment(None, "x") is None and moment("", "x") is None


@pytest.mark.parametrize("value", ["yesterday", 1700000000, "2026-13-01"])
def test_moment_names_the_field_and_the_value_it_cannot_read(value):
    from ecom.records import BadValueError, moment

    with pytest.raises(BadValueError) as caught:
        moment(value, "date_paid")
    assert str(caught.value) == f"date_paid {value!r}: is not a date and time (ISO 8601)"


def test_unit_price_is_exact_up_to_four_places_else_rounded_to_four():
    from ecom.records import unit_price

    assert unit_price(Decimal("30.00"), 3) == Decimal("10.00")
    assert unit_price(Decimal("10.00"), 3) == Decimal("3.3333")
    assert unit_price(Decimal("0.25"), 8) == Decimal("0.0312")  # 0.03125 has five places: rounded half to even
    assert unit_price(Decimal("7.50"), 0) == Decimal("7.50")


def test_a_record_with_a_nul_character_in_any_text_fails_alone_naming_the_field():
    lines = [{"external_id": "7", "sku": "A", "name": "Mug\x00", "quantity": 1, "unit_price": "1.00"}]
    raws = [{"id": 1}, {"id": 2, "lines": lines}, {"id": 3, "raw": {"note": "a\x00b"}}]
    def translate(raw):
        fields = {key: value for key, value in raw.items() if key != "id"}
        return CartOrder.model_validate({**ORDER_JSON, "external_id": str(raw["id"]), **fields})

    page = translate_page(raws, translate, ref=lambda raw: f"order {raw['id']}")
    assert [o.external_id for o in page.records] == ["1", "3"]  # the cart's own payload may hold anything
    assert [(f.ref, f.message) for f in page.failures] == [
        ("order 2", "line 7 name 'Mug\\x00': holds a NUL character (\\x00), which the back office cannot store"),
    ]
