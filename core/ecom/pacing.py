"""Pacing requests by a leaky bucket of cost points: :class:`LeakyBucketPacer`.

Some carts meter their API with a leaky bucket instead of a window: a bucket holds up to
``maximum`` points, each request takes its cost out of it, and it refills at ``restore`` points a
second. A request that finds too few points is refused as throttled, sometimes inside a
successful answer (Shopify's GraphQL ``THROTTLED``, HTTP 200). The cart reports the bucket with
each answer (Shopify: ``extensions.cost.throttleStatus`` for GraphQL, the
``X-Shopify-Shop-Api-Call-Limit`` header for REST).

The pacer keeps the bucket as last reported and, before each request, waits until the bucket,
refilled since, holds the cost of the last request again (the next one usually costs about the
same); a request refused as throttled is retried after the time the missing points take to come
back. A driver says only where its cart reports the bucket (:meth:`LeakyBucketPacer.read`).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple

import httpx


class Bucket(NamedTuple):
    """The bucket as an answer reports it, and what the request cost."""

    available: float  #: points left in the bucket
    maximum: float  #: points the bucket holds when full
    restore: float  #: points it refills a second
    cost: float  #: what the request cost (or asked for)
    throttled: bool = False  #: the request was refused for want of points


class LeakyBucketPacer(ABC):
    """A :class:`ecom.http.Pacer` for a cart metered by a leaky bucket; a subclass reads the
    cart's report in :meth:`read`. ``clock`` is called at each use (seconds, monotonic).

    :ivar available: the points last reported (None: no report yet, nothing to wait for).
    :ivar requested: the cost of the last request, which the next one waits to have.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, maximum: float = 0.0) -> None:
        self.clock = clock
        self.available: float | None = None
        self.maximum = maximum
        self.restore = 0.0
        self.requested = 0.0
        self.seen_at = 0.0

    @abstractmethod
    def read(self, response: httpx.Response) -> Bucket | None:
        """The bucket as ``response`` reports it, or None when it says nothing of it."""

    def wait(self) -> float:
        """Seconds until the bucket, refilled at the restore rate, holds the last request's cost
        (at most the bucket's size)."""
        if self.available is None or self.restore <= 0:
            return 0.0
        now = min(self.maximum, self.available + (self.clock() - self.seen_at) * self.restore)
        return max(0.0, (min(self.requested, self.maximum) - now) / self.restore)

    def observe(self, response: httpx.Response) -> float | None:
        """Learn the bucket from ``response``; a request refused as throttled is retried after
        the time its missing points take to restore (at least one point's worth)."""
        bucket = self.read(response)
        if bucket is None:
            return None
        self.available, self.seen_at = bucket.available, self.clock()
        self.maximum, self.restore, self.requested = bucket.maximum, bucket.restore, bucket.cost
        if bucket.throttled and self.restore > 0:
            return max(1.0, self.requested - self.available) / self.restore
        return None
