"""Shopify's search syntax (shopify.dev/docs/api/usage/search-syntax), parsed into a small tree.

The grammar, as that page gives it::

    Query      = Term { [ whitespace Connective ] whitespace Term }
    Connective = "AND" | "OR"                (no connective: AND)
    Term       = [ Modifier ] ( "(" Query ")" | [ name Comparator ] value )
    Modifier   = "-" | "NOT" whitespace      ("-" directly before the term)
    Comparator = ":" | ":<" | ":>" | ":<=" | ":>="

A value is a name or a single- or double-quoted string; ``value*`` is a prefix match. The page
gives no precedence between the connectives; like the search engines it is built on, ``AND``
binds tighter than ``OR`` (``a OR b c`` is ``a OR (b AND c)``). Shopify never refuses a search
string, so neither does the parser: a stray ``)`` is skipped, a missing one is implied, and nesting
too deep to parse is taken as free text.

:func:`parse` returns nested tuples: ``("or", [...])``, ``("and", [...])``, ``("not", node)`` and
``("term", name, comparator, value)`` (``name`` None for free text, ``comparator`` one of
``= < > <= >=``).
"""

from __future__ import annotations

import re
from typing import Any

Node = tuple[Any, ...]
_TERM = re.compile(r"(?:(?P<name>[A-Za-z_][\w.]*):(?P<op><=|>=|<|>)?)?(?P<value>'[^']*'|\"[^\"]*\"|[^\s()]+)")


def tokens(text: str) -> list[Any]:
    """``(``, ``)``, ``-`` (the modifier), and terms as ``(name, comparator, value, quoted)``."""
    out: list[Any] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(char)
            i += 1
        elif char == "-" and i + 1 < len(text) and not text[i + 1].isspace():
            out.append("-")
            i += 1
        else:
            match = _TERM.match(text, i)
            if match is None:  # a lone quote: take it as text
                match = re.compile(r"\S+").match(text, i)
                assert match is not None
                out.append((None, "=", match.group(0), False))
            else:
                value = match.group("value")
                quoted = len(value) > 1 and value[0] == value[-1] and value[0] in "'\""
                out.append((match.group("name"), "=" if match.group("name") is None else match.group("op") or "=",
                            value[1:-1] if quoted else value, quoted))
            i = match.end()
    return out


def parse(text: str) -> Node:
    """The tree of a search string (an empty one matches everything: ``("and", [])``)."""
    parser = _Parser(tokens(text))
    try:
        node = parser.query()
        while parser.peek() is not None:  # a stray ")": skip it and read on
            parser.pos += 1
            node = ("and", [node, parser.query()])
    except RecursionError:  # thousands of nested "(" or "-": the whole string as one free-text term
        return ("term", None, "=", text)
    return node


class _Parser:
    def __init__(self, items: list[Any]) -> None:
        self.items, self.pos = items, 0

    def peek(self) -> Any:
        return self.items[self.pos] if self.pos < len(self.items) else None

    @staticmethod
    def _word(item: Any, word: str) -> bool:
        return isinstance(item, tuple) and item[0] is None and not item[3] and item[2] == word

    def query(self) -> Node:
        groups = [self.conjunction()]
        while self._word(self.peek(), "OR"):
            self.pos += 1
            groups.append(self.conjunction())
        return groups[0] if len(groups) == 1 else ("or", groups)

    def conjunction(self) -> Node:
        terms: list[Node] = []
        while (item := self.peek()) is not None and item != ")" and not self._word(item, "OR"):
            if self._word(item, "AND"):
                self.pos += 1
                continue
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else ("and", terms)

    def unary(self) -> Node:
        item = self.peek()
        self.pos += 1
        if item == "-" or self._word(item, "NOT"):
            following = self.peek()
            if following is None or following == ")":
                return ("and", [])
            return ("not", self.unary())
        if item == "(":
            inner = self.query()
            if self.peek() == ")":
                self.pos += 1
            return inner
        if item == ")":  # unreachable from conjunction(); kept for safety
            return ("and", [])
        name, op, value, _quoted = item
        return ("term", name, op, value)


def evaluate(node: Node, test: Any) -> bool:
    """Whether the tree holds, ``test(name, comparator, value)`` deciding each term."""
    kind = node[0]
    if kind == "and":
        return all(evaluate(n, test) for n in node[1])
    if kind == "or":
        return any(evaluate(n, test) for n in node[1])
    if kind == "not":
        return not evaluate(node[1], test)
    return bool(test(node[1], node[2], node[3]))
