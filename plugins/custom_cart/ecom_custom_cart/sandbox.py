"""Sandboxed Jinja2 expressions: the one place a Custom Cart setting or mapping file runs a template.

A merchant's expression (an item mapper's ``item_expression``, a mapping file's field) is text
from settings, so it is evaluated in Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`
with every global but a few pure helpers removed (no ``cycler``, ``joiner``, ``lipsum``,
``namespace``: their objects lead to Python internals), attribute names starting with ``_`` refused
(``''.__class__.__mro__``), ``range`` capped at :data:`MAX_RANGE` items, the output capped at
:data:`MAX_OUTPUT` characters (rendering stops there) and the time at :data:`MAX_SECONDS` (checked
at every call and attribute access the template makes, so nested loops stop too). An expression is compiled when the setting is read
(:class:`Expression`): a syntax error names where it comes from and the expression; a failure when
it runs names the same and the reason (:class:`ExpressionError`).
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

import jinja2
from ecom.errors import ConfigError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MAX_RANGE = 1000
MAX_OUTPUT = 10_000
MAX_SECONDS = 1.0

_deadline: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=float("inf"))


class ExpressionError(ValueError):
    """An expression failed on one record: where it comes from, the expression and why."""


def _range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range() of {len(values)} items is over the limit of {MAX_RANGE}")
    return values


def _in_time() -> None:
    if time.monotonic() > _deadline.get():
        raise SecurityError(f"it ran longer than {MAX_SECONDS:g} s")


class _Sandbox(ImmutableSandboxedEnvironment):
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not attr.startswith("_") and super().is_safe_attribute(obj, attr, value)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - jinja2's signature
        _in_time()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _in_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _in_time()
        return super().getitem(obj, argument)


def environment() -> ImmutableSandboxedEnvironment:
    """A fresh sandbox: undefined names are errors, only pure globals."""
    env = _Sandbox(undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals = {"range": _range, "dict": dict}
    return env


_ENV = environment()


class Expression:
    """A compiled expression (``line.sku | upper``) or template (``{{ line.sku }}-X``).

    :param text: the expression; with ``{{`` it is read as a template, else as one expression.
    :param where: what it is, for messages (``general.driver_options.item_expression``).
    :raises ConfigError: the text is not a valid expression.
    """

    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        try:
            if "{{" in text or "{%" in text:
                template = _ENV.from_string(text)
                self._run = lambda context: _bounded(template.generate(context))
            else:
                expression = _ENV.compile_expression(text, undefined_to_none=False)
                self._run = lambda context: expression(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"{where}: {text!r} is not a valid expression: {exc.message}") from None

    def __call__(self, **context: Any) -> Any:
        """Evaluate it; a failure is an :class:`ExpressionError` naming where and the expression."""
        token = _deadline.set(time.monotonic() + MAX_SECONDS)
        try:
            value = self._run(context)
            if isinstance(value, jinja2.Undefined):  # a refused or missing name, not raised until used
                str(value)
        except SecurityError as exc:
            raise ExpressionError(f"{self.where}: {self.text!r} was refused by the sandbox: {exc}") from None
        except RecursionError:
            raise ExpressionError(f"{self.where}: {self.text!r} recursed too deeply") from None
        except Exception as exc:  # noqa: BLE001 - any failure of a merchant's expression is this record's error
            raise ExpressionError(f"{self.where}: {self.text!r} failed: {exc}") from None
        finally:
            _deadline.reset(token)
        if isinstance(value, str) and len(value) > MAX_OUTPUT:
            raise ExpressionError(f"{self.where}: {self.text!r} gave {len(value)} characters, over the limit of {MAX_OUTPUT}")
        return value


def _bounded(chunks: Any) -> str:
    """A template's output, stopped as soon as it passes :data:`MAX_OUTPUT` characters."""
    out, size = [], 0
    for chunk in chunks:
        out.append(chunk)
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise SecurityError(f"its output passed {MAX_OUTPUT} characters")
        _in_time()
    return "".join(out)
