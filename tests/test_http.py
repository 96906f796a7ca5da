"""The HTTP helper drivers share: retries, Retry-After, backoff, error mapping, pacing, redaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

import ecom.http
from ecom.errors import AuthError, ConfigError, FatalError, RejectedError, RetryableError
from ecom.http import CartHTTP, RateLimitPacer, cursors, default_error_message, page_numbers, retry_after
from ecom.records import Connection

SECRET = "s3cr3t-token-value"
BASE = "https://cart.example.test/api"


class Script:
    """A MockTransport handler answering from a list of responses or exceptions, in order."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def ok(json: object = None, **kwargs: object) -> httpx.Response:
    return httpx.Response(200, json={"ok": True} if json is None else json, **kwargs)


def make(script: Script, *, password: str = SECRET, **kwargs: object) -> tuple[CartHTTP, list[float]]:
    waits: list[float] = []
    connection = Connection(
        website_name="Shop", api_url=BASE, password=SecretStr(password), transport=httpx.MockTransport(script)
    )
    kwargs.setdefault("sleep", waits.append)
    kwargs.setdefault("random", lambda: 1.0)
    return CartHTTP(connection, **kwargs), waits


# -- the basics ---------------------------------------------------------------------------------


def test_request_uses_base_url_default_headers_and_drops_none_params() -> None:
    script = Script(ok())
    http, waits = make(script, headers={"X-Shop": "one"})
    response = http.get("/orders", params={"limit": 5, "since": None})
    assert response.json() == {"ok": True}
    sent = script.requests[0]
    assert str(sent.url) == f"{BASE}/orders?limit=5"
    assert sent.headers["X-Shop"] == "one"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("ecom/")
    assert waits == []


def test_connection_transport_is_used() -> None:
    script = Script(ok())
    http, _ = make(script)
    http.post("/things", json={"a": 1})
    assert script.requests[0].method == "POST"
    assert script.requests[0].content == b'{"a":1}'


def test_a_url_without_scheme_is_a_config_error() -> None:
    connection = Connection(website_name="Shop", api_url="cart.example.test")
    with CartHTTP(connection, sleep=lambda s: None) as http, pytest.raises(ConfigError, match="not usable"):
        http.get("/orders")


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_until_success(status: int) -> None:
    script = Script(httpx.Response(status), httpx.Response(status), ok())
    http, waits = make(script)
    assert http.get("/orders").status_code == 200
    assert len(script.requests) == 3
    assert len(waits) == 2


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("read timed out"), httpx.ConnectTimeout("connect timed out"), httpx.ConnectError("refused")],
)
def test_timeouts_and_connection_errors_are_retried(error: Exception) -> None:
    script = Script(error, ok())
    http, waits = make(script)
    assert http.get("/orders").status_code == 200
    assert len(script.requests) == 2 and len(waits) == 1


def test_retry_after_seconds_is_honoured() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), ok())
    http, waits = make(script)
    http.get("/orders")
    assert waits == [7.0]


def test_retry_after_http_date_is_honoured_against_the_clock() -> None:
    now = datetime(2025, 3, 14, 10, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2025, 3, 14, 10, 0, 12, tzinfo=UTC), usegmt=True)
    script = Script(httpx.Response(503, headers={"Retry-After": later}), ok())
    http, waits = make(script, clock=now.timestamp)
    http.get("/orders")
    assert waits == [12.0]


def test_retry_after_in_the_past_or_unreadable() -> None:
    now = datetime(2025, 3, 14, 10, 0, 0, tzinfo=UTC).timestamp()
    past = httpx.Response(429, headers={"Retry-After": "Fri, 14 Mar 2025 09:00:00 GMT"})
    assert retry_after(past, now) == 0.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"}), now) is None
    assert retry_after(httpx.Response(429), now) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "1.5"}), now) == 1.5


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "soon"}), ok())
    http, waits = make(script, backoff=2.0)
    http.get("/orders")
    assert waits == [2.0]


