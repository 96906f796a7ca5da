"""Fake carts: a driver's stand-in for its cart's API, for tests and the demo.

Each driver ships a :class:`FakeCart` built from its cart's public documentation: a stateful WSGI
application serving the same paths, auth, pagination, limits and error bodies as the real API.
It runs in process (:meth:`FakeCart.transport`, an httpx transport) or on a loopback port
(:meth:`FakeCart.serve`). The base class adds what every fake needs and no cart defines: a log of
the requests it answered, failures injected on demand (429 with ``Retry-After``, 5xx, slow
answers) so retries can be tested against the cart's own error shapes, answers whose body is not
the API's (:meth:`FakeCart.garble_next`: cut off, an HTML page, empty, each with a 2xx status, as
a proxy, a caching plugin or a dropped connection deliver them), redirects
(:meth:`FakeCart.redirect_next`), and a request log a person can watch (:meth:`FakeCart.log_to`,
the command-line fakes' ``--log FILE``): one JSON line per answer with the method, path, query
(credential values masked), status and duration in milliseconds.

The abstract methods are the fake's side of the conformance suite: ways to seed the cart and to
look at its state that the driver's API calls cannot fake.
"""

from __future__ import annotations

import abc
import contextlib
import json
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from ecom.records import CartProduct, Connection


@dataclass(frozen=True)
class LoggedRequest:
    """One request the fake answered."""

    method: str
    path: str
    query: str
    status: int
    write: bool


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    delay: float


#: Query parameters whose values the request log masks (keys, secrets, signatures, tokens).
SECRET_PARAM = re.compile(r"key|secret|signature|token|password|nonce", re.IGNORECASE)

#: How :meth:`FakeCart.garble_next` can spoil a successful answer.
GARBLES = ("cut_off", "html", "empty")

