"""Pacing by a leaky bucket of cost points (ecom.pacing)."""

from __future__ import annotations

import httpx

from ecom.pacing import Bucket, LeakyBucketPacer


class HeaderPacer(LeakyBucketPacer):
    """A cart that reports its bucket in headers: points left/size, the restore rate, the cost."""

    def read(self, response: httpx.Response) -> Bucket | None:
        if "X-Bucket" not in response.headers:
            return None
        left, size = map(float, response.headers["X-Bucket"].split("/"))
        return Bucket(left, size, restore=50.0, cost=float(response.headers["X-Cost"]),
                      throttled=response.headers.get("X-Throttled") == "1")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(200, headers=headers)


def test_it_waits_until_the_bucket_refilled_holds_the_last_cost_again() -> None:
    clock = Clock()
    pacer = HeaderPacer(clock)
    assert pacer.wait() == 0.0  # nothing reported yet
    assert pacer.observe(answer(**{"X-Bucket": "100/1000", "X-Cost": "300"})) is None
    assert pacer.wait() == 4.0  # 200 points missing at 50 a second
    clock.now += 3
    assert pacer.wait() == 1.0  # refilled meanwhile
    clock.now += 5
    assert pacer.wait() == 0.0


def test_a_cost_above_the_bucket_waits_only_for_a_full_bucket() -> None:
    pacer = HeaderPacer(Clock())
    pacer.observe(answer(**{"X-Bucket": "0/100", "X-Cost": "500"}))
    assert pacer.wait() == 2.0  # a full bucket (100 points) is all it can ever hold


def test_a_throttled_answer_is_retried_after_the_missing_points_restore() -> None:
    pacer = HeaderPacer(Clock())
    assert pacer.observe(answer(**{"X-Bucket": "50/1000", "X-Cost": "250", "X-Throttled": "1"})) == 4.0
    assert pacer.observe(answer(**{"X-Bucket": "250/1000", "X-Cost": "250", "X-Throttled": "1"})) == 1 / 50  # one point's worth


def test_an_answer_without_a_report_changes_nothing() -> None:
    pacer = HeaderPacer(Clock())
    pacer.observe(answer(**{"X-Bucket": "100/1000", "X-Cost": "300"}))
    assert pacer.observe(answer()) is None and pacer.wait() == 4.0
