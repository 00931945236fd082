"""The address guard of imports (design.md 3.6), applied to every hop of every fetch.

A host is resolved, and refused when any of its addresses is loopback, private, link-local
(where cloud metadata services live), multicast or reserved, unless the setting allows private
addresses (tests do). The connection then dials the very addresses that passed, so a DNS answer
that changes between the check and the connection (rebinding) cannot slip a private one in;
https still verifies the certificate against the host name. The rule itself
(`podcast.outbound.is_forbidden`) is the one webhooks use.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import quote, urlsplit

from podcast import outbound
from podcast.imports.errors import FetchError
from podcast.outbound import METADATA_NAMES, is_forbidden
from podcast.wording import Sentence, say

# What stays as written in a request target (with letters, digits and "-._~"); the rest,
# spaces and non-ASCII letters included, is percent-encoded. "%" stays: escapes are kept.
_SAFE = "!$%&'()*+,/:;=?@[]"


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of an http(s) URL; anything else is refused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchError(say("%(url)s is not a valid web address.", url=url)) from None
    if parts.scheme not in {"http", "https"}:
        raise FetchError(
            say("Imports fetch http:// and https:// addresses only, not %(url)s.", url=url)
        )
    if not parts.hostname:
        raise FetchError(say("%(url)s is not a valid web address.", url=url))
    if parts.username or parts.password:
        raise FetchError(say("Leave user names and passwords out of the URL."))
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(say("%(url)s is not a valid web address.", url=url)) from None
    # Feeds carry paths with spaces and Cyrillic letters; HTTP wants them percent-encoded.
    target = quote(parts.path or "/", safe=_SAFE) + (
        f"?{quote(parts.query, safe=_SAFE)}" if parts.query else ""
    )
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), target


def _refusal(host: str, text: str) -> Sentence:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    where = host if host.strip("[]") == text else f"{host} ({text})"
    if address.is_loopback:
        return say(
            "%(where)s is this machine itself (loopback); imports only fetch from the public"
            " internet.",
            where=where,
        )
    if address.is_link_local:
        return say(
            "%(where)s is a link-local address, where cloud metadata services live; imports only"
            " fetch from the public internet.",
            where=where,
        )
    return say(
        "The address %(where)s is on a private network; imports only fetch from the public"
        " internet.",
        where=where,
    )


def guarded_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The host's addresses, each checked; FetchError when any is not a public one."""
    if host.lower().rstrip(".") in METADATA_NAMES and not allow_private:
        raise FetchError(
            say("%(host)s is a cloud metadata address; imports never fetch from it.", host=host)
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise FetchError(say("The host name %(host)s could not be found.", host=host)) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for text in addresses:
            if is_forbidden(ipaddress.ip_address(text.split("%", 1)[0])):
                raise FetchError(_refusal(host, text))
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, stripped, when it is http(s) and its host resolves to allowed addresses only."""
    _, host, port, _ = split_url(url)
    guarded_addresses(host, port, allow_private=allow_private)
    return url.strip()


def guarded_connection(
    scheme: str, host: str, port: int, timeout: float, allow_private: bool
) -> http.client.HTTPConnection:
    """An http(s) connection that dials only addresses this guard passed; TLS checks the name."""
    return outbound.guarded_connection(
        scheme, host, port, timeout, allow_private, checked=guarded_addresses
    )
