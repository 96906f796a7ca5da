"""A virtual clock for the benchmarks: time passes only when the driver waits, so a run under
the Standard plan's rate limit takes seconds of CPU, and its rate-limit time is still measured."""

from __future__ import annotations

import ecom.http
import ecom_shopify.api


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def install(self) -> VirtualClock:
        ecom.http.default_sleep = self.sleep
        ecom_shopify.api.monotonic = self
        return self
