"""The HTTP helper every cart driver uses: timeouts, retries, pacing and redaction in one place.

A driver builds one :class:`CartHTTP` per operation from the integration's
:class:`~ecom.records.Connection` and calls ``get``/``post``/... with paths relative to its API::

    with CartHTTP(connection, base_url=connection.api_url + "/api/v1",
                  headers={"Authorization": f"Bearer {connection.password.get_secret_value()}"},
                  error_message=cart_words) as http:
        orders = http.get("/orders", params={"limit": 50}).json()

What the helper does for every request:

- **transport**: ``connection.transport`` when set (a fake cart, a mock), else the network;
- **timeouts**: :data:`DEFAULT_TIMEOUT` unless the driver gives its own;
- **retries**: 429, 500/502/503/504 (and Cloudflare's 520-524), timeouts and connection errors
  are retried up to ``max_attempts`` times with jittered exponential backoff, or after the
  ``Retry-After`` the cart sent (seconds or an HTTP date). A ``Retry-After`` longer than
  ``max_wait`` ends the retries at once: the job engine reschedules the job rather than sleep
  for minutes. The last failure raises :class:`~ecom.errors.RetryableError` naming the method,
  the path and what the cart said. A request marked ``idempotent=False`` is retried only when
  the cart cannot have acted on it (429, connection refused), and its error says it may have;
- **errors**: 401/403 raise :class:`~ecom.errors.AuthError`, other 4xx
  :class:`~ecom.errors.RejectedError`, each with the cart's own words, which the driver's
  ``error_message(response)`` extracts from its error body (when it fails or finds none:
  :func:`default_error_message`'s, so an extractor reads only the cart's own shape);
- **pacing**: a driver's :class:`Pacer` is asked how long to wait before each request and shown
  each response; it may ask for a successful-looking response to be retried (Shopify's GraphQL
  ``THROTTLED`` comes as HTTP 200);
- **redaction**: the connection's secrets, auth header values, and query parameters that look
  like secrets (:data:`SECRET_PARAMS`) never reach a log line or an error message. Logging is
  at debug level on the ``ecom.http`` logger;
- **bodies**: a success must carry the JSON the API sends (``expect``: any JSON by default, or
  a type); a body cut off, an HTML page or an empty one is a transport fault, retried like a 5xx,
  and so is a passing fault the driver finds inside a success (``transient_fault``: Shopify's
  GraphQL ``INTERNAL_SERVER_ERROR``). Rate-limit answers (429, a pacer's hint) are waited out
  without using up an attempt (at most ``max_throttled`` in a row). After the last attempt the
  error names the request (method, path, query, the driver's ``label``) and what each attempt
  got, saying "could not reach the cart" only when it could not;
- **where requests go**: every request, and every redirect, is checked before it is sent: an
  http(s) URL; plain HTTP only to this machine (unless the driver says it sends no secret in
  clear, ``allow_plain_http``); and never an origin other than the API's. A redirect within the
  API is followed; one to another origin (host, port or scheme) is not, so no credential header
  goes there: :class:`~ecom.errors.FatalError` says so.

Beside the client, for any cart: :func:`normalise_api_url` (an API URL as an admin typed it, made
usable or refused in words; the core checks every saved URL with it), :class:`~ecom.auth.OAuth1`
(one-legged OAuth 1.0a signing, now in :mod:`ecom.auth`), :func:`plain_http_allowed` (plain
HTTP only to this machine unless the admin allows it), :func:`html_text` (a cart's HTML error page
as words) and :func:`download` (a file from a signed URL, streamed, retried, without the API's
auth).

Waiting goes through ``sleep`` (default :func:`default_sleep`, looked up at call time so a test
suite can patch ``ecom.http.default_sleep``), and Retry-After dates are read against ``clock``.
"""

from __future__ import annotations

import base64
import email.utils
import html
import ipaddress
import logging
import random as _random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any, Protocol
from urllib.parse import quote, quote_plus, urlsplit

import httpx

from ecom import __version__
from ecom.auth import OAuth1, percent, sign, signature_base  # noqa: F401 - long imported from here
from ecom.errors import AuthError, ConfigError, DriverError, FatalError, RejectedError, RetryableError
from ecom.records import Connection

