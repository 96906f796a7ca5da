"""ecom.sandbox: the bounded Jinja2 sandbox drivers run merchant-written expressions in.

The long list of escape attempts runs through the Custom Cart's two users of it (its mapping
mode, ``plugins/custom_cart/tests/test_declarative_sandbox.py``, and its item mapper,
``test_items.py``); these tests hold the module's own contract with no driver installed.
"""

from __future__ import annotations

import pytest

from ecom.sandbox import MAX_OUTPUT, Expression, SandboxError


def test_one_whole_expression_keeps_its_value_a_template_gives_text_plain_text_is_a_constant():
    assert Expression("{{ r.n * 2 }}")(r={"n": 21}) == 42
    assert Expression("{{ r.tags | list }}")(r={"tags": ("a", "b")}) == ["a", "b"]
    assert Expression("#{{ r.n }}-{{ r.n + 1 }}")(r={"n": 7}) == "#7-8"
    assert Expression("r.n")(r={"n": 7}) == "r.n"
    assert Expression("{{ r.missing }}")(r={}) is None


@pytest.mark.parametrize(("text", "words"), [
    ("{{ ''.__class__ }}", "a name starting with _"),
    ("{{ cycler }}", "uses cycler"),
    ("{{ dict(a=1) }}", "uses dict"),
    ("{% set a = 1 %}{{ a }}", "{% set %}"),
    ("{% macro f() %}{% endmacro %}", "{% macro %}"),
    ("{{ r. }}", "is not a valid expression"),
])
def test_what_the_text_shows_is_refused_when_compiled(text, words):
    with pytest.raises(SandboxError) as refused:
        Expression(text)
    assert words in str(refused.value)


@pytest.mark.parametrize(("text", "words"), [
    ("{{ 'x' * 10**9 }}", "longer than"),
    ("{{ range(10**9) | list }}", "more than the"),
    ("{{ r.pop('a') }}", "not allowed"),
    ("{{ 1 / 0 }}", "failed: ZeroDivisionError"),
    ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", "took longer than"),
])
def test_what_the_values_decide_is_refused_when_run(text, words):
    expression = Expression(text)  # compiles: nothing in the text alone is refused
    with pytest.raises(SandboxError) as refused:
        expression(r={"a": 1})
    assert words in str(refused.value) and "\n" not in str(refused.value)


def test_output_at_the_limit_passes_and_one_more_character_is_refused():
    assert len(Expression("{{ 'x' * n }}")(n=MAX_OUTPUT)) == MAX_OUTPUT
    with pytest.raises(SandboxError):
        Expression("{{ 'x' * n }}")(n=MAX_OUTPUT + 1)

