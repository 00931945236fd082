"""Fetch a source feed and its media: guarded on every hop, bounded in size and time.

The standard library's http.client does the talking (no proxy settings from the environment,
no automatic redirects): redirects are followed here, one hop at a time, and every hop goes
through the address guard of podcast.outbound: the host is resolved, refused when any of its
addresses is loopback, private, link-local (cloud metadata) or reserved, and the connection is
made to the address that was checked, so DNS rebinding cannot slip a private address in. https
still verifies the certificate against the host name. Bodies are read in chunks; compressed
feeds are unpacked with a cap on what they unpack to. Nothing here knows Flask: the caller
passes the settings in.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urldefrag, urljoin, urlsplit

from podcast.errors import PodcastError
from podcast.outbound import METADATA_NAMES, is_forbidden
from podcast.wording import Sentence, say

FEED_MAX_BYTES = 20 * 1024 * 1024  # a feed of 3,000 episodes with long notes is ~10 MB
SMALL_MAX_BYTES = 2 * 1024 * 1024  # chapters JSON, transcripts, images
FEED_TIMEOUT_SECONDS = 60.0  # the whole fetch of one document, redirects included
SMALL_TIMEOUT_SECONDS = 30.0
DOWNLOAD_TIMEOUT_SECONDS = 3600.0  # one enclosure, start to end
IDLE_SECONDS = 30.0  # the longest silence of a connection before we give up on it
MAX_REDIRECTS = 10
CHUNK_BYTES = 64 * 1024
USER_AGENT = "podcast-publishing-service/1 (+import)"
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchError(PodcastError):
    """A source document or file that could not be fetched; the message says why."""

    code = "fetch_failed"
    status = 422


@dataclass(frozen=True)
class Fetched:
    """A fetched document: the URL to record, where the bytes came from, and the bytes."""

    url: str  # updated by 301/308 redirects only (while every hop before was permanent)
    final_url: str  # the last hop: the base of relative URLs
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Downloaded:
    """A file streamed to the caller's file object."""

    final_url: str
    size_bytes: int
    content_type: str


class _TooLarge(Exception):
    """The body passed its limit (the public functions say so in their own words)."""

    def __init__(self, unpacked: bool) -> None:
        super().__init__()
        self.unpacked = unpacked


def user_agent(site_url: str = "") -> str:
    """The User-Agent of imports: the service's name, and the site it imports for."""
    return f"{USER_AGENT[:-1]}; {site_url})" if site_url else USER_AGENT


def size_words(count: int) -> str:
    """A byte count as people read it: "20 MB", "2 GB", "640 bytes"."""
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


def _split(url: str) -> tuple[str, str, int, str]:
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
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target


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
    _, host, port, _ = _split(url)
    guarded_addresses(host, port, allow_private=allow_private)
    return url.strip()


