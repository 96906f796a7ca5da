"""How a driver proves who it is to a cart: the usual styles as :class:`~ecom.http.CartHTTP`
options (:func:`credentials`), and one-legged OAuth 1.0a signing (:class:`OAuth1`), which some
carts require over plain HTTP (WooCommerce).

A driver picks the style its cart (or the admin's settings) asks for and hands the result to
the HTTP helper, which redacts whatever secret it carries::

    how = credentials("bearer", secret=connection.password.get_secret_value())
    CartHTTP(connection, base_url=..., error_message=..., **how.options())
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import httpx

#: The styles :func:`credentials` knows.
STYLES = ("basic", "bearer", "header", "query", "oauth1", "none")


class Credentials(NamedTuple):
    """One way of authenticating: its ``description`` (for Test Connection's details, never the
    secret) and what :class:`~ecom.http.CartHTTP` takes for it (:meth:`options`)."""

    description: str
    auth: Any = None
    headers: dict[str, str] | None = None
    params: dict[str, str] | None = None
    allow_plain_http: bool = False

    def options(self) -> dict[str, Any]:
        """The keyword arguments of :class:`~ecom.http.CartHTTP`: ``auth``, ``headers``, ``params``
        and ``allow_plain_http`` (only OAuth 1.0a signing sends no secret in clear)."""
        return {"auth": self.auth, "headers": self.headers, "params": self.params, "allow_plain_http": self.allow_plain_http}


def credentials(style: str, *, secret: str, user: str = "", name: str = "", user_name: str = "", url: str = "") -> Credentials:
    """The credentials of one style:

    - ``basic``: HTTP Basic, ``user`` and ``secret``;
    - ``bearer``: ``Authorization: Bearer <secret>``;
    - ``header``: the header ``name`` carrying ``secret`` (an API key header);
    - ``query``: the query parameter ``name`` carrying ``secret``, and ``user_name`` carrying
      ``user`` when given (for a server that drops the Authorization header);
    - ``oauth1``: :class:`OAuth1` signing with ``user`` as the consumer key and ``secret`` as its
      secret: no secret crosses the network, so plain HTTP is allowed;
    - ``none``: nothing.

    ``url``: the API's address, to say in the description whether the line is encrypted
    (``HTTP Basic over HTTPS``). :raises ValueError: an unknown style, or ``header`` / ``query``
    without ``name``.
    """
    if style in ("header", "query") and not name:
        raise ValueError(f"the {style} style needs the name of the {style} that carries the secret")
    over = f" over {urlsplit(url).scheme.upper()}" if url else ""
    if style == "basic":
        return Credentials(f"HTTP Basic{over}", auth=(user, secret))
    if style == "bearer":
        return Credentials(f"bearer token{over}", headers={"Authorization": f"Bearer {secret}"})
    if style == "header":
        return Credentials(f"the {name} header{over}", headers={name: secret})
    if style == "query":
        params = {user_name: user, name: secret} if user_name else {name: secret}
        return Credentials(f"{'keys' if user_name else 'a key'} in the query string{over}", params=params)
    if style == "oauth1":
        return Credentials(f"OAuth 1.0a (HMAC-SHA256){over}", auth=OAuth1(user, secret), allow_plain_http=True)
    if style == "none":
        return Credentials(f"no authentication{over}")
    raise ValueError(f"{style!r} is not an authentication style; they are {', '.join(STYLES)}")


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
    """OAuth 1.0a "one-legged" signing (consumer key and secret, no token) as an httpx auth.

    Each request (each retry too) gets a fresh timestamp and nonce and an HMAC signature, all in
    the query string; ``oauth_version`` is left out (optional in RFC 5849). ``digest`` names the
    hash (``sha256`` signs ``HMAC-SHA256``)."""

    def __init__(self, key: str, secret: str, *, digest: str = "sha256", clock: Callable[[], float] = time.time) -> None:
        self.key, self._secret, self._digest, self._clock = key, secret, digest, clock

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        oauth = {
            "oauth_consumer_key": self.key,
            "oauth_nonce": _secrets.token_hex(16),
            "oauth_signature_method": f"HMAC-{self._digest.upper()}",
            "oauth_timestamp": str(int(self._clock())),
        }
        url = request.url.copy_with(query=None, fragment=None)
        base = signature_base(request.method, str(url), [*request.url.params.multi_items(), *oauth.items()])
        oauth["oauth_signature"] = sign(base, self._secret, digest=self._digest)
        request.url = request.url.copy_merge_params(oauth)
        yield request
