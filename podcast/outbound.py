"""Outbound HTTP to addresses that users give us (webhooks): guarded, bounded, never redirected.

The standard library's http.client does the talking, so no proxy settings from the environment
and no redirects apply. The guard resolves the host and refuses loopback, private, link-local
(cloud metadata lives there), multicast and reserved addresses; the connection is then made to
an address that passed the check, so a DNS answer that changes between the check and the
connection (rebinding) cannot slip a private address in.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from podcast.errors import PodcastError
from podcast.wording import say

TIMEOUT_SECONDS = 5.0  # per connect and per read: a receiver that hangs costs at most this
MAX_RESPONSE_BYTES = 64 * 1024  # what we read of an answer; the rest is dropped
USER_AGENT = "podcast-publishing-service/1 (+webhooks)"
# Names that resolve to cloud metadata services even where DNS is not ours to check.
METADATA_NAMES = {"metadata.google.internal", "metadata", "instance-data"}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(PodcastError):
    """An outbound request that was refused before sending, or failed on the way."""

    code = "outbound_failed"
    status = 422


@dataclass(frozen=True)
class Answer:
    """What the other side said: its status and the start of its body."""

    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300


def is_forbidden(address: Address) -> bool:
    """True for an address outbound requests must not reach (loopback, private, link-local...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast or address.is_reserved


def split_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; anything else raises OutboundError."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise OutboundError(say("This is not a valid URL.")) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundError(say("Give a full URL starting with https:// or http://."))
    if parts.username or parts.password:
        raise OutboundError(say("Leave user names and passwords out of the URL."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The host's addresses, each checked; refuses the host if any of them is not public."""
    if host.lower().rstrip(".") in METADATA_NAMES and not allow_private:
        raise OutboundError(
            say("%(host)s is a cloud metadata address; it cannot receive webhooks.", host=host)
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise OutboundError(say("The host name %(host)s could not be found.", host=host)) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for text in addresses:
            if is_forbidden(ipaddress.ip_address(text.split("%", 1)[0])):
                raise OutboundError(
                    say(
                        "%(host)s points at a private, loopback or link-local address"
                        " (%(address)s); only public addresses can receive webhooks.",
                        host=host,
                        address=text,
                    )
                )
    return addresses


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, stripped, when it is http(s) and its host resolves to public addresses only."""
    _, host, port = split_url(url)
    resolve(host, port, allow_private=allow_private)
    return url.strip()


Resolver = Callable[..., list[str]]  # (host, port, *, allow_private) -> checked addresses


def _connect_checked(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: Any = None,
    *,
    allow_private: bool,
    checked: Resolver,
) -> socket.socket:
    """socket.create_connection, to checked addresses only (resolved here, used as resolved)."""
    host, port = address
    error: OSError | None = None
    for text in checked(host, port, allow_private=allow_private):
        try:
            return socket.create_connection((text, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address for {host}")


def guarded_connection(
    scheme: str,
    host: str,
    port: int,
    timeout: float,
    allow_private: bool,
    checked: Resolver = resolve,
) -> http.client.HTTPConnection:
    """An http(s) connection that dials only the addresses `checked` passed; TLS checks the
    host name. Webhooks use `resolve`; imports pass their own guard (its own sentences)."""
    if scheme == "https":
        context = ssl.create_default_context()
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    # http.client connects through this attribute; ours checks every address it dials.
    connection._create_connection = partial(  # type: ignore[attr-defined]
        _connect_checked, allow_private=allow_private, checked=checked
    )
    return connection


def _failure(exc: BaseException, host: str, timeout: float) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return say(
            "%(host)s did not answer within %(seconds)s seconds.", host=host, seconds=f"{timeout:g}"
        )
    if isinstance(exc, ConnectionRefusedError):
        return say("%(host)s refused the connection.", host=host)
    if isinstance(exc, ssl.SSLError):
        return say(
            "The secure connection to %(host)s failed (%(reason)s).",
            host=host,
            reason=exc.reason or exc,
        )
    if isinstance(exc, http.client.HTTPException):
        return say("%(host)s sent an answer that is not HTTP.", host=host)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return say("Could not reach %(host)s: %(reason)s.", host=host, reason=reason)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float | None = None,
) -> Answer:
    """POST the body once; OutboundError with a sentence when it cannot be delivered at all."""
    timeout = timeout or TIMEOUT_SECONDS
    scheme, host, port = split_url(url)
    parts = urlsplit(url.strip())
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = guarded_connection(scheme, host, port, timeout, allow_private)
    try:
        connection.request(
            "POST",
            target,
            body=body,
            headers={"User-Agent": USER_AGENT, "Content-Length": str(len(body)), **headers},
        )
        response = connection.getresponse()
        return Answer(response.status, response.read(MAX_RESPONSE_BYTES))
    except OutboundError:
        raise
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundError(_failure(exc, host, timeout)) from None
    finally:
        connection.close()
