"""Reaching one WooCommerce store: its API root, how to authenticate, and its error words.

WooCommerce takes the consumer key and secret over HTTPS as HTTP Basic auth. Over plain HTTP it
requires OAuth 1.0a "one-legged" signing: the ``oauth_*`` parameters in the query string, signed
with HMAC-SHA256 under the key ``consumer_secret&``, a timestamp it accepts within 15 minutes and a
nonce it refuses to see twice (WooCommerce REST API docs, "Authentication"); the core's
:class:`ecom.auth.OAuth1` does exactly that. Plain HTTP is used only for a store on this machine or
when the admin allows it (the ``allow_http`` option, :func:`ecom.http.plain_http_allowed`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ecom.auth import Credentials, credentials
from ecom.errors import ConfigError
from ecom.http import CartHTTP, plain_http_allowed
from ecom.records import Connection

from ecom_woocommerce.translate import error_words

API_PATH = "/wp-json/wc/v3"


def site_url(api_url: str) -> str:
    """The store's address as the admin typed it, without a trailing ``/wp-json/wc/v3``."""
    return re.sub(r"/wp-json(/wc/v3)?/?$", "", api_url.strip()).rstrip("/")


def auth_for(connection: Connection) -> Credentials:
    """How to authenticate to this store (:func:`ecom.auth.credentials`); refuses unusable
    settings. Query-string keys (the ``query_string_auth`` option) are WooCommerce's documented way
    round servers that drop the Authorization header."""
    site = urlsplit(site_url(connection.api_url))
    key, secret = connection.username.strip(), connection.password.get_secret_value().strip()
    if not key or not secret:
        raise ConfigError("WooCommerce needs the consumer key (ck_...) as Username and the consumer secret (cs_...) as Password.")
    if site.scheme == "https":
        style = "query" if connection.options.get("query_string_auth") else "basic"
    elif plain_http_allowed(site.geturl(), allow=bool(connection.options.get("allow_http"))):
        style = "oauth1"
    elif site.scheme == "http":
        raise ConfigError(
            f"{connection.api_url} is plain HTTP: use the store's https:// address, or set the allow_http "
            "option to sign requests with OAuth 1.0a over an unencrypted connection."
        )
    else:
        raise ConfigError(f"The API URL {connection.api_url!r} is not a web address (https://...).")
    return credentials(style, user=key, secret=secret, name="consumer_secret", user_name="consumer_key", url=site.geturl())


def client(connection: Connection) -> CartHTTP:
    """The HTTP helper for this store's ``wc/v3`` API."""
    return CartHTTP(
        connection, base_url=site_url(connection.api_url) + API_PATH, error_message=lambda response: error_words(response.json()),
        secrets=[connection.username], **auth_for(connection).options(),
    )