log = logging.getLogger("ecom.http")

#: Connect quickly or fail; give a slow cart time to answer a big page.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Statuses worth retrying: rate limited, or a server/gateway failure that usually passes.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: Query parameter names whose values are secrets (compared case-insensitively).
SECRET_PARAMS = frozenset(
    {
        "access_token", "api_key", "apikey", "auth", "client_secret", "consumer_key", "consumer_secret",
        "key", "oauth_consumer_key", "oauth_signature", "oauth_token", "password", "refresh_token",
        "secret", "sig", "signature", "token",
    }
)
#: Header names containing one of these words carry secrets.
SECRET_HEADER_WORDS = ("authorization", "token", "secret", "key", "signature", "password", "cookie")
REDACTED = "***"
#: Shorter values are not redacted: replacing every "1" or "ab" would make messages unreadable.
MIN_SECRET_LENGTH = 4

_SECRET_PARAM_RE = re.compile(
    r"(?P<name>[?&;](?:%s)=)[^&;#\s\"'<>]*" % "|".join(sorted(map(re.escape, SECRET_PARAMS), key=len, reverse=True)),
    re.IGNORECASE,
)


def default_sleep(seconds: float) -> None:
    """How :class:`CartHTTP` waits when not given a ``sleep``; test suites patch this name."""
    time.sleep(seconds)


class Redactor:
    """Removes secrets from text: known values (and their URL-encoded forms) and the values of
    query parameters that look like secrets."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        self._values.update({secret, quote(secret, safe=""), quote_plus(secret)})

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return _SECRET_PARAM_RE.sub(lambda m: m.group("name") + REDACTED, text)


class Pacer(Protocol):
    """What a driver passes to pace its requests from the cart's rate-limit signals."""

    def wait(self) -> float:
        """Seconds to wait before sending the next request (0 to send now)."""

    def observe(self, response: httpx.Response) -> float | None:
        """Learn from a response's rate-limit signals. Return seconds after which to retry this
        request although its status says success (e.g. a GraphQL ``THROTTLED`` error), or None."""


class RateLimitPacer:
    """A :class:`Pacer` for carts that announce their budget in headers (``X-RateLimit-Remaining``
    and ``X-RateLimit-Reset``, seconds until the window resets): when the budget falls to
    ``reserve``, the next request waits for the reset, plus ``margin`` seconds so that it lands
    after the cart's window despite rounding and latency."""

    def __init__(
        self,
        *,
        remaining_header: str = "X-RateLimit-Remaining",
        reset_header: str = "X-RateLimit-Reset",
        reserve: int = 0,
        margin: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.remaining_header, self.reset_header, self.reserve = remaining_header, reset_header, reserve
        self.margin = margin
        self._clock = clock
        self._resume_at = 0.0

    def wait(self) -> float:
        return max(0.0, self._resume_at - self._clock())

    def observe(self, response: httpx.Response) -> float | None:
        try:
            remaining = int(response.headers[self.remaining_header])
            reset = float(response.headers[self.reset_header])
        except (KeyError, ValueError):
            return None
        if remaining <= self.reserve:
            self._resume_at = self._clock() + max(0.0, reset) + self.margin
        return None


def default_error_message(response: httpx.Response) -> str:
    """The cart's words from an error response: the usual JSON keys (``message``, ``error``,
    ``errors``, ``detail``...), else a short plain-text body, else the HTTP reason phrase."""
    try:
        words = _words(response.json())
    except ValueError:
        words = ""
    if not words:
        text = response.text.strip()
        words = text if text and not text.startswith("<") else ""
    words = words or response.reason_phrase or f"HTTP {response.status_code}"
    return words if len(words) <= 500 else words[:497] + "..."


_MESSAGE_KEYS = ("message", "error_description", "error", "errors", "detail", "title", "msg", "description")


def _words(body: Any) -> str:
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, list):
        return "; ".join(w for w in map(_words, body) if w)
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            if key in body and (words := _words(body[key])):
                return words
        if all(isinstance(v, (str, list)) for v in body.values()):  # {"field": ["can't be blank"]}
            return "; ".join(f"{k}: {w}" for k, v in body.items() if (w := _words(v)))
    return ""


def retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds the cart asked us to wait (``Retry-After`` in seconds or as an HTTP date, read
    against ``now``, a POSIX timestamp), or None when it did not say."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


class CartHTTP:
    """An :class:`httpx.Client` for one cart, with retries, pacing, error mapping and redaction.

    :param connection: the integration's connection; its ``transport`` is used when set, its
        ``secrets`` are redacted, its ``api_url`` is the default ``base_url``.
    :param base_url: the API root that request paths are relative to.
    :param headers: headers sent with every request (auth headers are redacted from output).
    :param auth: httpx auth, e.g. ``(user, password)`` for HTTP Basic (redacted too).
    :param params: query parameters sent with every request (e.g. query-string auth).
    :param timeout: seconds, or an :class:`httpx.Timeout`.
    :param max_attempts: tries per request, the first included.
    :param backoff: the first retry's delay ceiling in seconds; doubled at each retry.
    :param max_backoff: the largest backoff delay.
    :param max_wait: the longest the helper waits before one retry; a longer ``Retry-After``
        gives up at once with :class:`~ecom.errors.RetryableError`.
    :param max_throttled: how many rate-limit answers in a row (429, or a pacer's retry hint) the
        helper waits out for one request; they use none of its ``max_attempts``.
    :param pacer: the driver's :class:`Pacer`, or None.
    :param transient_fault: for a cart that reports some passing faults inside a success (Shopify's
        GraphQL ``INTERNAL_SERVER_ERROR``): given a 2xx response and its parsed JSON body (only
        for requests whose body is checked, see ``expect``), words saying what passing fault it
        holds, or None. Such an answer is retried like a 5xx.
    :param allow_plain_http: let ``http://`` reach another machine than this one: only for a
        driver that sends no secret in clear (e.g. OAuth 1.0a signing) and an admin who said so.
    :param error_message: the cart's words from an error response; may raise or say nothing.
    :param secrets: more values to redact (e.g. a consumer key sent in the username field).
    :param sleep: how to wait; default :func:`default_sleep`.
    :param clock: POSIX time now, for ``Retry-After`` dates.
    :param random: a float in [0, 1) for the backoff jitter.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
        params: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_wait: float = 60.0,
        max_throttled: int = 10,
        pacer: Pacer | None = None,
        transient_fault: Callable[[httpx.Response, Any], str | None] | None = None,
        allow_plain_http: bool = False,
        error_message: Callable[[httpx.Response], str] = default_error_message,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts, self.backoff, self.max_backoff, self.max_wait = max_attempts, backoff, max_backoff, max_wait
        self.max_throttled, self.transient_fault, self.allow_plain_http = max_throttled, transient_fault, allow_plain_http
        self.pacer, self.error_message = pacer, error_message
        self._sleep, self._clock, self._random = sleep, clock, random
        self.redact = Redactor([*connection.secrets, *secrets])
        for name, value in (headers or {}).items():
            if any(word in name.lower() for word in SECRET_HEADER_WORDS):
                self.redact.add(value)
                self.redact.add(value.partition(" ")[2])  # "Bearer <token>" -> the token alone
        if isinstance(auth, tuple) and len(auth) == 2:
            user, password = auth
            self.redact.add(password)
            self.redact.add(base64.b64encode(f"{user}:{password}".encode()).decode())
        for name, value in (params or {}).items():
            if name.lower() in SECRET_PARAMS:
                self.redact.add(str(value))
        self.client = httpx.Client(
            base_url=base_url if base_url is not None else connection.api_url,
            headers={"User-Agent": f"ecom/{__version__}", "Accept": "application/json", **(headers or {})},
            auth=auth,
            params=params,
            timeout=timeout,
            transport=connection.transport,
            follow_redirects=True,  # within the API's origin only: see _check_url
            event_hooks={"request": [self._check_url]},
        )
        base = self.client.base_url
        self._origin = (base.scheme, base.host, base.port)

    # -- the verbs ----------------------------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        expect: type | tuple[type, ...] | None = object,
        label: str | None = None,
    ) -> httpx.Response:
        """Send a request, retrying what is worth retrying; return a successful response.

        :param params: query parameters; None values are left out.
        :param json: a JSON body.
        :param idempotent: False for a request the cart must not receive twice (e.g. create an
            order): it is then retried only on 429 and refused connections.
        :param expect: what the body of a success must be: JSON of this type (``object``, the
            default: any JSON; ``dict``: a JSON object), or None to take any body (a file). A
            success whose body is not that (cut off, an HTML page, empty) is a transport fault,
            retried like a 5xx. 204/205 answers and HEAD requests carry no body and pass.
        :param label: what the request is, in the admin's words (``orders after cursor X``),
            added to its error messages; the method, path and query are always named.
        :raises RetryableError: the cart kept failing, or asked to wait longer than ``max_wait``.
        :raises AuthError: 401 or 403.
        :raises RejectedError: any other 4xx.
        :raises FatalError: the cart redirected the request to another origin.
        :raises ConfigError: the API URL is not a usable http(s) URL, or is plain HTTP to
            another machine.
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        name = self._name(method, path, query, label)
        failures: list[str] = []  # what went wrong at each attempt used
        throttled = 0  # answers asking to wait (rate limits): they use no attempt
        while True:
            self._pause(self.pacer.wait() if self.pacer else 0.0, "pacing", method, path)
            status: int | None = None
            try:
                response = self.client.request(method, path, params=query, json=json, headers=headers)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise ConfigError(self.redact(f"The API URL is not usable for {name}: {exc}")) from None
            except httpx.TransportError as exc:
                what = _transport_words(exc)
                failures.append(what)
                log.debug(self.redact(f"{name} failed: {what} (attempt {len(failures)}/{self.max_attempts})"))
                unsent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                if not (idempotent or unsent):
                    raise self._give_up(name, failures, throttled, None, maybe_done=True) from None
                wait = self._backoff(len(failures))
            except httpx.RequestError as exc:  # too many redirects, undecodable body...
                raise DriverError(self.redact(f"{name}: {type(exc).__name__}: {exc}")) from None
            else:
                status = response.status_code
                log.debug(
                    "%s %s -> %s (attempt %d/%d)",
                    method, self.redact(str(response.request.url)), status, len(failures) + 1, self.max_attempts,
                )
                hint = self.pacer.observe(response) if self.pacer else None
                if hint is not None or status == 429:
                    # The cart answered and asked us to slow down: wait as asked, using no attempt.
                    what = f"HTTP {status}: {self._cart_words(response)}"
                    throttled += 1
                    asked = hint if hint is not None else retry_after(response, self._clock())
                    if asked is not None and asked > self.max_wait:
                        raise RetryableError(
                            self.redact(
                                f"{name}: the cart asked to retry after {asked:g}s, longer than the "
                                f"{self.max_wait:g}s this job waits; last answer {what}"
                            ),
                            status=status,
                        )
                    if throttled > self.max_throttled:
                        host = self.client.base_url.host
                        raise RetryableError(self.redact(
                            f"{name}{' on ' + host if host else ''}: the cart asked {throttled} times in a row to slow "
                            f"down, last {what}"
                        ), status=status)
                    wait = asked if asked is not None else self._backoff(throttled)
                    self._pause(wait, f"rate limited ({throttled} so far) after {what}", method, path)
                    continue
                if status in RETRY_STATUSES:
                    what = f"HTTP {status}: {self._cart_words(response)}"
                elif status >= 400:
                    raise self._refusal(method, path, response)
                else:
                    fault = self._fault(method, response, expect)
                    if fault is None:
                        return response
                    what = f"HTTP {status} with {fault}"
                failures.append(what)
                if not idempotent:
                    raise self._give_up(name, failures, throttled, status, maybe_done=True) from None
                asked = retry_after(response, self._clock()) if status in RETRY_STATUSES else None
                if asked is not None and asked > self.max_wait:
                    raise RetryableError(
                        self.redact(
                            f"{name}: the cart asked to retry after {asked:g}s, longer than the "
                            f"{self.max_wait:g}s this job waits; last answer {what}"
                        ),
                        status=status,
                    )
                wait = asked if asked is not None else self._backoff(len(failures))
            if len(failures) >= self.max_attempts:
                raise self._give_up(name, failures, throttled, status)
            self._pause(wait, f"retry {len(failures) + 1}/{self.max_attempts} after {failures[-1]}", method, path)

    # -- pagination ---------------------------------------------------------------------------

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        next_params: Callable[[httpx.Response, dict[str, Any]], dict[str, Any] | None],
    ) -> Iterator[httpx.Response]:
        """GET ``path`` page after page: yield each page's response, then ask
        ``next_params(response, params)`` for the next page's parameters (None: the last page).
        :func:`page_numbers` and :func:`cursors` build ``next_params`` for the common styles."""
        current: dict[str, Any] | None = dict(params or {})
        while current is not None:
            response = self.get(path, params=current)
            yield response
            current = next_params(response, current)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> CartHTTP:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- inside -------------------------------------------------------------------------------

    def _cart_words(self, response: httpx.Response) -> str:
        try:
            words = self.error_message(response)
        except Exception:  # noqa: BLE001 - a driver's extractor must never hide the real error
            words = default_error_message(response)
        return self.redact(words or default_error_message(response))

    def _refusal(self, method: str, path: str, response: httpx.Response) -> DriverError:
        status = response.status_code
        words = self._cart_words(response)
        cls = AuthError if status in (401, 403) else RejectedError
        return cls(self.redact(f"{words} (HTTP {status} on {method} {path})"), status=status)

    def _name(self, method: str, path: str, query: Mapping[str, Any], label: str | None) -> str:
        """The request as error messages name it: method, path, query (which page), label."""
        shown = "&".join(f"{k}={v}" for k, v in query.items())
        name = f"{method} {path}" + (f"?{shown}" if shown else "")
        return self.redact(name + (f" ({label})" if label else ""))

    def _fault(self, method: str, response: httpx.Response, expect: type | tuple[type, ...] | None) -> str | None:
        """Why a success status is not a usable answer (words), or None when it is."""
        if expect is None or method == "HEAD" or response.status_code in (204, 205):
            return None  # no body to check
        content = response.content
        if not content.strip():
            return "an empty answer where the API sends JSON"
        try:
            body = response.json()
        except ValueError as exc:
            if "html" in response.headers.get("Content-Type", "").lower() or content.lstrip()[:1] == b"<":
                title = re.search(rb"<title[^>]*>(.*?)</title>", content, re.IGNORECASE | re.DOTALL)
                named = f" ({html_text(title.group(1).decode('utf-8', 'replace'))[:80]!r})" if title else ""
                return f"an HTML page{named} where the API sends JSON"
            return f"an answer that is not JSON, or cut off ({len(content)} bytes: {exc})"
        if not isinstance(body, expect):
            return f"JSON of the wrong shape (a {type(body).__name__} where the API sends {_shape(expect)})"
        return self.transient_fault(response, body) if self.transient_fault is not None else None

    def _give_up(
        self, name: str, failures: list[str], throttled: int, status: int | None, *, maybe_done: bool = False
    ) -> RetryableError:
        """The error after the last attempt: the last failure, then the earlier ones in short."""
        attempts = len(failures)
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        host = self.client.base_url.host  # which cart, for an admin with several
        where = f" on {host}" if host else ""
        words = f"{name}{where} failed after {tries}: {failures[-1]}"
        earlier = {what: failures[:-1].count(what) for what in failures[:-1] if what != failures[-1]}
        if earlier:
            words += "; before that: " + "; ".join(f"{what} ({n}x)" if n > 1 else what for what, n in earlier.items())
        if throttled:
            words += f"; the cart also asked {throttled} time{'s' if throttled > 1 else ''} to slow down"
        if maybe_done:
            words += "; it was not sent again, as the cart may have acted on it"
        return RetryableError(self.redact(words), status=status)

    def _check_url(self, request: httpx.Request) -> None:
        """Before every request, redirects included: an http(s) URL, plain HTTP only where
        allowed, and never another origin than the API's (its credentials would go there)."""
        url = request.url
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(self.redact(
                f"The API URL is not usable: {str(url)!r} is not a web address (https://...)."
            ))
        if (url.scheme, url.host, url.port) != self._origin:
            raise FatalError(self.redact(
                f"{request.method} {url.path}: the cart redirected the request to {url.scheme}://{url.host}"
                f"{':' + str(url.port) if url.port else ''}, "
                "another address; ecom does not follow an API call there, as its credentials would go along. "
                "If the cart has moved, set its API URL to the new address."
            ))
        if url.scheme == "http" and not plain_http_allowed(str(url), allow=self.allow_plain_http):
            raise ConfigError(self.redact(
                f"The API URL {str(self.client.base_url).rstrip('/')!r} is plain HTTP to another machine: the credentials would "
                "cross the network unencrypted. Use the cart's https:// address."
            ))

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": a delay in [ceiling/2, ceiling]."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._random())

    def _pause(self, seconds: float, why: str, method: str, path: str) -> None:
        if seconds <= 0:
            return
        log.debug(self.redact(f"waiting {seconds:.2f}s before {method} {path}: {why}"))
        (self._sleep or default_sleep)(seconds)


