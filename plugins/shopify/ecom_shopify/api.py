"""Talking to the Admin GraphQL API: the pinned version, the client, pacing by query cost, errors.

The one place the API version is named (:data:`API_VERSION`). Requests go through the core's
:class:`ecom.graphql.GraphQL` (on :class:`ecom.http.CartHTTP`: timeouts, retries, redaction,
GraphQL errors as ecom's, Relay pages); this module adds what is Shopify's own: the
``X-Shopify-Access-Token`` header, a :class:`CostPacer` that reads the leaky bucket Shopify
reports (``extensions.cost.throttleStatus``) for the core's :class:`ecom.pacing.LeakyBucketPacer`
(a query waits for its cost; a ``THROTTLED`` answer, HTTP 200, is retried after the restore time
without using an attempt), page sizes fitted to the query cost, and which error code is which.

Shopify's "Status and error codes" (shopify.dev/docs/api/admin-graphql, top-level ``errors``) name
four codes: ``THROTTLED``, ``ACCESS_DENIED``, ``SHOP_INACTIVE`` and ``INTERNAL_SERVER_ERROR``
("returned instead of 500 Internal Server Error in most circumstances"). Only the last one is a
passing fault: it is retried like a 5xx (:data:`TRANSIENT_CODES`), and so is an answer without
``data`` or ``errors``. A query names itself in errors by its operation and the cursor or id it
asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ecom import AuthError, Connection, RejectedError, RetryableError
from ecom.graphql import GraphQL, error_codes
from ecom.pacing import Bucket, LeakyBucketPacer

API_VERSION = "2026-07"
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
#: Shopify refuses a query whose requested cost is above this (``MAX_COST_EXCEEDED``).
MAX_QUERY_COST = 1000
#: GraphQL error codes Shopify documents as passing faults of its own, answered with HTTP 200.
TRANSIENT_CODES = frozenset({"INTERNAL_SERVER_ERROR"})


def monotonic() -> float:
    """The pacer's clock, looked up at call time so tests and benchmarks can put a virtual clock
    here (as they do with ``ecom.http.default_sleep``)."""
    return time.monotonic()


class CostError(RejectedError):
    """The query asked for more than the single-query maximum cost."""


class CostPacer(LeakyBucketPacer):
    """Paces requests by Shopify's calculated query cost: the leaky bucket (an
    :class:`ecom.pacing.LeakyBucketPacer`) as ``extensions.cost`` reports it, with the requested
    cost of the last query and a ``THROTTLED`` error."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        super().__init__(clock or (lambda: monotonic()), maximum=MAX_QUERY_COST)

    def read(self, response: httpx.Response) -> Bucket | None:
        try:
            body = response.json()
            cost = body["extensions"]["cost"]
            status = cost["throttleStatus"]
            return Bucket(available=float(status["currentlyAvailable"]), maximum=float(status["maximumAvailable"]),
                          restore=float(status["restoreRate"]), cost=float(cost.get("requestedQueryCost") or 0),
                          throttled="THROTTLED" in error_codes(body))
        except (ValueError, KeyError, TypeError):
            return None

    def budget(self) -> float:
        """The largest requested cost a single query may have now."""
        return min(float(MAX_QUERY_COST), self.maximum)


def api_root(connection: Connection) -> str:
    """``https://{shop}.myshopify.com`` from the API URL, or from the shop name when it is blank."""
    url = connection.api_url.strip() or f"{connection.website_name.strip()}.myshopify.com"
    return (url if "://" in url else "https://" + url).rstrip("/")


#: What each of Shopify's error codes raises (an error with another code: RejectedError).
ERRORS = {"ACCESS_DENIED": AuthError, "MAX_COST_EXCEEDED": CostError, "THROTTLED": RetryableError}


class Shopify(GraphQL):
    """One conversation with a shop: :class:`ecom.graphql.GraphQL` paced by a :class:`CostPacer`,
    raising Shopify's errors as :data:`ERRORS` says (``INTERNAL_SERVER_ERROR``, after the HTTP
    helper's retries: :class:`RetryableError`), in Shopify's words."""

    def __init__(self, connection: Connection, **http_options: Any) -> None:
        self.pacer = CostPacer()
        token = connection.password.get_secret_value()
        super().__init__(
            connection,
            GRAPHQL_PATH,
            errors=ERRORS,
            transient_codes=TRANSIENT_CODES,
            base_url=api_root(connection),
            headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"},
            pacer=self.pacer,
            **http_options,
        )

    def option(self, name: str, default: Any) -> Any:
        return self.connection.options.get(name, default)

    too_big = CostError

    def next_page_size(self, first: int) -> int:
        """Fitted to the cost Shopify reported for the last page."""
        return self.page_size(first, self.pacer.requested)

    def page_size(self, first: int, requested: float, ceiling: int = 250) -> int:
        """The page size whose requested cost stays within :meth:`CostPacer.budget`, learnt from
        the cost Shopify reported for a page of ``first`` (cost ≈ 2 + first × per-node cost)."""
        per_node = max(1.0, (requested - 2) / max(first, 1))
        return max(1, min(ceiling, int((self.pacer.budget() - 2) // per_node)))
