"""Reaching a store: the OAuth 1.0a signature, the choice of authentication, the API root."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from ecom.errors import ConfigError
from ecom.records import Connection
from pydantic import SecretStr

from ecom.http import OAuth1, sign, signature_base
from ecom_woocommerce.client import auth_for, client, site_url


def test_signature_matches_rfc_5849s_worked_example():
    """RFC 5849 §1.2 (HMAC-SHA1, with a token): the same base string and signature."""
    params = [
        ("file", "vacation.jpg"), ("size", "original"), ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"), ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1191242096"), ("oauth_nonce", "kllo9940pd9333jh"), ("oauth_version", "1.0"),
    ]
    base = signature_base("GET", "http://photos.example.net/photos", params)
    assert base == (
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03"
        "%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096"
        "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
    )
    assert sign(base, "kd94hf93k423kf44", token_secret="pfkkdhi9sl3r4s00", digest="sha1") == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="


def signed(request: httpx.Request, auth: OAuth1) -> dict[str, str]:
    flow = auth.auth_flow(request)
    return dict(parse_qsl(urlsplit(str(next(flow).url)).query))


def test_oauth1_signs_in_the_query_string_with_a_fresh_nonce():
    auth = OAuth1("ck_key", "cs_secret", clock=lambda: 1_700_000_000)
    url = "http://127.0.0.1:8080/wp-json/wc/v3/orders?per_page=100&modified_after=2025-03-14T09%3A21%3A07"
    first, second = signed(httpx.Request("GET", url), auth), signed(httpx.Request("GET", url), auth)
    assert first["oauth_timestamp"] == "1700000000" and first["oauth_signature_method"] == "HMAC-SHA256"
    assert "oauth_version" not in first, "WooCommerce's docs: omit oauth_version"
    assert first["oauth_nonce"] != second["oauth_nonce"] and len(first["oauth_nonce"]) == 32
    params = [(k, v) for k, v in first.items() if k != "oauth_signature"]
    base = signature_base("GET", "http://127.0.0.1:8080/wp-json/wc/v3/orders", params)
    assert first["oauth_signature"] == sign(base, "cs_secret")
    assert first["modified_after"] == "2025-03-14T09:21:07", "the request's own parameters are kept"


def connection(url: str, **options: object) -> Connection:
    return Connection(website_name="Shop", api_url=url, username="ck_k", password=SecretStr("cs_s"), options=dict(options))


@pytest.mark.parametrize(
    ("url", "options", "expected"),
    [
        ("https://shop.example.com", {}, "HTTP Basic over HTTPS"),
        ("http://localhost:8080", {}, "OAuth 1.0a (HMAC-SHA256) over HTTP"),
        ("http://[::1]:8080/", {}, "OAuth 1.0a (HMAC-SHA256) over HTTP"),
        ("http://shop.example.com", {"allow_http": True}, "OAuth 1.0a (HMAC-SHA256) over HTTP"),
    ],
)
def test_authentication_follows_the_scheme(url, options, expected):
    assert auth_for(connection(url, **options))[0] == expected


def test_plain_http_to_another_machine_is_refused_unless_allowed():
    with pytest.raises(ConfigError, match="plain HTTP.*allow_http"):
        auth_for(connection("http://shop.example.com"))
    with pytest.raises(ConfigError, match="not a web address"):
        auth_for(connection("shop.example.com"))


def test_missing_credentials_say_which_field_holds_what():
    empty = Connection(website_name="Shop", api_url="https://shop.example.com")
    with pytest.raises(ConfigError, match=r"consumer key \(ck_...\) as Username.*consumer secret \(cs_...\) as Password"):
        auth_for(empty)


def test_api_root_is_built_from_the_site_url():
    assert site_url("https://shop.example.com/wp-json/wc/v3/ ") == "https://shop.example.com"
    assert site_url("https://example.com/shop/") == "https://example.com/shop"
    with client(connection("https://example.com/shop/wp-json/")) as http:
        assert str(http.client.base_url) == "https://example.com/shop/wp-json/wc/v3/"


def test_basic_auth_header_carries_key_and_secret():
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200, json=[]))
    conn = Connection(website_name="S", api_url="https://s.example", username="ck_k", password=SecretStr("cs_s"), transport=transport)
    with client(conn) as http:
        http.get("/orders")
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"ck_k:cs_s").decode()
    assert "consumer_secret" not in str(seen[0].url)
