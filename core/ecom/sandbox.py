"""A bounded Jinja2 sandbox for expressions a merchant or admin writes in settings or files.

A driver that lets the merchant describe a value in a setting (an item mapper's SKU expression, a
mapping file's field) runs the text here, never in a plain :class:`jinja2.Environment`: the text
may be copied from a forum and must not reach past the data it is given. :func:`environment` is
Jinja2's :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (no attribute whose name starts
with an underscore, no mutating method of a list or dict), and on top of it:

- **no globals but a small range**: ``cycler``, ``joiner``, ``lipsum``, ``namespace`` and
  ``dict`` are gone; ``range`` refuses more than :data:`MAX_RANGE` numbers;
- **no statements that loop on themselves**: ``{% macro %}``, ``{% call %}``, ``{% include %}``,
  ``{% import %}``, ``{% extends %}``, ``{% block %}`` and recursive ``for`` loops are refused
  when the text is compiled (:func:`check`);
- **no variables**: ``{% set %}`` and ``{% with %}`` are refused, so no value is built from
  itself over and over and what a value can weigh grows only with the text;
- **bounded output**: a value may not be longer than :data:`MAX_OUTPUT` characters; ``*``,
  ``**`` and ``%`` are checked before they run (``'x' * 10**9`` never allocates), and so are the
  numbers given to a filter or a method (``center(10**9)``, ``'{:999999999}'.format``) and what a
  filter or method could multiply (``replace`` with a long text, ``join`` with a long separator);
- **bounded time**: every call, attribute, item and operator checks a deadline of
  :data:`MAX_SECONDS` per value;
- **bounded depth**: a recursion too deep (in the text or at run time) is refused in words.

Compile once with :class:`Expression` (what the text shows is refused then, so a driver says it
when the setting is read); call it per record. Every refusal is a :class:`SandboxError` whose
message says what was refused; the caller adds where the text comes from (the setting, the file
and field) and the expression.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import ChainableUndefined, Environment, nodes
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: The most numbers ``range`` gives.
MAX_RANGE = 10_000
#: The longest string, list or number text an expression may make.
MAX_OUTPUT = 100_000
#: The most characters a call may have to build before its result is checked (size × repeat).
MAX_WORK = 10 * MAX_OUTPUT
#: The longest one value may take to compute.
MAX_SECONDS = 1.0
#: Statements an expression may not use: they define or pull in code that can call itself.
FORBIDDEN_NODES: dict[type[nodes.Node], str] = {
    nodes.Macro: "macro",
    nodes.CallBlock: "call block",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    nodes.Extends: "extends",
    nodes.Block: "block",
    nodes.Assign: "set",  # no variable may hold a value built from itself: sizes grow only with the text
    nodes.AssignBlock: "set",
    nodes.With: "with",
}


#: Jinja2's globals an expression does not get (they are the usual ways out of a sandbox).
REMOVED_GLOBALS = frozenset({"cycler", "joiner", "lipsum", "namespace", "dict"})


class SandboxError(Exception):
    """An expression did something the sandbox refuses, or failed while running."""


def _size(value: Any) -> int:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return max(1, int(value.bit_length() * 0.302) + 1)  # its number of decimal digits, roughly
    return 1


def _check_size(value: Any, what: str) -> Any:
    if _size(value) > MAX_OUTPUT:
        raise SandboxError(f"{what} would make a value longer than {MAX_OUTPUT} characters")
    return value


def _weight(value: Any, limit: int) -> int:
    """Characters and elements in a value, nested ones included; counting stops past ``limit``."""
    total, todo = 0, [value]
    while todo and total <= limit:
        item = todo.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            todo.extend(item)
        else:
            total += 1
    return total


def _check_work(subject: Any, others: tuple[Any, ...], what: str) -> None:
    """Refuse a call whose result could be ``subject`` times the largest other argument (``replace``
    with a long text, ``join`` of many items with a long separator) beyond :data:`MAX_WORK`."""
    factor = max([len(o) for o in others if isinstance(o, (str, list, tuple))] + [1])
    if _weight(subject, MAX_WORK) * factor > MAX_WORK:
        raise SandboxError(f"{what} would make a value longer than {MAX_OUTPUT} characters")


def _settled(args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Arguments with each lazy sequence (``map``, ``select``...) made a list, so that its size is
    known before a call multiplies it; one longer than :data:`MAX_OUTPUT` is refused."""

    def settle(value: Any) -> Any:
        if isinstance(value, Iterator):
            items = list(itertools.islice(value, MAX_OUTPUT + 1))
            if len(items) > MAX_OUTPUT:
                raise SandboxError(f"{what} was given more than {MAX_OUTPUT} items")
            return items
        return value

    return tuple(settle(a) for a in args), {k: settle(v) for k, v in kwargs.items()}