def _transport_words(exc: httpx.TransportError) -> str:
    """What went wrong on the wire, saying whether the cart was reached at all."""
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        kind = "could not reach the cart"
    elif isinstance(exc, httpx.PoolTimeout):
        kind = "timed out waiting for a free connection"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "timed out waiting for the cart's answer"
    elif isinstance(exc, httpx.WriteError):
        kind = "the connection broke while sending the request"
    else:  # RemoteProtocolError, ReadError: the cart was reached, its answer did not arrive whole
        kind = "the connection broke before the answer was complete"
    detail = str(exc)
    return f"{kind} ({type(exc).__name__}{': ' + detail if detail else ''})"


def _shape(expect: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string"}
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def page_numbers(
    param: str = "page", total_pages_header: str = "X-WP-TotalPages"
) -> Callable[[httpx.Response, dict[str, Any]], dict[str, Any] | None]:
    """``next_params`` for page-number paging (WooCommerce): the next page until the header's
    total; without the header, until a page comes back empty."""

    def next_params(response: httpx.Response, params: dict[str, Any]) -> dict[str, Any] | None:
        page = int(params.get(param, 1))
        total = response.headers.get(total_pages_header)
        if total is not None:
            return {**params, param: page + 1} if page < int(total) else None
        return {**params, param: page + 1} if response.json() else None

    return next_params


def cursors(
    next_cursor: Callable[[httpx.Response], str | None], param: str = "cursor"
) -> Callable[[httpx.Response, dict[str, Any]], dict[str, Any] | None]:
    """``next_params`` for cursor paging: ``next_cursor(response)`` reads the cursor of the next
    page from the response (None or empty: the last page)."""

    def next_params(response: httpx.Response, params: dict[str, Any]) -> dict[str, Any] | None:
        cursor = next_cursor(response)
        return {**params, param: cursor} if cursor else None

    return next_params


def cart_clock(response: httpx.Response) -> datetime | None:
    """The cart's clock when it answered: the ``Date`` header (RFC 9110 §6.6.1), timezone-aware;
    None when the cart sent none or one that cannot be read."""
    try:
        moment = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


# -- for any cart ---------------------------------------------------------------------------------


def html_text(value: Any) -> str:
    """Text without HTML: tags removed, entities decoded, whitespace collapsed. For carts that
    answer errors in HTML (WordPress's fatal-error page, a proxy's 502 page)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(value or ""))).split())


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def plain_http_allowed(url: str, *, allow: bool = False) -> bool:
    """Whether ``url`` is plain ``http://`` that may be used: to this machine (a fake, a store on
    the admin's laptop), or anywhere when the admin explicitly allows it (``allow``)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and (allow or is_loopback(parts.hostname))


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")  # "https:", "file:", not "localhost:8080"


def normalise_api_url(url: str, *, api_paths: Iterable[str] = (), allow_plain_http: bool = False) -> tuple[str, list[str]]:
    """An API URL as an admin typed it, made usable: ``(url, notes)``, the notes saying what was
    changed. ``https://`` is added when no scheme is given; a path matching one of ``api_paths``
    (regular expressions of the API's own paths, which the driver adds itself) is removed from the
    end; a trailing ``/`` goes. Blank stays blank.

    :raises ValueError: words saying why the URL cannot be used: a scheme other than http(s), no
        host, a bad port, a user name or password inside it, a query or fragment, spaces, or plain
        HTTP to another machine (unless ``allow_plain_http``).
    """
    text = url.strip()
    if not text:
        return "", []
    shown = re.sub(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#@]*@", r"\1", text)  # never show a user name or password
    if shown != text:
        raise ValueError("the API URL holds a user name or password: give them as the username and password, which are kept encrypted")
    notes = []
    if any(c.isspace() for c in text):
        raise ValueError(f"{shown!r} contains spaces: give the cart's address alone, e.g. https://shop.example.com")
    if "://" not in text:
        if _SCHEME.match(text):
            raise ValueError(f"{shown!r} is not a web address: it must start with https://")
        text = "https://" + text
        notes.append(f"no scheme given: {text} is used")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"{shown!r} is not a web address: it must start with https:// (http:// only for a cart on this machine)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the API URL holds a user name or password: give them as the username and password, which are kept encrypted")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"{shown!r} has a port that is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError(f"{shown!r} names no host: give the cart's address, e.g. https://shop.example.com")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"{shown!r} has a query or fragment (?... or #...): give the cart's address alone")
    path = parts.path.rstrip("/")
    for pattern in api_paths:
        found = re.search(f"(?:{pattern})$", path, re.IGNORECASE)
        if found and found.group(0):
            path = path[: found.start()].rstrip("/")
            notes.append(f"{found.group(0)} is the API's own path, which the driver adds: {scheme}://{parts.netloc}{path} is used")
            break
    if scheme == "http" and not (allow_plain_http or is_loopback(parts.hostname)):
        raise ValueError(
            f"{shown!r} is plain HTTP to another machine: the credentials would cross the network unencrypted; "
            "use the cart's https:// address"
        )
    return f"{scheme}://{parts.netloc}{path}", notes


def download(
    connection: Connection,
    url: str,
    into: IO[bytes],
    *,
    what: str = "the file",
    max_attempts: int = 3,
    backoff: float = 1.0,
    timeout: float | httpx.Timeout = 60.0,
    check: Callable[[IO[bytes]], str | None] | None = None,
) -> None:
    """Stream the file at ``url`` into ``into``, retrying a failed download from the start.

    For result files behind a signed URL (Shopify's bulk JSONL, an export on a CDN): none of the
    API's headers or auth is sent with it, through ``connection.transport`` when set. A failure
    to read it is worth a later retry of the job: after ``max_attempts`` tries (timeouts,
    connection errors and :data:`RETRY_STATUSES` are tried again after ``backoff`` seconds,
    doubled each time; other statuses end at once) it raises
    :class:`~ecom.errors.RetryableError` saying ``Could not download {what}``. ``check`` reads
    the file downloaded (from ``into``'s start) and says what is wrong with it (words) or None:
    a file cut off or not in its format is downloaded again like a failed one.
    """
    start = into.tell()
    with httpx.Client(transport=connection.transport, timeout=timeout) as client:
        for attempt in range(1, max_attempts + 1):
            into.seek(start)
            into.truncate()
            try:
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    for chunk in response.iter_bytes():
                        into.write(chunk)
                into.seek(start)
                fault = check(into) if check else None
                into.seek(0, 2)
                if fault is None:
                    return
                if attempt == max_attempts:
                    raise RetryableError(f"Could not download {what}: {fault} (after {attempt} attempts)")
                log.debug("download of %s is not usable (%s), attempt %d/%d", what, fault, attempt, max_attempts)
            except httpx.HTTPError as exc:
                again = isinstance(exc, httpx.TransportError) or (
                    isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in RETRY_STATUSES
                )
                if not again or attempt == max_attempts:
                    raise RetryableError(f"Could not download {what}: {type(exc).__name__}") from None
                log.debug("download of %s failed (%s), attempt %d/%d", what, type(exc).__name__, attempt, max_attempts)
            default_sleep(backoff * 2 ** (attempt - 1))


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request URL at INFO; query-string auth (WooCommerce) must not leak there."""

    _redact = Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._redact(str(a)) if isinstance(a, (str, httpx.URL)) else a for a in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactHttpxLog())
