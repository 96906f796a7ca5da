"""The HTTP pieces any cart driver may need beside the client: OAuth 1.0a signing, the plain-HTTP
rule, HTML error text and streamed downloads of signed result files."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

import ecom.http
from ecom.errors import RetryableError
from ecom.http import OAuth1, download, html_text, is_loopback, plain_http_allowed, sign, signature_base
from ecom.records import Connection


def test_oauth1_signature_matches_rfc_5849s_worked_example():
    """RFC 5849 §1.2 (HMAC-SHA1, with a token): the same base string and signature."""
    params = [
        ("file", "vacation.jpg"), ("size", "original"), ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"), ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1191242096"), ("oauth_nonce", "kllo9940pd9333jh"), ("oauth_version", "1.0"),
    ]
    base = signature_base("GET", "http://photos.example.net/photos", params)
    assert base.startswith("GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key")
    assert sign(base, "kd94hf93k423kf44", token_secret="pfkkdhi9sl3r4s00", digest="sha1") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="


def signed(auth: OAuth1, url: str, method: str = "GET") -> dict[str, str]:
    request = next(auth.auth_flow(httpx.Request(method, url)))
    return dict(parse_qsl(urlsplit(str(request.url)).query))


def test_oauth1_signs_each_request_afresh_and_keeps_its_parameters():
    auth = OAuth1("ck_key", "cs_secret", clock=lambda: 1_700_000_000)
    url = "http://127.0.0.1:8080/api/orders?per_page=100&after=2025-03-14T09%3A21%3A07"
    first, second = signed(auth, url), signed(auth, url)
    assert first["oauth_timestamp"] == "1700000000" and first["oauth_signature_method"] == "HMAC-SHA256"
    assert first["oauth_consumer_key"] == "ck_key" and "oauth_version" not in first
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["after"] == "2025-03-14T09:21:07" and first["per_page"] == "100"
    params = [(k, v) for k, v in first.items() if k != "oauth_signature"]
    assert first["oauth_signature"] == sign(signature_base("GET", "http://127.0.0.1:8080/api/orders", params), "cs_secret")
    assert first["oauth_signature"] != sign(signature_base("POST", "http://127.0.0.1:8080/api/orders", params), "cs_secret")


def test_oauth1_with_sha1_names_its_method():
    assert signed(OAuth1("k", "s", digest="sha1"), "http://localhost/x")["oauth_signature_method"] == "HMAC-SHA1"


@pytest.mark.parametrize(
    ("url", "allow", "expected"),
    [
        ("http://localhost:8080", False, True),
        ("http://127.0.0.5/shop", False, True),
        ("http://[::1]:8080/", False, True),
        ("http://shop.example.com", False, False),
        ("http://10.0.0.2", False, False),
        ("http://shop.example.com", True, True),
        ("https://localhost", False, False),  # not plain HTTP at all
        ("shop.example.com", True, False),
    ],
)
def test_plain_http_only_to_this_machine_unless_allowed(url, allow, expected):
    assert plain_http_allowed(url, allow=allow) is expected


def test_is_loopback_reads_names_and_addresses():
    assert is_loopback("localhost") and is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("example.com") and not is_loopback(None) and not is_loopback("192.168.1.1")


def test_html_text_turns_an_error_page_into_words():
    page = "<p>There has been a <strong>critical error</strong> on this website.</p>\n<a href='x'>Learn&nbsp;more &amp; more</a>"
    assert html_text(page) == "There has been a critical error on this website. Learn more & more"
    assert html_text(None) == "" and html_text(42) == "42"


class Files:
    """A MockTransport serving a file, failing first as scripted; it records each request."""

    def __init__(self, body: bytes, *failures: int | Exception) -> None:
        self.body, self.failures, self.requests = body, list(failures), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return httpx.Response(failure, text="<html>oops</html>")
        return httpx.Response(200, content=self.body)


@pytest.fixture
def naps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(ecom.http, "default_sleep", waits.append)
    return waits


def connection(handler: Files) -> Connection:
    return Connection(website_name="s", api_url="https://api.example.test", transport=httpx.MockTransport(handler))


def test_download_streams_the_file_without_the_apis_auth(naps):
    files = Files(b'{"id": 1}\n{"id": 2}\n')
    spool = io.BytesIO()
    download(connection(files), "https://storage.example.test/result.jsonl?signature=abc", spool)
    assert spool.getvalue() == b'{"id": 1}\n{"id": 2}\n'
    assert "authorization" not in files.requests[0].headers and naps == []


def test_download_retries_from_the_start_after_a_transient_failure(naps):
    files = Files(b"whole file", 503, httpx.ReadTimeout("slow"))
    spool = io.BytesIO(b"kept|")
    spool.seek(5)
    download(connection(files), "https://storage.example.test/f", spool, backoff=2.0)
    assert spool.getvalue() == b"kept|whole file", "a failed try leaves nothing behind; what was before stays"
    assert len(files.requests) == 3 and naps == [2.0, 4.0]


def test_download_gives_up_as_retryable(naps):
    with pytest.raises(RetryableError, match="Could not download the bulk result: HTTPStatusError"):
        download(connection(Files(b"", 500, 500, 500)), "https://s.example.test/f", io.BytesIO(), what="the bulk result")
    files = Files(b"", 403)
    with pytest.raises(RetryableError, match="Could not download the file"):
        download(connection(files), "https://s.example.test/f", io.BytesIO())
    assert len(files.requests) == 1, "a refused (expired) link is not asked again"


@pytest.mark.parametrize("url", ["https://admin:hunter22@shop.example.com:99999", "admin:hunter22@shop.example.com",
                                 "http://admin:hunter22 x@shop.example.com"])
def test_an_api_url_holding_a_password_is_refused_without_repeating_it(url):
    from ecom.http import normalise_api_url

    with pytest.raises(ValueError, match="holds a user name or password") as caught:
        normalise_api_url(url)
    assert "hunter22" not in str(caught.value)