#: Filters and methods whose number arguments are sizes of what they write.
SIZE_NAMES = frozenset({"center", "ljust", "rjust", "zfill", "indent", "wordwrap", "expandtabs"})


def _check_numbers(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> None:
    """Refuse a size over :data:`MAX_OUTPUT` given to a filter or method that writes that much."""
    if name not in SIZE_NAMES:
        return
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT:
            raise SandboxError(f"{what} was given {_short(value)}, more than the {MAX_OUTPUT} allowed")


def _check_format(value: Any, what: str) -> None:
    """Refuse a format string (``%`` or ``{}``) asking for a width over :data:`MAX_OUTPUT`."""
    if isinstance(value, str) and _BIG_WIDTH.search(value):
        raise SandboxError(f"{what} was given a format with a width over {MAX_OUTPUT}")


_BIG_WIDTH = re.compile(r"[{:%%][^}]*?\d{%d,}" % (len(str(MAX_OUTPUT)) + 1))


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


def _range(*args: Any) -> range:
    for arg in args:
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise SandboxError(f"range() takes whole numbers, not {_short(arg)}")
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SandboxError(f"range() of {len(numbers)} numbers is more than the {MAX_RANGE} allowed")
    return numbers


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with bounded output, time and range (see the module)."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=False)
        self.globals.clear()
        self.globals["range"] = _range
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self._local = threading.local()  # each thread's own deadline: jobs may translate side by side

    @property
    def deadline(self) -> float:
        return getattr(self._local, "deadline", math.inf)

    @deadline.setter
    def deadline(self, value: float) -> None:
        self._local.deadline = value

    # -- every operation checks the clock ---------------------------------------------------

    def _tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise SandboxError(f"took longer than {MAX_SECONDS:g}s")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        __self._tick()
        name = getattr(__obj, "__name__", "a function")
        args, kwargs = _settled(args, kwargs, f"{name}()")
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # str.format comes wrapped
        _check_numbers(name, args, kwargs, f"{name}()")
        if name in ("format", "format_map"):
            _check_format(owner, f"{name}()")
        if isinstance(owner, (str, list, tuple)):
            _check_work(owner, (*args, *kwargs.values()), f"{name}()")
        result = super().call(__context, __obj, *args, **kwargs)
        return _check_size(result, f"{name}()")

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """An attribute the sandbox hides is refused at once, not read as nothing."""
        raise SecurityError(f"access to the attribute {attribute!r} of a {type(obj).__name__} is not allowed")

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._tick()
        if operator == "**":
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(left) > 1:
                if right * math.log2(abs(left)) > MAX_OUTPUT:
                    raise SandboxError(f"{_short(left)} ** {_short(right)} is too large a number")
        elif operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and _weight(seq, MAX_OUTPUT) * count > MAX_OUTPUT:
                    raise SandboxError(f"repeating a value {_short(count)} times would make it longer than {MAX_OUTPUT}")
            if isinstance(left, int) and isinstance(right, int):
                if _size(left) + _size(right) > MAX_OUTPUT:
                    raise SandboxError("multiplying would make too large a number")
        elif operator == "%" and isinstance(left, str):
            _check_format(left, "a % format")
        return _check_size(super().call_binop(context, operator, left, right), f"the operator {operator}")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = _settled(args, kwargs, f"the filter {name}")
        _check_numbers(name, args, kwargs, f"the filter {name}")
        if name == "format" and args:
            _check_format(args[0], "the filter format")
        values = [a for a in args if not isinstance(a, (Context, EvalContext, Environment))]
        if values:
            _check_work(values[0], (*values[1:], *kwargs.values()), f"the filter {name}")
        return _check_size(func(*args, **kwargs), f"the filter {name}")

    return bounded


_ENV = BoundedSandbox()


def environment() -> BoundedSandbox:
    """The one sandbox every expression shares (it holds no state between values but each thread's deadline)."""
    return _ENV


def check(source: str) -> None:
    """Parse an expression or template; refuse syntax errors and forbidden statements.

    :raises SandboxError: in words, with the line for a syntax error.
    """
    try:
        tree = _ENV.parse(source)
    except RecursionError:
        raise SandboxError("is nested too deeply to read") from None
    except TemplateError as exc:
        raise SandboxError(f"is not a valid expression: {exc}") from None
    for kind, word in FORBIDDEN_NODES.items():
        if tree.find(kind) is not None:
            raise SandboxError(f"uses {{% {word} %}}, which an expression may not")
    for name in tree.find_all(nodes.Name):
        if name.name in REMOVED_GLOBALS:
            raise SandboxError(f"uses {name.name}, which an expression may not")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            raise SandboxError(f"reads {attr}, and an expression may not read a name starting with _")
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise SandboxError("uses a recursive for loop, which an expression may not")


_WHOLE = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.S)