def test_retry_after_longer_than_max_wait_gives_up_at_once() -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "3600"}, json={"message": "Slow down"}), ok())
    http, waits = make(script, max_wait=60)
    with pytest.raises(RetryableError) as info:
        http.get("/orders")
    assert len(script.requests) == 1 and waits == []
    assert "3600" in str(info.value) and "Slow down" in str(info.value)
    assert info.value.status == 429


def test_backoff_is_exponential_bounded_and_jittered() -> None:
    def waits_with(jitter: float) -> list[float]:
        script = Script(httpx.Response(500))
        http, waits = make(script, max_attempts=7, backoff=1.0, max_backoff=10.0, random=lambda: jitter)
        with pytest.raises(RetryableError):
            http.get("/orders")
        assert len(script.requests) == 7
        return waits

    assert waits_with(1.0) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert waits_with(0.0) == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    middle = waits_with(0.5)
    assert all(low < w < high for w, low, high in zip(middle, waits_with(0.0), waits_with(1.0), strict=True))


def test_default_jitter_varies() -> None:
    script = Script(httpx.Response(500))
    http, waits = make(script, max_attempts=12, backoff=1.0, max_backoff=1.0, random=ecom.http._random.random)
    with pytest.raises(RetryableError):
        http.get("/orders")
    assert all(0.5 <= w <= 1.0 for w in waits)
    assert len(set(waits)) > 1


def test_giving_up_names_method_path_and_the_carts_words() -> None:
    script = Script(httpx.Response(503, json={"error": {"message": "Maintenance until noon"}}))
    http, waits = make(script, max_attempts=3)
    with pytest.raises(RetryableError) as info:
        http.get("/orders", params={"page": 2})
    message = str(info.value)
    assert "GET /orders" in message
    assert "3 attempts" in message
    assert "HTTP 503" in message and "Maintenance until noon" in message
    assert info.value.status == 503
    assert len(script.requests) == 3 and len(waits) == 2


def test_persistent_timeout_gives_up_with_retryable_error() -> None:
    script = Script(httpx.ReadTimeout("read timed out"))
    http, _ = make(script, max_attempts=2)
    with pytest.raises(RetryableError, match=r"GET /orders on [a-z0-9.-]+ failed after 2 attempts: timed out waiting for the cart.s answer \(ReadTimeout"):
        http.get("/orders")


def test_non_idempotent_request_is_not_retried_when_the_cart_may_have_acted() -> None:
    for answer in (httpx.Response(500), httpx.ReadTimeout("read timed out")):
        script = Script(answer, ok())
        http, _ = make(script)
        with pytest.raises(RetryableError, match="1 attempt"):
            http.post("/orders", json={}, idempotent=False)
        assert len(script.requests) == 1


def test_non_idempotent_request_is_retried_when_the_cart_cannot_have_acted() -> None:
    for answer in (httpx.Response(429), httpx.ConnectError("refused")):
        script = Script(answer, ok())
        http, _ = make(script)
        assert http.post("/orders", json={}, idempotent=False).status_code == 200
        assert len(script.requests) == 2


