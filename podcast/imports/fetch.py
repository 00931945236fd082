"""Fetch a source feed and its media: guarded on every hop, bounded in size and time.

The standard library's http.client does the talking (no proxy settings from the environment,
no automatic redirects): redirects are followed here, one hop at a time, and every hop passes
the address guard (imports.guard). Bodies are read in chunks, never past their limit; compressed
feeds are unpacked with a cap on what they unpack to (imports.unpack). Nothing here knows
Flask: the caller passes the settings in.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin

from podcast.imports.errors import FetchError
from podcast.imports.guard import check_url, guarded_connection, split_url
from podcast.imports.sniff import looks_like_html
from podcast.imports.unpack import TooLarge, Unpacker, size_words
from podcast.wording import Sentence, say

__all__ = [
    "Downloaded",
    "FetchError",
    "Fetched",
    "check_url",
    "download_to",
    "fetch_document",
    "fetch_small",
    "size_words",
    "user_agent",
]

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


def user_agent(site_url: str = "") -> str:
    """The User-Agent of imports: the service's name, and the site it imports for."""
    return f"{USER_AGENT[:-1]}; {site_url})" if site_url else USER_AGENT


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
        scheme, host, port, target = split_url(current)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError(_late(url))
        connection = guarded_connection(scheme, host, port, min(idle, left), allow_private)
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
    unpacker = Unpacker(encoding, opened.final_url)
    declared = response.getheader("Content-Length")
    total = int(declared) if declared and declared.strip().isdigit() else None
    if total is not None and unpacker.zlib is None and total > max_bytes:
        raise TooLarge(unpacked=False)
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
            # read1 returns what one receive brings, so a trickle cannot outlast the deadline.
            data = response.read1(CHUNK_BYTES)
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
    except TooLarge as exc:
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
        if first and looks_like_html(data[:1024]):
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
    except TooLarge:
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
