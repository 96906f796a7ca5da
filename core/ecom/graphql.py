"""A cart's GraphQL API over :class:`ecom.http.CartHTTP`: one POST per document, its ``errors``
turned into ecom's error classes, and Relay connections read page after page.

What any GraphQL API shares, by the GraphQL specification ("Response": an answer carries
``data``, ``errors`` or both; each error has a ``message`` and may have ``extensions``) and the
Relay cursor connections most APIs page with (``first``/``after`` arguments, ``nodes`` and
``pageInfo { hasNextPage endCursor }``)::

    api = GraphQL(connection, "/graphql", headers={"Authorization": f"Bearer {token}"},
                  errors={"FORBIDDEN": AuthError}, transient_codes={"INTERNAL_SERVER_ERROR"})
    for page in api.pages(ORDERS, "orders", {"query": search}, first=50):
        ...

Beside them, what GraphQL carts' answers share: a record's nested connection read past its first
page (:meth:`GraphQL.nested_nodes`, :func:`all_nodes`) or checked whole (:func:`whole_nodes`),
objects read by global id (:meth:`GraphQL.nodes_by_id`, Relay's ``nodes(ids:)``), and a
mutation's ``userErrors { field message }`` in the cart's words (:func:`user_errors`,
:func:`check_user_errors`, and :func:`errors_by_position` for a batch).

What is left to a driver is its cart's own: the error codes it uses (``extensions.code``) and
the class each one becomes, the codes of passing faults that come inside an HTTP 200 (retried
like a 5xx by the HTTP helper), and how it paces by query cost (its :class:`ecom.http.Pacer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import httpx

from ecom.errors import DriverError, RejectedError, RetryableError
from ecom.http import CartHTTP
from ecom.records import Connection


#: The selection of a Relay connection's page information, which :meth:`GraphQL.pages` and
#: :func:`all_nodes` read.
PAGE_INFO = "pageInfo { hasNextPage endCursor }"


def error_codes(body: Any) -> set[str]:
    """The ``extensions.code`` of each error in a GraphQL answer."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return set()
    return {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}


def transient_faults(codes: Iterable[str]) -> Callable[[httpx.Response, Any], str | None]:
    """A ``transient_fault`` for :class:`~ecom.http.CartHTTP`: a 200 answer with neither ``data``
    nor ``errors`` (not a GraphQL answer: cut short somewhere), or with an error whose code is one
    of ``codes`` (the cart's passing faults), is retried like a 5xx; the words say which."""
    passing_codes = frozenset(codes)

    def fault(response: httpx.Response, body: Any) -> str | None:
        if not isinstance(body, dict) or not ("data" in body or "errors" in body):
            return "an answer with neither data nor errors"
        errors = body.get("errors")
        if not isinstance(errors, list):
            return None
        passing = [e for e in errors if isinstance(e, dict) and (e.get("extensions") or {}).get("code") in passing_codes]
        if not passing:
            return None
        return "; ".join(f"{(e.get('extensions') or {}).get('code')}: {e.get('message', '')}".strip() for e in passing)

    return fault


def describe(document: str, variables: Mapping[str, Any]) -> str:
    """A document as an error names it: its operation (``query Orders``), and the cursor, the id
    (a variable ``id`` or ``...Id``) or the ids it asked for."""
    found = re.match(r"\s*(query|mutation)\s+(\w+)", document)
    words = f"{found.group(1)} {found.group(2)}" if found else "query"
    if variables.get("after"):
        words += f" after cursor {variables['after']}"
    for key, value in variables.items():
        if (key == "id" or key.endswith("Id")) and isinstance(value, str):
            words += f" for {value}"
    if isinstance(variables.get("ids"), list):
        words += f" for {len(variables['ids'])} ids from {variables['ids'][0] if variables['ids'] else '-'}"
    return words


