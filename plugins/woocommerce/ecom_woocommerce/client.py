"""Reaching one WooCommerce store: its API root, how to authenticate, and its error words.

WooCommerce takes the consumer key and secret over HTTPS as HTTP Basic auth. Over plain HTTP it
requires OAuth 1.0a "one-legged" signing: the ``oauth_*`` parameters in the query string, signed
with HMAC-SHA256 under the key ``consumer_secret&``, a timestamp it accepts within 15 minutes and a
nonce it refuses to see twice (WooCommerce REST API docs, "Authentication"); the core's
:class:`ecom.http.OAuth1` does exactly that. Plain HTTP is used only for a store on this machine or
when the admin allows it (the ``allow_http`` option, :func:`ecom.http.plain_http_allowed`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from ecom.errors import ConfigError
from ecom.http import CartHTTP, OAuth1, plain_http_allowed
from ecom.records import Connection

from ecom_woocommerce.translate import error_words

API_PATH = "/wp-json/wc/v3"


def site_url(api_url: str) -> str:
    """The store's address as the admin typed it, without a trailing ``/wp-json/wc/v3``."""
    return re.sub(r"/wp-json(/wc/v3)?/?$", "", api_url.strip()).rstrip("/")


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
    if plain_http_allowed(site.geturl(), allow=bool(connection.options.get("allow_http"))):
        return "OAuth 1.0a (HMAC-SHA256) over HTTP", OAuth1(key, secret)
    if site.scheme == "http":
        raise ConfigError(
            f"{connection.api_url} is plain HTTP: use the store's https:// address, or set the allow_http "
            "option to sign requests with OAuth 1.0a over an unencrypted connection."
        )
    raise ConfigError(f"The API URL {connection.api_url!r} is not a web address (https://...).")


def client(connection: Connection) -> CartHTTP:
    """The HTTP helper for this store's ``wc/v3`` API."""
    _, auth = auth_for(connection)
    params = auth if isinstance(auth, dict) else None
    return CartHTTP(
        connection, base_url=site_url(connection.api_url) + API_PATH, auth=None if params else auth, params=params,
        error_message=lambda response: error_words(response.json()), secrets=[connection.username], allow_plain_http=isinstance(auth, OAuth1),
    )