def test_default_sleep_is_patchable(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(ecom.http, "default_sleep", slept.append)
    script = Script(httpx.Response(429, headers={"Retry-After": "3"}), ok())
    http, _ = make(script, sleep=None)
    http.get("/orders")
    assert slept == [3.0]


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_raise_auth_error_with_the_carts_words(status: int) -> None:
    script = Script(httpx.Response(status, json={"errors": "[API] Invalid API key or access token"}))
    http, waits = make(script)
    with pytest.raises(AuthError) as info:
        http.get("/shop.json")
    assert "[API] Invalid API key or access token" in str(info.value)
    assert f"HTTP {status}" in str(info.value)
    assert info.value.status == status
    assert len(script.requests) == 1 and waits == []


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_client_errors_raise_rejected_error(status: int) -> None:
    script = Script(httpx.Response(status, json={"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page"}))
    http, _ = make(script)
    with pytest.raises(RejectedError) as info:
        http.get("/orders")
    assert str(info.value) == f"Invalid parameter(s): per_page (HTTP {status} on GET /orders)"
    assert info.value.status == status
    assert len(script.requests) == 1


def test_drivers_error_message_callable_is_used() -> None:
    script = Script(httpx.Response(422, json={"userErrors": [{"message": "SKU taken"}]}))
    http, _ = make(script, error_message=lambda r: r.json()["userErrors"][0]["message"])
    with pytest.raises(RejectedError, match="^SKU taken"):
        http.post("/products")


def test_a_failing_error_message_callable_falls_back_to_the_default() -> None:
    script = Script(httpx.Response(422, json={"message": "Bad thing"}))
    http, _ = make(script, error_message=lambda r: r.json()["nope"])
    with pytest.raises(RejectedError, match="^Bad thing"):
        http.post("/products")


def test_an_error_message_callable_that_finds_no_words_falls_back_to_the_default() -> None:
    script = Script(httpx.Response(422, json={"detail": "SKU must be unique"}))
    http, _ = make(script, error_message=lambda r: "")  # not the cart's usual shape: nothing found
    with pytest.raises(RejectedError, match="^SKU must be unique"):
        http.post("/products")


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(400, json={"message": "Bad limit"}), "Bad limit"),
        (httpx.Response(400, json={"error": "invalid_token"}), "invalid_token"),
        (httpx.Response(400, json={"error": {"code": "x", "message": "Nested words"}}), "Nested words"),
        (httpx.Response(422, json={"errors": {"sku": ["has already been taken"]}}), "sku: has already been taken"),
        (httpx.Response(400, json=[{"message": "one"}, {"message": "two"}]), "one; two"),
        (httpx.Response(400, text="plain words"), "plain words"),
        (httpx.Response(502, text="<html><body>Bad Gateway</body></html>"), "Bad Gateway"),
        (httpx.Response(418, json={"n": 1}), '{"n":1}'),
        (httpx.Response(418), "I'm a teapot"),
        (httpx.Response(400, text="x" * 900), "x" * 497 + "..."),
    ],
)
def test_default_error_message(response: httpx.Response, words: str) -> None:
    assert default_error_message(response) == words


# -- pacing -------------------------------------------------------------------------------------


class RecordingPacer:
    def __init__(self, waits: list[float], hints: list[float | None]) -> None:
        self.waits, self.hints = waits, hints
        self.seen: list[int] = []

    def wait(self) -> float:
        return self.waits.pop(0) if self.waits else 0.0

    def observe(self, response: httpx.Response) -> float | None:
        self.seen.append(response.status_code)
        return self.hints.pop(0) if self.hints else None


def test_pacer_wait_is_honoured_before_each_request_and_sees_every_response() -> None:
    script = Script(httpx.Response(500), ok())
    pacer = RecordingPacer(waits=[0.25, 0.75], hints=[])
    http, waits = make(script, pacer=pacer, backoff=1.0)
    http.get("/orders")
    assert waits == [0.25, 1.0, 0.75]  # pace, backoff after the 500, pace
    assert pacer.seen == [500, 200]


def test_pacer_can_ask_to_retry_a_200_response() -> None:
    throttled = httpx.Response(200, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]})
    script = Script(throttled, ok({"data": {}}))
    pacer = RecordingPacer(waits=[], hints=[2.5, None])
    http, waits = make(script, pacer=pacer)
    assert http.post("/graphql.json", json={"query": "{ shop { name } }"}).json() == {"data": {}}
    assert waits == [2.5]
    assert len(script.requests) == 2


