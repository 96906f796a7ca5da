"""Sandbox escape attempts in a mapping are refused with a clear error, when applied or per record.

Each attempt goes where an admin would write it, the order number's expression of the shipped
example; what cannot be seen in the text is refused when a record is translated, as that
record's failure, and the other orders still import.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ecom.errors import ConfigError

from ecom_custom_cart.declarative import CartMapping, MappedCart
from ecom.sandbox import MAX_SECONDS
from ecom_custom_cart.legacy_fake import LegacyShopFake

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "custom-cart-mapping-example.toml"
NUMBER = 'number = "{{ r.ref }}"'


def with_number(expression: str) -> str:
    text = EXAMPLE.read_text()
    assert NUMBER in text
    escaped = expression.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace(NUMBER, f'number = "{escaped}"', 1)


#: Refused when the file is applied: the text alone shows the attempt.
STATIC = [
    ("{{ ''.__class__.__mro__ }}", "a name starting with _"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "a name starting with _"),
    ("{{ r['__class__'] }}", "a name starting with _"),
    ("{{ cycler.__init__.__globals__.os }}", "uses cycler"),
    ("{{ cycler(1, 2).next() }}", "uses cycler"),
    ("{{ lipsum.__globals__ }}", "uses lipsum"),
    ("{{ lipsum(n=100000) }}", "uses lipsum"),
    ("{{ joiner().__init__ }}", "uses joiner"),
    ("{{ namespace(x=1) }}", "uses namespace"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "{% macro %}"),
    ("{% for x in r recursive %}{{ loop(x) }}{% endfor %}", "recursive for loop"),
    ("{% include 'x' %}", "{% include %}"),
    ("{% import 'os' as os %}", "{% import %}"),
    ("{% extends 'base' %}", "{% extends %}"),
    ("{% set a = 'x' * 100000 %}{% set b = [a, a, a, a] %}{{ [b, b, b, b] }}", "{% set %}"),
    ("{% with a = r %}{{ a }}{% endwith %}", "{% with %}"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "nested too deeply"),
]

#: Refused when a record is translated: the values decide.
RUNTIME = [
    ("{{ range(10**9) | list }}", "more than the"),
    ("{{ range(100001) | length }}", "more than the"),
    ("{{ 'x' * 10**9 }}", "longer than"),
    ("{{ [r] * 10**9 }}", "longer than"),
    ("{{ 'x' | center(10**9) }}", "the filter center"),
    ("{{ '{:999999999}'.format(1) }}", "width over"),
    ("{{ '%999999999d' % 1 }}", "width over"),
    ("{{ '%999999999d' | format(1) }}", "width over"),
    ("{{ 'x' | indent(10**9, true) }}", "the filter indent"),
    ("{{ 'x'.zfill(10**9) }}", "zfill()"),
    ("{{ 10 ** 100000000 }}", "too large a number"),
    ("{{ ('x' * 100000) | replace('', 'x' * 100000) }}", "the filter replace"),
    ("{{ ('x' * 100000).replace('', 'y') }}", "replace()"),
    ("{{ ('x' * 100000).join(range(10000) | map('string')) }}", "join()"),
    ("{{ range(10000) | map('string') | join('x' * 100000) }}", "the filter join"),
    ("{{ ['x' * 100000] * 100000 }}", "longer than"),
    ("{{ ('x' * 100000) | indent('y' * 100000) }}", "the filter indent"),
    ("{{ r | attr('__class__') }}", "not allowed"),
    ("{{ r.pop('id') }}", "'pop' of a dict is not allowed"),
    ("{{ r.update(id=1) }}", "'update' of a dict is not allowed"),
    ("{% for a in range(10000) %}{% for b in range(10000) %}{{ b }}{% endfor %}{% endfor %}", "more than 100000 characters"),
    ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", f"longer than {MAX_SECONDS:g}s"),
]


@pytest.mark.parametrize(("expression", "words"), STATIC, ids=[e[:40] for e, _ in STATIC])
def test_an_escape_visible_in_the_text_is_refused_when_the_mapping_is_applied(expression, words):
    with pytest.raises(ConfigError) as caught:
        CartMapping.from_text(with_number(expression), "legacy.toml")
    message = str(caught.value)
    assert message.startswith("legacy.toml: orders.fields.number: ") and words in message
    assert "\n" not in message


@pytest.mark.parametrize(("expression", "words"), RUNTIME, ids=[e[:40] for e, _ in RUNTIME])
def test_an_escape_decided_by_the_values_is_that_records_failure(expression, words):
    fake = LegacyShopFake()
    attacked = fake.add_order(lines=[("CAP", 1)])
    mapping = CartMapping.from_text(with_number(expression), "legacy.toml")
    cart = MappedCart(fake.wired(), mapping)
    started = time.monotonic()
    pages = list(cart.fetch_orders(None))
    assert time.monotonic() - started < 10 * MAX_SECONDS  # bounded, not a hang
    failures = [f for p in pages for f in p.failures]
    assert [f.ref for f in failures] == [attacked["ref"]] and [p.records for p in pages] == [[]]
    message = failures[0].message
    assert "orders.fields.number" in message and words in message, message
    assert attacked["id"] == 5001 and attacked["state"] == "paid"  # the record was not changed


def test_a_refused_record_does_not_stop_the_others():
    fake = LegacyShopFake()
    fake.add_order(lines=[("CAP", 1)], ref="x" * 10)
    fake.add_order(lines=[("CAP", 1)], ref="LS-OK")
    mapping = CartMapping.from_text(with_number("{{ r.ref * 10**5 if r.ref.startswith('x') else r.ref }}"), "legacy.toml")
    pages = list(MappedCart(fake.wired(), mapping).fetch_orders(None))
    assert [o.number for p in pages for o in p.records] == ["LS-OK"]
    assert len([f for p in pages for f in p.failures]) == 1


def test_large_numbers_and_percent_signs_in_ordinary_values_are_not_mistaken_for_attacks():
    fake = LegacyShopFake()
    fake.add_order(lines=[("CAP", 1)], ref="50%:12345678")
    expression = "{{ '{}/{}'.format(r.ref, 123456789) ~ ('-%s' % 987654321) ~ (r.ref | replace(':', ' 9999999')) }}"
    mapping = CartMapping.from_text(with_number(expression), "legacy.toml")
    pages = list(MappedCart(fake.wired(), mapping).fetch_orders(None))
    assert [o.number for p in pages for o in p.records] == ["50%:12345678/123456789-987654321" + "50% 999999912345678"]
