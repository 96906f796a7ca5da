"""Reaching one WooCommerce store: its API root, how to authenticate, and its error words.

WooCommerce takes the consumer key and secret over HTTPS as HTTP Basic auth. Over plain HTTP it
requires OAuth 1.0a "one-legged" signing: the ``oauth_*`` parameters in the query string, signed
with HMAC-SHA256 under the key ``consumer_secret&``, a timestamp it accepts within 15 minutes and a
nonce it refuses to see twice (WooCommerce REST API docs, "Authentication"). Plain HTTP is used
only for a store on this machine or when the admin allows it (the ``allow_http`` option).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import httpx
from ecom.errors import ConfigError
from ecom.http import CartHTTP, default_error_message
from ecom.records import Connection

from ecom_woocommerce.translate import error_words

API_PATH = "/wp-json/wc/v3"


def percent(text: str) -> str:
    """RFC 3986 percent-encoding, as OAuth 1.0a signs (only ``A-Z a-z 0-9 - . _ ~`` stay)."""
    return quote(text, safe="")


def signature_base(method: str, url: str, params: list[tuple[str, str]]) -> str:
    """The OAuth 1.0a signature base string: method, URL without query, sorted parameters."""
    pairs = sorted((percent(k), percent(v)) for k, v in params)
    return "&".join((method.upper(), percent(url), percent("&".join(f"{k}={v}" for k, v in pairs))))


def sign(base: str, secret: str, *, token_secret: str = "", digest: str = "sha256") -> str:
    """The base64 HMAC of a signature base string under ``secret&token_secret``."""
    key = f"{percent(secret)}&{percent(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), getattr(hashlib, digest)).digest()).decode()


class OAuth1(httpx.Auth):
    """Signs each request (each retry too) with a fresh timestamp and nonce, in the query string."""

    def __init__(self, key: str, secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self.key, self._secret, self._clock = key, secret, clock

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        oauth = {
            "oauth_consumer_key": self.key,
            "oauth_nonce": secrets.token_hex(16),
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_timestamp": str(int(self._clock())),
        }
        url = request.url.copy_with(query=None, fragment=None)
        base = signature_base(request.method, str(url), [*request.url.params.multi_items(), *oauth.items()])
        oauth["oauth_signature"] = sign(base, self._secret)
        request.url = request.url.copy_merge_params(oauth)
        yield request


def site_url(api_url: str) -> str:
    """The store's address as the admin typed it, without a trailing ``/wp-json/wc/v3``."""
    return re.sub(r"/wp-json(/wc/v3)?/?$", "", api_url.strip()).rstrip("/")


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def auth_for(connection: Connection) -> tuple[str, httpx.Auth | tuple[str, str] | dict[str, str]]:
    """How to authenticate to this store: (description, httpx auth or query parameters).
    Refuses unusable settings. Query-string keys (the ``query_string_auth`` option) are
    WooCommerce's documented way round servers that drop the Authorization header."""
    site = urlsplit(site_url(connection.api_url))
    key, secret = connection.username.strip(), connection.password.get_secret_value().strip()
    if not key or not secret:
        raise ConfigError("WooCommerce needs the consumer key (ck_...) as Username and the consumer secret (cs_...) as Password.")
    if site.scheme == "https" and connection.options.get("query_string_auth"):
        return "keys in the query string over HTTPS", {"consumer_key": key, "consumer_secret": secret}
    if site.scheme == "https":
        return "HTTP Basic over HTTPS", (key, secret)
    if site.scheme == "http" and (is_loopback(site.hostname) or connection.options.get("allow_http")):
        return "OAuth 1.0a (HMAC-SHA256) over HTTP", OAuth1(key, secret)
    if site.scheme == "http":
        raise ConfigError(
            f"{connection.api_url} is plain HTTP: use the store's https:// address, or set the allow_http "
            "option to sign requests with OAuth 1.0a over an unencrypted connection."
        )
    raise ConfigError(f"The API URL {connection.api_url!r} is not a web address (https://...).")


def error_message(response: httpx.Response) -> str:
    """WooCommerce's words from an error response (for :class:`~ecom.http.CartHTTP`)."""
    try:
        words = error_words(response.json())
    except ValueError:
        words = ""
    return words or default_error_message(response)


def client(connection: Connection) -> CartHTTP:
    """The HTTP helper for this store's ``wc/v3`` API."""
    _, auth = auth_for(connection)
    params = auth if isinstance(auth, dict) else None
    return CartHTTP(
        connection, base_url=site_url(connection.api_url) + API_PATH, auth=None if params else auth, params=params,
        error_message=error_message, secrets=[connection.username],
    )
