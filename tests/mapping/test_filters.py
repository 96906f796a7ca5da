"""Which web orders to import: archived never, then every filter ANDed."""

from __future__ import annotations

import pytest

from ecom.mapping import map_order
from ecom.records import WebOrderStatus

from .conftest import sample_order


def test_an_archived_order_is_never_imported_whatever_its_status(settings, back_office):
    settings.preferences.statuses = [WebOrderStatus.PROCESSING]
    outcome = map_order(sample_order(archived=True), settings, back_office)
    assert outcome.draft is None and outcome.errors == []
    assert outcome.skipped.startswith("archived")


def test_the_archived_check_comes_before_the_filters(settings, back_office):
    settings.preferences.statuses = [WebOrderStatus.CLOSED]  # would also skip it
    assert map_order(sample_order(archived=True), settings, back_office).skipped.startswith("archived")


@pytest.mark.parametrize(
    ("field", "wanted", "value", "imported"),
    [
        ("statuses", ["processing", "approved"], {"status": "approved"}, True),
        ("statuses", ["processing", "approved"], {"status": "voided"}, False),
        ("statuses", [], {"status": "voided"}, True),
        ("secondary_statuses", ["unfulfilled"], {"secondary_status": "UNFULFILLED"}, True),
        ("secondary_statuses", ["unfulfilled"], {"secondary_status": "fulfilled"}, False),
        ("secondary_statuses", ["unfulfilled"], {"secondary_status": None}, False),
        ("financial_statuses", ["paid", "partially_paid"], {"financial_status": "paid"}, True),
        ("financial_statuses", ["paid"], {"financial_status": "pending"}, False),
        ("sales_channels", ["web", "pos"], {"sales_channel": "pos"}, True),
        ("sales_channels", ["web"], {"sales_channel": "amazon"}, False),
    ],
)
def test_filters(settings, back_office, field, wanted, value, imported):
    setattr(settings.preferences, field, wanted)
    outcome = map_order(sample_order(**value), settings, back_office)
    assert (outcome.draft is not None) is imported
    if not imported:
        assert "is not one to import" in outcome.skipped


def test_filters_combine_with_and(settings, back_office):
    settings.preferences.financial_statuses = ["paid"]
    settings.preferences.sales_channels = ["pos"]
    outcome = map_order(sample_order(financial_status="paid", sales_channel="web"), settings, back_office)
    assert "sales channel 'web'" in outcome.skipped