class Expression:
    """One field's expression, compiled once.

    A value that is exactly one ``{{ ... }}`` gives the expression's own value (a number stays a
    number, a list a list); any other text with ``{{`` or ``{%`` is a template and gives text;
    text without either is a constant.

    :raises SandboxError: the text does not parse or uses a forbidden statement.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        whole = _WHOLE.match(source)
        self._constant: Any = None
        self._expr: Any = None
        self._template: Any = None
        if whole and "{{" not in whole["expr"] and "}}" not in whole["expr"]:
            check(source)
            try:
                self._expr = _ENV.compile_expression(whole["expr"], undefined_to_none=True)
            except RecursionError:
                raise SandboxError("is nested too deeply to read") from None
            except TemplateError as exc:
                raise SandboxError(f"is not a valid expression: {exc}") from None
        elif "{{" in source or "{%" in source:
            check(source)
            self._template = _ENV.from_string(source)
        else:
            self._constant = source

    @property
    def names(self) -> set[str]:
        """The variable names the expression reads (for static checks)."""
        from jinja2 import meta

        if self._expr is None and self._template is None:
            return set()
        text = self.source if self._template is not None else _WHOLE.match(self.source)["expr"]  # type: ignore[index]
        body = text if self._template is not None else "{{" + text + "}}"
        return meta.find_undeclared_variables(_ENV.parse(body))

    def __call__(self, **variables: Any) -> Any:
        """The value for these variables.

        :raises SandboxError: the sandbox refused something, or the expression failed.
        """
        if self._expr is None and self._template is None:
            return self._constant
        _ENV.deadline = time.monotonic() + MAX_SECONDS
        try:
            if self._expr is not None:
                value = self._expr(**variables)
                return None if isinstance(value, ChainableUndefined) else value
            out: list[str] = []
            length = 0
            for chunk in self._template.generate(**variables):
                length += len(chunk)
                if length > MAX_OUTPUT:
                    raise SandboxError(f"would write more than {MAX_OUTPUT} characters")
                out.append(chunk)
            return "".join(out)
        except SandboxError:
            raise
        except SecurityError as exc:
            raise SandboxError(f"was refused by the sandbox: {exc}") from None
        except RecursionError:
            raise SandboxError("recursed too deeply") from None
        except MemoryError:
            raise SandboxError("needed too much memory") from None
        except Exception as exc:  # noqa: BLE001 - anything an expression raises is the expression's failure
            raise SandboxError(f"failed: {type(exc).__name__}: {exc}") from None
        finally:
            _ENV.deadline = math.inf