def test_a_pacer_that_keeps_throttling_gives_up_with_the_carts_words() -> None:
    throttled = httpx.Response(200, json={"errors": [{"message": "Throttled"}]})
    script = Script(throttled)
    pacer = RecordingPacer(waits=[], hints=[1.0] * 10)
    http, waits = make(script, pacer=pacer, max_attempts=2, max_throttled=3)
    with pytest.raises(RetryableError, match="asked 4 times in a row to slow down, last HTTP 200: Throttled"):
        http.post("/graphql.json", json={})
    assert waits == [1.0, 1.0, 1.0]  # throttles use none of the two attempts


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_rate_limit_pacer_waits_for_the_reset_once_the_budget_is_spent() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock, margin=0.5)
    headers = [{"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "30"}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}]
    script = Script(*(ok(headers=h) for h in headers), ok())
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.sleep(seconds)

    http, _ = make(script, pacer=pacer, sleep=sleep)
    http.get("/a")
    http.get("/b")
    assert slept == []
    clock.now += 10
    http.get("/c")
    assert slept == [20.5]
    assert pacer.wait() == 0.0


def test_rate_limit_pacer_ignores_missing_or_bad_headers() -> None:
    pacer = RateLimitPacer(clock=FakeClock())
    assert pacer.observe(ok()) is None
    assert pacer.observe(ok(headers={"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "1"})) is None
    assert pacer.wait() == 0.0


# -- secrets ------------------------------------------------------------------------------------


def test_secrets_never_reach_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"message": f"token {SECRET} is invalid; consumer_secret=cs_abcdef123 rejected"}
    script = Script(httpx.Response(503), httpx.ReadTimeout(f"timeout talking with {SECRET}"), httpx.Response(401, json=echo))
    http, _ = make(
        script,
        headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": "hdr-key-0987"},
        params={"consumer_key": "ck_live_4242", "consumer_secret": "cs_abcdef123"},
    )
    with pytest.raises(AuthError) as info:
        http.get("/orders", params={"token": "tok-in-url-77", "page": 1})
    output = str(info.value) + caplog.text
    assert "GET /orders" in caplog.text and "page=1" in caplog.text  # the log is there, only redacted
    for secret in (SECRET, "cs_abcdef123", "ck_live_4242", "hdr-key-0987", "tok-in-url-77"):
        assert secret not in output
    assert "***" in str(info.value)


def test_basic_auth_and_url_encoded_secrets_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    password = "p@ss word/+="
    script = Script(httpx.Response(400, json={"message": "seen p%40ss%20word%2F%2B%3D and cGw6cEBzcyB3b3JkLys9"}))
    http, _ = make(script, password="unrelated", auth=("pl", password))
    with pytest.raises(RejectedError) as info:
        http.get("/orders")
    assert "p%40ss" not in str(info.value) and "cGw6cEBzcyB3b3JkLys9" not in str(info.value)


def test_httpx_own_request_log_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    script = Script(ok())
    http, _ = make(script)
    http.get("/orders", params={"consumer_secret": "cs_topsecret_1", "oauth_signature": "sig-value-2", "page": 3})
    assert "HTTP Request" in caplog.text and "page=3" in caplog.text
    assert "cs_topsecret_1" not in caplog.text and "sig-value-2" not in caplog.text


def test_short_values_are_not_treated_as_secrets() -> None:
    assert ecom.http.Redactor(["ab"])("about a cab") == "about a cab"


# -- pagination ---------------------------------------------------------------------------------


def test_page_number_pagination_follows_the_total_pages_header() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(200, json=[page], headers={"X-WP-TotalPages": "3"})

    script = Script(answer)
    http, _ = make(script)
    pages = [r.json() for r in http.paginate("/orders", params={"page": 1, "per_page": 100}, next_params=page_numbers())]
    assert pages == [[1], [2], [3]]
    assert all(r.url.params["per_page"] == "100" for r in script.requests)


def test_page_number_pagination_without_header_stops_on_an_empty_page() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json=[page] if page < 3 else [])

    http, _ = make(Script(answer))
    assert [r.json() for r in http.paginate("/orders", params={}, next_params=page_numbers())] == [[1], [2], []]


def test_cursor_pagination() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "")
        following = {"": "c2", "c2": "c3", "c3": None}[cursor]
        return httpx.Response(200, json={"items": [cursor], "next": following})

    http, _ = make(Script(answer))
    responses: Iterator[httpx.Response] = http.paginate(
        "/orders", params={"limit": 2}, next_params=cursors(lambda r: r.json()["next"])
    )
    assert [r.json()["items"] for r in responses] == [[""], ["c2"], ["c3"]]


# -- answers that are not what the API sends (issue 17.5, 17.6) ---------------------------------

CUT_OFF = httpx.Response(200, content=b'{"orders": [{"id": 1, "number": "10', headers={"Content-Type": "application/json"})
HTML_PAGE = httpx.Response(
    200, content=b"<!DOCTYPE html><html><head><title>Shop &amp; Co - Home</title></head><body>Hi</body></html>",
    headers={"Content-Type": "text/html; charset=UTF-8"},
)
EMPTY = httpx.Response(200, content=b"", headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("bad", [CUT_OFF, HTML_PAGE, EMPTY], ids=["cut-off", "html", "empty"])
def test_a_success_whose_body_is_not_json_is_retried_like_a_5xx(bad: httpx.Response) -> None:
    script = Script(bad, bad, ok({"orders": []}))
    http, waits = make(script, backoff=1.0)
    assert http.get("/orders").json() == {"orders": []}
    assert len(script.requests) == 3
    assert waits == [1.0, 2.0]  # the backoff of a 5xx


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (CUT_OFF, rf"HTTP 200 with an answer that is not JSON, or cut off \({len(CUT_OFF.content)} bytes: Unterminated string"),
        (HTML_PAGE, r"HTTP 200 with an HTML page \('Shop & Co - Home'\) where the API sends JSON"),
        (EMPTY, r"HTTP 200 with an empty answer where the API sends JSON"),
    ],
    ids=["cut-off", "html", "empty"],
)
def test_after_the_last_try_a_bad_body_is_an_error_naming_the_request_and_what_came(bad: httpx.Response, words: str) -> None:
    http, _ = make(Script(bad), max_attempts=3)
    with pytest.raises(RetryableError) as caught:
        http.get("/orders", params={"page": 3, "per_page": 100}, label="orders, page 3")
    message = str(caught.value)
    assert message.startswith("GET /orders?page=3&per_page=100 (orders, page 3) on cart.example.test failed after 3 attempts: ")
    assert re.search(words, message), message
    assert "could not reach" not in message


def test_the_expected_json_shape_is_checked_and_none_takes_any_body() -> None:
    http, _ = make(Script(ok([1, 2]), ok([1, 2]), ok({"a": 1})))
    assert http.get("/thing", expect=dict).json() == {"a": 1}  # two lists refused, then the object
    http, _ = make(Script(httpx.Response(200, content=b"PK\x03\x04 a zip file")))
    assert http.get("/export.zip", expect=None).content.startswith(b"PK")
    http, _ = make(Script(httpx.Response(204)))
    assert http.delete("/orders/1").status_code == 204


def test_a_bad_body_to_a_request_that_must_not_be_repeated_is_not_sent_again() -> None:
    script = Script(CUT_OFF, ok())
    http, waits = make(script)
    with pytest.raises(RetryableError, match="failed after 1 attempt: HTTP 200 with an answer that is not JSON.*may have acted on it"):
        http.post("/orders", json={"number": "1001"}, idempotent=False)
    assert len(script.requests) == 1 and waits == []


def test_rate_limit_answers_use_no_attempt() -> None:
    """cut-off, cut-off, THROTTLED, cut-off, cut-off, then the answer: five attempts are enough."""
    throttled = httpx.Response(200, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]})
    script = Script(CUT_OFF, CUT_OFF, throttled, CUT_OFF, CUT_OFF, ok({"data": {}}))
    pacer = RecordingPacer(waits=[], hints=[None, None, 3.0, None, None, None])
    http, waits = make(script, pacer=pacer, max_attempts=5, backoff=1.0)
    assert http.post("/graphql.json", json={"query": "{ shop { name } }"}).json() == {"data": {}}
    assert waits == [1.0, 2.0, 3.0, 4.0, 8.0]  # backoff, backoff, the pacer's wait, backoff on from attempt 3


