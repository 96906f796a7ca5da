"""Mistakes in a mapping file are refused when it is applied, naming the file, field and expression."""

from __future__ import annotations

from pathlib import Path

import pytest
from ecom.errors import ConfigError

from ecom_custom_cart.declarative import CartMapping

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        CartMapping.from_text(text, "shops/legacy.toml")
    message = str(caught.value)
    assert message.startswith("shops/legacy.toml: ") and "\n" not in message
    return message


def edited(old: str, new: str) -> str:
    text = EXAMPLE.read_text()
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_shipped_example_is_a_valid_mapping_for_every_operation():
    mapping = CartMapping.from_text(EXAMPLE.read_text(), "example.toml")
    assert mapping.operations == {
        "test_connection", "fetch_orders", "fetch_orders_by_id", "fetch_products", "push_status", "push_inventory",
        "upsert_products",
    }


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("[cart]", "[shop]", ["shop:", "is not a section"]),
        ('title = "Legacy Shop"', 'titel = "Legacy Shop"', ["cart.titel:", "is not a key of [cart]"]),
        ('style = "header"', 'style = "oauth"', ["auth.style:", "'oauth'", "basic, bearer, header, query, none"]),
        ('name = "X-Legacy-Key"', "", ["auth.name:", "required for auth style 'header'"]),
        ('style = "page"', 'style = "pages"', ["paging.style:", "'pages'"]),
        ("size = 100", "size = 0", ["paging.size:", "from 1 to 10000"]),
        ('"on hold" = "On Credit Hold"', '"on hold" = "Parked"', ["statuses.on hold:", "'Parked'", "not a web order status"]),
        ('total_tax = "{{ r.sums.vat.amount }}"', 'grand_total = "{{ r.sums.total.amount }}"',
         ["orders.fields.grand_total:", "is not a field of CartOrder"]),
        ('total = "{{ r.sums.total.amount }}"\n', "\n", ["orders.fields.total:", "is required"]),
        ('quantity = "{{ item.qty }}"', "", ["orders.fields.lines.quantity:", "is required", "CartLine"]),
        ('number = "{{ r.ref }}"', 'number = "{{ r.ref }"', ["orders.fields.number:", "'{{ r.ref }'", "not a valid expression"]),
        ('number = "{{ r.ref }}"', 'number = "{{ rec.ref }}"', ["orders.fields.number:", "'{{ rec.ref }}'", "reads rec", "it can read"]),
        ('on_hand = "{{ level.quantity }}"', 'on_hand = "{{ update.quantity }}"', ["stock_push.body.on_hand:", "reads update"]),
        ('method = "PUT"\npath = "/stock', 'method = "FETCH"\npath = "/stock', ["stock_push.method:", "'FETCH'"]),
        ('kinds = ["shipped", "voided", "closed", "cart_status"]', 'kinds = ["delivered"]', ["status_push.kinds:", "'delivered'"]),
        ('each = "{{ [r.postage] if r.postage else [] }}"\n', "", ["orders.fields.shipping_lines:", "'each'"]),
        ('[orders.fields.customer]', '[orders.fields.customer.address]', ["orders.fields.customer.address:", "not a field of CartCustomer"]),
        ("size = 50", 'size = "fifty"', ["orders.by_id.size:", "fifty"]),
        ('param = "ids"', 'params = "ids"', ["orders.by_id.params:", "not a key of by_id"]),
    ],
)
def test_a_mistake_names_the_file_the_field_and_the_expression(old, new, words):
    message = refusal(edited(old, new))
    for word in words:
        assert word in message, (word, message)


def test_text_that_is_not_toml_is_refused_in_words():
    assert "is not valid TOML" in refusal("[orders\npath = 1")


def test_a_mapping_with_no_operation_is_refused():
    assert "maps no operation" in refusal('[cart]\ntitle = "x"\n')


def test_cursor_paging_needs_a_next_expression():
    text = edited('style = "page"  ', 'style = "cursor"  ')
    assert "paging.next: is required for cursor paging" in refusal(text)