def all_nodes(connection: Mapping[str, Any], more: Callable[[str], Mapping[str, Any]]) -> list[Any]:
    """Every node of a connection read inside its parent (an order's line items): the nodes it
    came with, then ``more(cursor)`` (the same connection after that cursor) until the last page."""
    nodes = list(connection["nodes"])
    while connection["pageInfo"]["hasNextPage"]:
        connection = more(connection["pageInfo"]["endCursor"])
        nodes += connection["nodes"]
    return nodes


def whole_nodes(connection: Mapping[str, Any] | None, what: str) -> list[Any]:
    """The nodes of a connection that must have been read whole (a record's children, read with
    it or completed with :func:`all_nodes`); none when it is missing.

    :raises ValueError: it says it has another page (``what`` names the nodes in the words).
    """
    if connection and (connection.get("pageInfo") or {}).get("hasNextPage"):
        raise ValueError(f"there are more {what} than were read")
    return list((connection or {}).get("nodes") or [])


def user_errors(errors: Iterable[Mapping[str, Any]] | None) -> str:
    """A mutation's user errors (``userErrors { field message }``: the input refused, as a path,
    and why) in the cart's words, ``input.field: message`` joined with ``; ``; "" for none."""
    return "; ".join(
        (f"{'.'.join(map(str, e['field']))}: " if e.get("field") else "") + e["message"] for e in errors or []
    )


def documents(namespace: Mapping[str, Any]) -> dict[str, str]:
    """The GraphQL documents among a module's constants (``documents(globals())``), by name: each
    upper-case name whose text starts ``query`` or ``mutation`` (what a driver's schema test checks)."""
    return {
        name: value
        for name, value in dict(namespace).items()
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
    }


def errors_by_position(errors: Iterable[Mapping[str, Any]] | None, count: int) -> dict[int, list[Mapping[str, Any]]]:
    """A batch mutation's user errors by the position in its list input of the item each refuses:
    the first number in the error's ``field`` path (``["input", "quantities", "3", "quantity"]``:
    3). An error naming no position below ``count`` refuses the whole batch: every position's."""
    out: dict[int, list[Mapping[str, Any]]] = {}
    for error in errors or []:
        at = next((int(p) for p in map(str, error.get("field") or []) if re.fullmatch(r"[0-9]+", p)), None)
        for position in range(count) if at is None or at >= count else [at]:
            out.setdefault(position, []).append(error)
    return out


def check_user_errors(*payloads: Mapping[str, Any], key: str = "userErrors", done: re.Pattern[str] | None = None) -> bool:
    """Whether mutation payloads' user errors (at ``key``; of every payload given: mutations sent
    in one document) say the work was done already: ``done`` matches their words, as when a
    mutation is sent again after its answer was lost and the cart says it did it the first time.
    False when there are none.

    :raises RejectedError: any other user errors, in the cart's words (:func:`user_errors`).
    """
    words = user_errors([error for payload in payloads for error in payload.get(key) or []])
    if words and done is not None and done.search(words):
        return True
    if words:
        raise RejectedError(words)
    return False


