"""Failed logins, counted so that guessing passwords is refused for a while.

Each failed login counts against the user name tried and against the client's address. A name
with :data:`PER_USER` failures within :data:`WINDOW` seconds, or an address with
:data:`PER_CLIENT`, is refused (HTTP 429, with ``Retry-After``) until its oldest counted failure
is :data:`WINDOW` seconds old, before any password is checked. A successful login clears the
name's count. The counts live in the server's memory: a restart of ``ecom serve`` forgets them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

PER_USER = 5
PER_CLIENT = 20
WINDOW = 15 * 60  # seconds
MAX_KEYS = 10_000  # names and addresses remembered; past it the stalest are forgotten first


class LoginThrottle:
    def __init__(self, *, per_user: int = PER_USER, per_client: int = PER_CLIENT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.per_user, self.per_client, self.window, self.clock = per_user, per_client, window, clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, username: str, client: str) -> int:
        """Seconds until ``username`` from ``client`` may try again; 0 = now."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(("user", username[:64]), self.per_user, now), self._wait(("client", client), self.per_client, now)]
        return max(waits)

    def failed(self, username: str, client: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (("user", username[:64]), ("client", client)):
                self._failures.setdefault(key, deque()).append(now)
                self._failures[key] = self._failures.pop(key)  # the newest last: pruning starts at the stalest
            if len(self._failures) > MAX_KEYS:
                self._prune(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(("user", username[:64]), None)

    def _wait(self, key: tuple[str, str], limit: int, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < limit:
            return 0
        return max(1, math.ceil(times[-limit] + self.window - now))

    def _prune(self, now: float) -> None:
        for key in [k for k, times in self._failures.items() if not times or times[-1] <= now - self.window]:
            del self._failures[key]
        while len(self._failures) > MAX_KEYS:
            del self._failures[next(iter(self._failures))]


def wait_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
