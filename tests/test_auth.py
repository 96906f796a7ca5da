"""The authentication styles a driver hands to the HTTP helper (ecom.auth.credentials): each one
reaches the cart as the cart expects and its secret never shows."""

from __future__ import annotations

import base64

import httpx
import pytest
from pydantic import SecretStr

from ecom.auth import OAuth1, credentials
from ecom.errors import AuthError
from ecom.http import CartHTTP
from ecom.records import Connection

SECRET = "s3cret-value"


def _sent(style: str, url: str = "https://cart.example", **kwargs: str) -> tuple[httpx.Request, str]:
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(401, json={"message": "no"}))
    connection = Connection(website_name="C", api_url=url, username="u", password=SecretStr(SECRET), transport=transport)
    how = credentials(style, secret=SECRET, **kwargs)
    with CartHTTP(connection, **how.options()) as http, pytest.raises(AuthError) as caught:
        http.get("/orders", params={"limit": 1})
    assert SECRET not in str(caught.value)
    return seen[0], how.description


def test_basic_and_bearer_go_in_the_authorization_header():
    request, said = _sent("basic", user="ck_1", url="https://cart.example")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"ck_1:{SECRET}".encode()).decode()
    assert said == "HTTP Basic"
    request, said = _sent("bearer")
    assert request.headers["Authorization"] == f"Bearer {SECRET}" and said == "bearer token"


def test_a_named_header_or_query_parameter_carries_the_key():
    request, said = _sent("header", name="X-Api-Key")
    assert request.headers["X-Api-Key"] == SECRET and "Authorization" not in request.headers
    assert said == "the X-Api-Key header"
    request, said = _sent("query", name="consumer_secret", user_name="consumer_key", user="ck_1")
    assert request.url.params["consumer_secret"] == SECRET and request.url.params["consumer_key"] == "ck_1"
    assert request.url.params["limit"] == "1" and said == "keys in the query string"
    request, _ = _sent("none")
    assert "Authorization" not in request.headers and SECRET not in str(request.url)


def test_oauth1_signs_and_alone_may_use_plain_http():
    how = credentials("oauth1", user="ck_1", secret=SECRET, url="http://shop.example.com")
    assert isinstance(how.auth, OAuth1) and how.options()["allow_plain_http"] is True
    assert how.description == "OAuth 1.0a (HMAC-SHA256) over HTTP"
    request, _ = _sent("oauth1", user="ck_1", url="http://shop.example.com")
    assert request.url.params["oauth_consumer_key"] == "ck_1" and "oauth_signature" in request.url.params
    assert SECRET not in str(request.url)
    for style in ("basic", "bearer", "header", "query", "none"):
        assert credentials(style, secret=SECRET, name="k").allow_plain_http is False


def test_the_description_says_whether_the_line_is_encrypted():
    assert credentials("basic", secret=SECRET, url="https://shop.example.com/api").description == "HTTP Basic over HTTPS"


def test_a_style_that_does_not_exist_or_lacks_its_name_is_refused():
    with pytest.raises(ValueError, match="'digest' is not an authentication style; they are basic, bearer"):
        credentials("digest", secret=SECRET)
    with pytest.raises(ValueError, match="header style needs the name"):
        credentials("header", secret=SECRET)