class GraphQL:
    """One conversation with a cart's GraphQL endpoint (``path``, under ``base_url``).

    :param connection: the integration's connection (its transport and secrets, as for
        :class:`~ecom.http.CartHTTP`).
    :param path: the endpoint, relative to ``base_url``.
    :param errors: ``extensions.code`` → the :class:`~ecom.errors.DriverError` class an error
        with that code raises (``AuthError`` for the cart's "access denied"); an error with no
        code listed raises :class:`~ecom.errors.RejectedError`.
    :param transient_codes: codes of passing faults the cart answers with HTTP 200: retried by
        the HTTP helper, and :class:`~ecom.errors.RetryableError` if they last.
    :param http_options: the rest of :class:`~ecom.http.CartHTTP`'s options (``base_url``,
        ``headers``, ``pacer``, ``max_attempts``...).
    """

    def __init__(
        self,
        connection: Connection,
        path: str,
        *,
        errors: Mapping[str, type[DriverError]] | None = None,
        transient_codes: Iterable[str] = (),
        **http_options: Any,
    ) -> None:
        self.connection, self.path = connection, path
        self.transient_codes = frozenset(transient_codes)
        self.errors = dict(errors or {})
        for code in self.transient_codes:
            self.errors.setdefault(code, RetryableError)
        self.http = CartHTTP(connection, transient_fault=transient_faults(self.transient_codes), **http_options)

    def __enter__(self) -> GraphQL:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def query(self, document: str, variables: Mapping[str, Any] | None = None, *, idempotent: bool = True) -> dict[str, Any]:
        """Run a query or mutation; return its ``data``.

        :raises DriverError: the answer holds errors: the class ``errors`` gives the first of its
            codes listed there (a :class:`~ecom.errors.RetryableError` also names the document),
            else :class:`~ecom.errors.RejectedError`; in the cart's words, secrets redacted.
        """
        body = {"query": document, "variables": dict(variables or {})}
        label = describe(document, body["variables"])
        response = self.http.post(self.path, json=body, idempotent=idempotent, expect=dict, label=label)
        payload = response.json()
        if not payload.get("errors"):
            return payload["data"]
        words = self.http.redact("; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in payload["errors"]))
        codes = error_codes(payload)
        cls = next((cls for code, cls in self.errors.items() if code in codes), RejectedError)
        if issubclass(cls, RetryableError):  # a mutation that may have run is not sent again
            words = f"{words} ({label})"
        raise cls(words, status=response.status_code)

    #: The error(s) the cart raises for a page too big or too costly to answer: :meth:`pages` asks
    #: for it again at half the size (down to one).
    too_big: type[Exception] | tuple[type[Exception], ...] = ()

    def next_page_size(self, first: int) -> int:
        """The size of the page after one of ``first`` nodes: the same. A subclass may fit it to
        what the cart said of the last page (the query cost it reported)."""
        return first

    def pages(self, document: str, key: str, variables: Mapping[str, Any], *, first: int) -> Iterator[dict[str, Any]]:
        """Each page of the connection at ``data[key]`` (its ``nodes`` and ``pageInfo``), the
        document taking ``$first`` (``first`` nodes, then :meth:`next_page_size`) and ``$after``;
        a page refused with :attr:`too_big` is asked again at half the size."""
        after = None
        while True:
            try:
                page = self.query(document, {**variables, "first": first, "after": after})[key]
            except self.too_big:
                if first == 1:
                    raise
                first = max(1, first // 2)
                continue
            yield page
            if not page["pageInfo"]["hasNextPage"]:
                return
            after, first = page["pageInfo"]["endCursor"], self.next_page_size(first)

    def nested_nodes(self, connection: Mapping[str, Any], document: str, variables: Mapping[str, Any], *path: str) -> list[Any]:
        """Every node of a connection read inside its record (an order's line items), the pages
        past the first read with ``document``: it takes ``variables`` (the record's id) and
        ``$after``, and its data holds the same connection at ``path`` (``"order", "lineItems"``)."""

        def more(after: str) -> Mapping[str, Any]:
            found: Any = self.query(document, {**variables, "after": after})
            for key in path:
                found = found[key]
            return found  # type: ignore[no-any-return]

        return all_nodes(connection, more)

    def nodes_by_id(self, document: str, ids: Iterable[str], *, per_query: int) -> dict[str, dict[str, Any]]:
        """The objects with these global ids, by id, read with a document that takes ``$ids``
        and answers ``nodes`` (the Relay ``nodes(ids:)`` field), at most ``per_query`` ids a
        request, each id asked once; an id the cart does not have is left out."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), per_query):
            for node in self.query(document, {"ids": wanted[start : start + per_query]})["nodes"]:
                if node:
                    found[node["id"]] = node
        return found
