"""Paging and auth styles of a mapping, each against the legacy shop switched to that style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ecom.errors import AuthError, DriverError

from ecom_custom_cart.declarative import CartMapping, MappedCart
from ecom_custom_cart.legacy_fake import KEY, LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


def replace_section(text: str, name: str, body: str) -> str:
    """The mapping text with the ``[name]`` table's keys replaced by ``body``."""
    pattern = re.compile(r"^\[%s\]\n(?:(?!\[).*\n)*" % re.escape(name), re.M)
    assert pattern.search(text), name
    return pattern.sub(lambda _: f"[{name}]\n{body.strip()}\n\n", text, count=1)


PAGING = {
    "page": 'style = "page"\nparam = "page"\nsize_param = "per_page"\nsize = 7\nlast_page = "{{ response.pages }}"',
    "offset": 'style = "offset"\nparam = "offset"\nsize_param = "limit"\nsize = 7',
    "cursor": 'style = "cursor"\nparam = "after"\nsize_param = "per_page"\nsize = 7\nnext = "{{ response.next }}"',
    "link": 'style = "link"\nsize_param = "per_page"\nsize = 7',
}


@pytest.mark.parametrize("style", sorted(PAGING))
def test_each_paging_style_reads_every_order_once(style):
    fake = LegacyShopFake(paging=style)
    for _ in range(30):  # 4 full pages of 7 and a short one
        fake.add_order(lines=[("CAP", 1)])
    mapping = CartMapping.from_text(replace_section(EXAMPLE.read_text(), "paging", PAGING[style]), "legacy.toml")
    pages = list(MappedCart(fake.wired(), mapping).fetch_orders(None))
    ids = [o.external_id for p in pages for o in p.records]
    assert ids == [str(5001 + n) for n in range(30)]
    assert len(fake.requests) == 5


def test_page_numbers_stop_at_the_last_page_the_shop_names_even_when_it_is_full():
    fake = LegacyShopFake(paging="page")
    for _ in range(14):  # exactly two full pages
        fake.add_order(lines=[("CAP", 1)])
    mapping = CartMapping.from_text(replace_section(EXAMPLE.read_text(), "paging", PAGING["page"]), "legacy.toml")
    assert sum(len(p.records) for p in MappedCart(fake.wired(), mapping).fetch_orders(None)) == 14
    assert len(fake.requests) == 2


def test_a_cursor_that_repeats_is_refused_not_followed_for_ever():
    fake = LegacyShopFake(paging="cursor")
    for _ in range(20):
        fake.add_order(lines=[("CAP", 1)])
    body = PAGING["cursor"].replace('next = "{{ response.next }}"', "next = \"{{ '0000005003' }}\"")
    mapping = CartMapping.from_text(replace_section(EXAMPLE.read_text(), "paging", body), "legacy.toml")
    with pytest.raises(DriverError, match="same next page twice"):
        list(MappedCart(fake.wired(), mapping).fetch_orders(None))


def test_records_not_where_the_mapping_says_are_a_clear_error():
    fake = LegacyShopFake()
    fake.add_order(lines=[("CAP", 1)])
    text = EXAMPLE.read_text().replace('records = "result.orders"', 'records = "result"')
    with pytest.raises(DriverError, match="no list of records at result"):
        list(MappedCart(fake.wired(), CartMapping.from_text(text, "legacy.toml")).fetch_orders(None))


def test_a_records_path_the_answer_does_not_have_is_a_clear_error_not_an_empty_page():
    fake = LegacyShopFake()
    fake.add_order(lines=[("CAP", 1)])
    text = EXAMPLE.read_text().replace('records = "result.orders"', 'records = "result.order"')
    with pytest.raises(DriverError, match=r"no 'order' on the way to the records at result.order \(it has: orders\)"):
        list(MappedCart(fake.wired(), CartMapping.from_text(text, "legacy.toml")).fetch_orders(None))


AUTH = {
    "header": 'style = "header"\nname = "X-Legacy-Key"',
    "query": 'style = "query"\nname = "key"',
    "bearer": 'style = "bearer"',
    "basic": 'style = "basic"',
}


@pytest.mark.parametrize("style", sorted(AUTH))
def test_each_auth_style_is_accepted_and_a_wrong_key_refused_without_showing_it(style):
    fake = LegacyShopFake(auth=style)
    fake.add_order(lines=[("CAP", 1)])
    mapping = CartMapping.from_text(replace_section(EXAMPLE.read_text(), "auth", AUTH[style]), "legacy.toml")
    assert MappedCart(fake.wired(), mapping).test_connection().message == "Legacy Shop 2.3 answered."
    assert [o.number for p in MappedCart(fake.wired(), mapping).fetch_orders(None) for o in p.records] == ["LS-5001"]
    with pytest.raises(AuthError) as caught:
        MappedCart(fake.wired(valid=False), mapping).test_connection()
    assert "unknown or missing API key" in str(caught.value)
    assert "not-the-key" not in str(caught.value) and KEY not in str(caught.value)


def test_the_wrong_auth_style_is_refused_by_the_shop():
    fake = LegacyShopFake(auth="header")
    mapping = CartMapping.from_text(replace_section(EXAMPLE.read_text(), "auth", AUTH["bearer"]), "legacy.toml")
    with pytest.raises(AuthError):
        MappedCart(fake.wired(), mapping).test_connection()


def test_a_busy_shop_is_retried_by_the_core_http_helper(monkeypatch):
    monkeypatch.setattr("ecom.http.default_sleep", lambda seconds: None)
    fake = LegacyShopFake()
    fake.add_order(lines=[("CAP", 1)])
    fake.fail_next(503, times=2)
    cart = MappedCart(fake.wired(), CartMapping.from_text(EXAMPLE.read_text(), "legacy.toml"))
    assert [o.number for p in cart.fetch_orders(None) for o in p.records] == ["LS-5001"]
    assert [r.status for r in fake.requests] == [503, 503, 200]