def _connect(
    address: tuple[str, int],
    timeout: Any = None,
    source_address: Any = None,
    *,
    allow_private: bool,
) -> socket.socket:
    """socket.create_connection to checked addresses only (resolved here, dialled as resolved)."""
    host, port = address
    error: OSError | None = None
    for text in guarded_addresses(host, port, allow_private=allow_private):
        try:
            return socket.create_connection((text, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address for {host}")


def _connection(
    scheme: str, host: str, port: int, timeout: float, allow_private: bool
) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def create(address: tuple[str, int], timeout: Any = None, source: Any = None) -> socket.socket:
        return _connect(address, timeout, source, allow_private=allow_private)

    # http.client dials through this attribute; ours checks every address it dials.
    connection._create_connection = create  # type: ignore[attr-defined]
    return connection


def _failure(exc: BaseException, host: str, url: str, seconds: float) -> Sentence:
    if isinstance(exc, TimeoutError | socket.timeout):
        return say(
            "%(host)s did not answer within %(seconds)s seconds (fetching %(url)s).",
            host=host,
            seconds=f"{seconds:g}",
            url=url,
        )
    if isinstance(exc, ConnectionRefusedError):
        return say("%(host)s refused the connection.", host=host)
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "verify_message", None) or exc.reason or exc
        return say(
            "The secure connection to %(host)s failed (%(reason)s).", host=host, reason=reason
        )
    if isinstance(exc, http.client.HTTPException):
        return say("%(host)s sent an answer that is not HTTP.", host=host)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return say("Could not reach %(host)s: %(reason)s.", host=host, reason=reason)


def _status_error(url: str, status: int, reason: str) -> FetchError:
    if status == 404 or status == 410:
        return FetchError(
            say("%(url)s was not found at its host (%(status)s).", url=url, status=status)
        )
    if status in (401, 403):
        return FetchError(
            say(
                "%(url)s refused access (%(status)s %(reason)s).",
                url=url,
                status=status,
                reason=reason,
            )
        )
    if status >= 500:
        return FetchError(
            say(
                "The host of %(url)s failed with a server error (%(status)s %(reason)s);"
                " try again later.",
                url=url,
                status=status,
                reason=reason,
            )
        )
    return FetchError(
        say("%(url)s answered %(status)s %(reason)s.", url=url, status=status, reason=reason)
    )


@dataclass
class _Open:
    """An answered request: what to record, where it came from, and the response to read."""

    url: str
    final_url: str
    host: str
    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse


def _open(
    url: str,
    headers: dict[str, str],
    *,
    allow_private: bool,
    deadline: float,
    idle: float,
) -> _Open:
    """GET the URL, following redirects one guarded hop at a time; the 2xx answer, open."""
    recorded, current = url.strip(), urldefrag(url.strip())[0]
    permanent = True
    seen = {current}
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, target = _split(current)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(_late(url))
        connection = _connection(scheme, host, port, min(idle, left), allow_private)
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
        except FetchError:
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise FetchError(_failure(exc, host, current, min(idle, left))) from None
        if response.status in _REDIRECTS:
            location = (response.getheader("Location") or "").strip()
            connection.close()
            if not location:
                raise FetchError(
                    say(
                        "%(url)s answered %(status)s (a redirect) without saying where to.",
                        url=current,
                        status=response.status,
                    )
                )
            following = urldefrag(urljoin(current, location))[0]
            if following in seen:
                raise FetchError(
                    say(
                        "%(url)s redirects in a loop (back to %(target)s); the import gave up.",
                        url=url,
                        target=following,
                    )
                )
            seen.add(following)
            if response.status in _PERMANENT and permanent:
                recorded = following
            else:
                permanent = False
            current = following
            continue
        if not 200 <= response.status < 300:
            connection.close()
            raise _status_error(current, response.status, response.reason)
        return _Open(recorded, current, host, connection, response)
    raise FetchError(
        say(
            "%(url)s redirected more than %(limit)s times; the import gave up.",
            url=url,
            limit=MAX_REDIRECTS,
        )
    )


def _late(url: str) -> Sentence:
    return say("Fetching %(url)s took too long; the import gave up.", url=url)


class _Unpacker:
    """Content-Encoding undone chunk by chunk, never past a limit of unpacked bytes."""

    def __init__(self, encoding: str, url: str) -> None:
        self.encoding = encoding.strip().lower()
        self.url = url
        self.started = False
        if self.encoding in ("", "identity"):
            self.zlib: Any = None
        elif self.encoding in ("gzip", "x-gzip"):
            self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self.zlib = zlib.decompressobj()
        else:
            raise FetchError(
                say(
                    "%(url)s was sent with an encoding (%(encoding)s) that imports cannot read.",
                    url=url,
                    encoding=encoding,
                )
            )

    def feed(self, data: bytes, room: int) -> bytes:
        """The unpacked bytes of data; _TooLarge once they pass `room`."""
        if self.zlib is None:
            if len(data) > room:
                raise _TooLarge(unpacked=False)
            return data
        try:
            out = self.zlib.decompress(data, room + 1)
        except zlib.error:
            if self.encoding == "deflate" and not self.started:
                # Some servers send raw deflate without the zlib header.
                self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                self.started = True
                return self.feed(data, room)
            raise FetchError(
                say("%(url)s was sent compressed, but the data does not unpack.", url=self.url)
            ) from None
        self.started = True
        if len(out) > room:
            raise _TooLarge(unpacked=True)
        return bytes(out)


def _pump(
    opened: _Open,
    write: Callable[[bytes], object],
    *,
    max_bytes: int,
    deadline: float,
    idle: float,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Read the answer to its end through write(); the count of (unpacked) bytes written."""
    response = opened.response
    encoding = response.getheader("Content-Encoding") or ""
    unpacker = _Unpacker(encoding, opened.final_url)
    declared = response.getheader("Content-Length")
    total = int(declared) if declared and declared.strip().isdigit() else None
    if total is not None and unpacker.zlib is None and total > max_bytes:
        raise _TooLarge(unpacked=False)
    received = 0
    if progress is not None:
        progress(0, total if unpacker.zlib is None else None)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(_late(opened.final_url))
        if opened.connection.sock is not None:
            opened.connection.sock.settimeout(min(idle, left))
        try:
            data = response.read(CHUNK_BYTES)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError | socket.timeout):
                raise FetchError(
                    say(
                        "%(host)s stopped sending %(url)s for %(seconds)s seconds; the import"
                        " gave up.",
                        host=opened.host,
                        url=opened.final_url,
                        seconds=f"{min(idle, left):g}",
                    )
                ) from None
            raise FetchError(_failure(exc, opened.host, opened.final_url, idle)) from None
        if not data:
            break
        out = unpacker.feed(data, max_bytes - received)
        if out:
            write(out)
            received += len(out)
            if progress is not None:
                progress(received, total if unpacker.zlib is None else None)
    if unpacker.zlib is not None:
        tail = unpacker.feed(b"", max_bytes - received)
        if tail:
            write(tail)
            received += len(tail)
    return received


def _document(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    idle: float,
    accept: str,
    site_url: str,
) -> Fetched:
    headers = {
        "User-Agent": user_agent(site_url),
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    deadline = time.monotonic() + timeout
    opened = _open(url, headers, allow_private=allow_private, deadline=deadline, idle=idle)
    parts: list[bytes] = []
    try:
        _pump(opened, parts.append, max_bytes=max_bytes, deadline=deadline, idle=idle)
    except _TooLarge as exc:
        limit = size_words(max_bytes)
        if exc.unpacked:
            raise FetchError(
                say(
                    "%(url)s unpacks to more than %(limit)s; imports read documents up to that"
                    " size.",
                    url=url,
                    limit=limit,
                )
            ) from None
        raise FetchError(
            say(
                "%(url)s is larger than %(limit)s; imports read documents up to that size.",
                url=url,
                limit=limit,
            )
        ) from None
    finally:
        opened.connection.close()
    content_type = opened.response.getheader("Content-Type") or ""
    return Fetched(opened.url, opened.final_url, b"".join(parts), content_type.strip())


def fetch_document(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int = FEED_MAX_BYTES,
    timeout: float = FEED_TIMEOUT_SECONDS,
    idle_timeout: float = IDLE_SECONDS,
    site_url: str = "",
) -> Fetched:
    """Fetch a feed (or the page that names it): redirects followed, guarded, bounded."""
    return _document(
        url,
        allow_private=allow_private,
        max_bytes=max_bytes,
        timeout=timeout,
        idle=idle_timeout,
        accept="application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        site_url=site_url,
    )


def fetch_small(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int = SMALL_MAX_BYTES,
    timeout: float = SMALL_TIMEOUT_SECONDS,
    site_url: str = "",
) -> Fetched:
    """Fetch a small file (chapters JSON, a transcript, an image) under the same guard."""
    return _document(
        url,
        allow_private=allow_private,
        max_bytes=max_bytes,
        timeout=timeout,
        idle=min(IDLE_SECONDS, timeout),
        accept="*/*",
        site_url=site_url,
    )


def _looks_like_html(start: bytes) -> bool:
    head = start.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def download_to(
    url: str,
    fileobj: BinaryIO,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float = DOWNLOAD_TIMEOUT_SECONDS,
    idle_timeout: float = IDLE_SECONDS,
    progress: Callable[[int, int | None], None] | None = None,
    site_url: str = "",
) -> Downloaded:
    """Stream an enclosure (through any tracking redirects) into fileobj, chunk by chunk.

    On FetchError fileobj may hold part of the file: the caller discards it.
    """
    headers = {"User-Agent": user_agent(site_url), "Accept": "*/*", "Accept-Encoding": "identity"}
    deadline = time.monotonic() + timeout
    opened = _open(url, headers, allow_private=allow_private, deadline=deadline, idle=idle_timeout)
    content_type = (opened.response.getheader("Content-Type") or "").strip()
    first = True

    def write(data: bytes) -> None:
        nonlocal first
        if first and _looks_like_html(data[:512]):
            raise FetchError(_web_page(url))
        first = False
        fileobj.write(data)

    try:
        if content_type.split(";")[0].strip().lower() in _HTML_TYPES:
            raise FetchError(_web_page(url))
        size = _pump(
            opened,
            write,
            max_bytes=max_bytes,
            deadline=deadline,
            idle=idle_timeout,
            progress=progress,
        )
    except _TooLarge:
        raise FetchError(
            say(
                "The enclosure %(url)s is larger than %(limit)s, the largest file an import takes.",
                url=url,
                limit=size_words(max_bytes),
            )
        ) from None
    finally:
        opened.connection.close()
    if size == 0:
        raise FetchError(say("The enclosure %(url)s is empty.", url=url))
    return Downloaded(opened.final_url, size, content_type)


def _web_page(url: str) -> Sentence:
    return say("The enclosure %(url)s is a web page, not audio.", url=url)