def test_a_429_uses_no_attempt_either() -> None:
    limited = httpx.Response(429, headers={"Retry-After": "1"}, json={"errors": "Exceeded 2 calls per second"})
    script = Script(httpx.Response(500), limited, limited, httpx.Response(500), ok())
    http, _ = make(script, max_attempts=3)
    assert http.get("/orders").status_code == 200


def test_the_last_error_says_the_cart_answered_when_it_did() -> None:
    script = Script(httpx.RemoteProtocolError("peer closed connection without sending complete message body"), CUT_OFF)
    http, _ = make(script, max_attempts=4)
    with pytest.raises(RetryableError) as caught:
        http.get("/orders")
    message = str(caught.value)
    assert "failed after 4 attempts: HTTP 200 with an answer that is not JSON" in message
    assert "before that: the connection broke before the answer was complete (RemoteProtocolError" in message
    assert "could not reach" not in message


def test_a_drivers_transient_fault_in_a_success_is_retried() -> None:
    internal = httpx.Response(200, json={"errors": [{"message": "Internal error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
    script = Script(internal, ok({"data": {"shop": {}}}))

    def transient(response: httpx.Response, body: object) -> str | None:
        codes = {e["extensions"]["code"] for e in body.get("errors", [])} if isinstance(body, dict) else set()
        return "INTERNAL_SERVER_ERROR: Internal error" if "INTERNAL_SERVER_ERROR" in codes else None

    http, waits = make(script, transient_fault=transient)
    assert http.post("/graphql.json", json={}).json() == {"data": {"shop": {}}}
    assert len(waits) == 1
    http, _ = make(Script(internal), transient_fault=transient, max_attempts=2)
    with pytest.raises(RetryableError, match="failed after 2 attempts: HTTP 200 with INTERNAL_SERVER_ERROR: Internal error"):
        http.post("/graphql.json", json={})


# -- where requests may go (issue 18.1, 18.2) ----------------------------------------------------


def test_a_redirect_within_the_api_is_followed_with_its_credentials() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/old"):
            return httpx.Response(307, headers={"Location": f"{BASE}/new"})
        return ok({"here": request.headers.get("X-Token")})

    http, _ = make(Script(answer), headers={"X-Token": SECRET})
    assert http.get("/old").json() == {"here": SECRET}


@pytest.mark.parametrize("target", ["https://elsewhere.example.test/api/orders", "http://cart.example.test/api/orders",
                                    "https://cart.example.test:8443/api/orders"])
def test_a_redirect_to_another_origin_is_not_followed(target: str) -> None:
    script = Script(httpx.Response(307, headers={"Location": target}), ok())
    http, _ = make(script, headers={"X-Token": SECRET})
    with pytest.raises(FatalError, match="redirected the request to .*another address; ecom does not follow"):
        http.get("/orders")
    assert len(script.requests) == 1  # nothing was sent to the other origin


@pytest.mark.parametrize(
    ("url", "allow", "error"),
    [
        ("http://cart.example.test/api", False, "plain HTTP to another machine"),
        ("file:///etc/passwd", False, "is not a web address"),
        ("ftp://cart.example.test/api", False, "is not a web address"),
        ("http://127.0.0.1:8080/api", False, None),
        ("http://localhost:8080/api", False, None),
        ("http://cart.example.test/api", True, None),
    ],
)
def test_every_request_checks_the_scheme_and_plain_http(url: str, allow: bool, error: str | None) -> None:
    script = Script(ok())
    connection = Connection(website_name="Shop", api_url=url, password=SecretStr(SECRET), transport=httpx.MockTransport(script))
    with CartHTTP(connection, allow_plain_http=allow, sleep=lambda s: None) as http:
        if error is None:
            assert http.get("/orders").status_code == 200
        else:
            with pytest.raises(ConfigError, match=error):
                http.get("/orders")
            assert script.requests == []