#: The page a fake serves for ``garble_next("html")`` unless it has its cart's own.
HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title></head>
<body><h1>Checking your connection</h1><p>This page is served in place of the one you asked for.</p></body></html>
"""


class FakeCart(abc.ABC):
    """Base of every driver's fake cart. Subclasses implement :meth:`app` and the state methods."""

    #: the cart kind this fake stands in for (the driver's ``CartInfo.kind``)
    kind: str = ""

    def __init__(self) -> None:
        self.requests: list[LoggedRequest] = []
        self.latency = 0.0  # seconds added to every answer: a slow cart, for crash and concurrency tests
        self._open = threading.Event()
        self._open.set()
        self._failures: deque[_Failure] = deque()
        self._garbles: deque[str] = deque()
        self._redirects: deque[tuple[int, str]] = deque()
        self._lock = threading.RLock()
        self._log: IO[str] | None = None

    # -- the cart's API ---------------------------------------------------------------------

    @abc.abstractmethod
    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The cart's API as a WSGI application."""

    def is_write(self, method: str, path: str, body: bytes) -> bool:
        """Whether a request changes the cart (GraphQL carts override: mutations are writes)."""
        return method not in ("GET", "HEAD", "OPTIONS")

    def failure_response(self, status: int, retry_after: float | None) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body the cart sends with an injected 429 / 5xx, in the cart's own shape."""
        headers = [("Content-Type", "application/json")]
        if retry_after is not None:
            headers.append(("Retry-After", f"{retry_after:g}"))
        return headers, b'{"error": "injected failure"}'

    def html_page(self) -> bytes:
        """The HTML page served for :meth:`garble_next` ``("html")``; a fake may serve its cart's."""
        return HTML_PAGE

    # -- the fake's side of the conformance suite --------------------------------------------

    @abc.abstractmethod
    def connection(self, base_url: str, *, valid: bool = True) -> Connection:
        """Connection settings for this fake at ``base_url``: accepted ones, or (``valid=False``)
        credentials the fake refuses as the real cart would."""

    @abc.abstractmethod
    def seed(self, *, orders: int = 0, products: int = 0, seed: int = 0) -> None:
        """Add ``orders`` realistic generated orders and ``products`` products (with stock) whose
        SKUs :meth:`skus` lists. The same ``seed`` gives the same data."""

    @abc.abstractmethod
    def skus(self) -> list[str]:
        """Every SKU the cart sells, sorted."""

    @abc.abstractmethod
    def stock(self, sku: str, location: str | None = None) -> int | None:
        """The quantity the cart holds for ``sku`` at ``location`` (None = default), or None when
        the cart does not know the SKU or does not track its stock."""

    @abc.abstractmethod
    def product(self, sku: str) -> CartProduct | None:
        """The product the cart holds for ``sku``, as a record, or None."""

    @abc.abstractmethod
    def tracking(self, order_id: str) -> list[str]:
        """Tracking numbers the cart holds for the order with this external id."""

    # -- what the base class gives every fake ----------------------------------------------

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None, delay: float = 0.0) -> None:
        """Answer the next ``times`` requests with ``status`` (after ``delay`` seconds) instead
        of serving them. ``retry_after`` adds a ``Retry-After`` header."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, delay) for _ in range(times))

    #: More kinds of spoiled answer a fake serves through :meth:`faulty_answer` (e.g. a GraphQL
    #: cart's errors inside a 200); they share one queue with :data:`GARBLES`, in order.
    answer_faults: tuple[str, ...] = ()

    def garble_next(self, kind: str, *, times: int = 1) -> None:
        """Serve the next ``times`` requests as usual (the cart acts on them) but answer with a
        body that is not the API's, under the answer's own 2xx status (200 for an error):
        ``cut_off`` (the first half of the real body), ``html`` (:meth:`html_page`, as
        ``text/html``) or ``empty`` (no body at all); or one of the fake's own
        :attr:`answer_faults`."""
        if kind not in GARBLES + self.answer_faults:
            raise ValueError(f"garble_next: {kind!r} is not one of {', '.join(GARBLES + self.answer_faults)}")
        with self._lock:
            self._garbles.extend([kind] * times)

    def redirect_next(self, location: str, *, status: int = 307, times: int = 1) -> None:
        """Answer the next ``times`` requests with a redirect to ``location`` (a full URL, to which
        the request's path and query are added), without serving them."""
        with self._lock:
            self._redirects.extend([(status, location)] * times)

    def log_to(self, stream: IO[str] | None) -> None:
        """Write one JSON line per answered request to ``stream`` (None stops): ``method``, ``path``,
        ``query`` (values of credential parameters masked), ``status``, ``duration_ms``."""
        self._log = stream

    def pause(self) -> None:
        """Hold every request until :meth:`resume` (at most a minute): a cart that hangs."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def clear_failures(self) -> None:
        """Forget injected failures, garbles and redirects not served yet."""
        with self._lock:
            self._failures.clear()
            self._garbles.clear()
            self._redirects.clear()

    def writes(self) -> list[LoggedRequest]:
        """The requests answered so far that changed the cart."""
        return [r for r in self.requests if r.write]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = _Body(body)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        started = time.perf_counter()
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            redirect = self._redirects.popleft() if failure is None and self._redirects else None
            garble = self._garbles.popleft() if failure is None and redirect is None and self._garbles else None
        self._open.wait(timeout=60)
        if self.latency:
            time.sleep(self.latency)
        captured: dict[str, int] = {}

        def recording_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)
            headers, payload = self.failure_response(failure.status, failure.retry_after)
            recording_start(f"{failure.status} {httpx.codes.get_reason_phrase(failure.status)}", headers)
            result: Iterable[bytes] = [payload]
        elif redirect is not None:
            status, location = redirect
            target = location.rstrip("/") + path + (f"?{query}" if query else "")
            recording_start(f"{status} {httpx.codes.get_reason_phrase(status)}", [("Location", target), ("Content-Length", "0")])
            result = [b""]
        elif garble is not None:
            with self._lock:
                result = [self._garbled(garble, environ, recording_start)]
        else:
            with self._lock:
                result = list(self.app(environ, recording_start))
        with self._lock:
            write = failure is None and redirect is None and self.is_write(method, path, body)
            self.requests.append(LoggedRequest(method, path, query, captured.get("status", 0), write))
            if self._log is not None:
                self._write_log(method, path, query, captured.get("status", 0), time.perf_counter() - started)
        return result

    def _write_log(self, method: str, path: str, query: str, status: int, seconds: float) -> None:
        shown = urlencode([(k, "***" if SECRET_PARAM.search(k) else v) for k, v in parse_qsl(query, keep_blank_values=True)])
        line = {"method": method, "path": path, "query": shown, "status": status, "duration_ms": round(seconds * 1000, 1)}
        assert self._log is not None
        self._log.write(json.dumps(line) + "\n")
        self._log.flush()

    def faulty_answer(self, kind: str, environ: dict[str, Any], start_response: Any) -> bytes:
        """Answer a request with one of :attr:`answer_faults` (the fake's own kinds).

        A fake that lists kinds in :attr:`answer_faults` overrides this; the base class lists none,
        so reaching it means a subclass declared a kind it does not serve.
        """
        raise TypeError(f"{type(self).__name__} lists {kind!r} in answer_faults but does not serve it (override faulty_answer)")

    def _garbled(self, kind: str, environ: dict[str, Any], start_response: Any) -> bytes:
        if kind not in GARBLES:
            return self.faulty_answer(kind, environ, start_response)
        held: dict[str, Any] = {}

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            held["status"], held["headers"] = status, headers

        real = b"".join(self.app(environ, hold))
        status = held["status"] if held["status"].startswith("2") else "200 OK"
        headers = [(k, v) for k, v in held["headers"] if k.lower() not in ("content-length", "content-type")]
        if kind == "html":
            body, kind_header = self.html_page(), "text/html; charset=UTF-8"
        else:
            body = real[: len(real) // 2] if kind == "cut_off" else b""
            kind_header = dict((k.lower(), v) for k, v in held["headers"]).get("content-type", "application/json")
        start_response(status, [*headers, ("Content-Type", kind_header), ("Content-Length", str(len(body)))])
        return body

    def transport(self) -> httpx.WSGITransport:
        """An in-process httpx transport answering from this fake."""
        return httpx.WSGITransport(app=self)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve the fake on a loopback port in a background thread; yields its base URL."""
        server = make_server(host, port, self, server_class=_ThreadingServer, handler_class=_QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fake-{self.kind}", daemon=True)
        thread.start()
        try:
            yield f"http://{host}:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


class _Body:
    """A re-readable request body (the fake reads it once to log, the app reads it again)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def serve_forever(fake: FakeCart, host: str, port: int, log: str | None = None) -> None:
    """Run a fake on a loopback port until interrupted (``python -m ecom_<cart>.fake``); ``log``
    names a file to append the request log to (:meth:`FakeCart.log_to`), ``-`` for stdout."""
    with contextlib.ExitStack() as stack:
        if log:
            fake.log_to(sys.stdout if log == "-" else stack.enter_context(open(log, "a", encoding="utf-8")))  # noqa: SIM115
        url = stack.enter_context(fake.serve(host, port))
        print(f"fake {fake.kind} cart listening on {url} (Ctrl-C to stop)", flush=True)
        if log:
            print(f"logging requests to {'stdout' if log == '-' else log} (JSON lines)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
