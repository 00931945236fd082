"""What counts as a download (IAB Podcast Measurement Technical Guidelines v2.3), as pure
functions of a request's facts: no database, no Flask. docs/analytics.md says it in words."""

from __future__ import annotations

import ipaddress
import math
import socket
from collections.abc import Iterable
from typing import NamedTuple

# A download is the episode's header plus this much audio (the whole file when shorter).
MINUTE_SECONDS = 60
# Assumed when an asset's bitrate is unknown (rows written before inspection recorded it).
DEFAULT_BITRATE = 128_000
# A span whose first byte is not known (combined and S3 logs give only bytes sent).
UNKNOWN_START = -1
# IPv6 listeners are grouped by their /64: one household or phone rotates within it.
IPV6_PREFIX = 64

# Hosting and cloud networks, whose traffic is servers, not listeners. Deliberately short and
# sure: a wrong entry would drop real people (iCloud Private Relay and mobile carriers egress
# through CDNs, which are not listed). Bot user agents catch most of the rest.
DATA_CENTRES = tuple(
    ipaddress.ip_network(net)
    for net in (
        "3.0.0.0/8",  # Amazon Web Services
        "34.64.0.0/10", "35.184.0.0/13",  # Google Cloud
        "104.131.0.0/16", "159.203.0.0/16", "167.99.0.0/16",  # DigitalOcean
        "78.46.0.0/15", "88.198.0.0/16", "136.243.0.0/16",  # Hetzner
        "2600:1f00::/24",  # Amazon Web Services
        "2a01:4f8::/29",  # Hetzner
        "2604:a880::/32",  # DigitalOcean
    )
)  # fmt: skip


class Span(NamedTuple):
    """Bytes of one file a request took: from `start` (UNKNOWN_START: not known), `length` long."""

    start: int
    length: int


class Address(NamedTuple):
    """What the rules keep of an address: its listener part (IPv6 cut to /64) and whether it
    belongs to a data centre. The address itself goes no further than the country lookup."""

    listener: str
    datacentre: bool


def header_bytes(size: int, bitrate: int | None, duration: float | None) -> int:
    """The file's bytes that are not audio (the ID3v2 tag with its artwork, an MP4's moov).

    Estimated from what inspection measured: inspect computes the bitrate from the audio bytes
    between the tags, so size - bitrate * duration / 8 is the tags' size.
    """
    if not bitrate or not duration or size <= 0:
        return 0
    return max(0, min(size, size - round(bitrate * duration / 8)))


def needed_bytes(size: int, bitrate: int | None, duration: float | None) -> int:
    """Bytes a listener must take for a download: header plus one minute, or the whole file."""
    rate = bitrate or DEFAULT_BITRATE
    minute = math.ceil(MINUTE_SECONDS * rate / 8)
    return max(1, min(size, header_bytes(size, bitrate, duration) + minute)) if size > 0 else 1


def _networks(version: int) -> tuple[tuple[int, int], ...]:
    return tuple(
        (int(net.network_address), int(net.netmask))
        for net in DATA_CENTRES
        if net.version == version
    )


_DATA_CENTRES_V4 = _networks(4)
_DATA_CENTRES_V6 = _networks(6)
_V4_MAPPED = 0xFFFF << 32


def address(raw: str) -> Address | None:
    """The listener part of a client address (IPv4 whole, IPv6 its /64), None when unreadable."""
    text = raw.strip().split("%", 1)[0]
    try:
        if ":" not in text:
            number = int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
            centre = any(number & mask == net for net, mask in _DATA_CENTRES_V4)
            return Address(text, centre)
        number = int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
    except OSError:
        return None
    if number >> 32 == _V4_MAPPED >> 32:  # ::ffff:a.b.c.d is the IPv4 listener a.b.c.d
        return address(socket.inet_ntop(socket.AF_INET, (number & 0xFFFFFFFF).to_bytes(4, "big")))
    centre = any(number & mask == net for net, mask in _DATA_CENTRES_V6)
    top = number >> (128 - IPV6_PREFIX)
    return Address(f"{top:016x}/{IPV6_PREFIX}", centre)


def is_probe(span: Span) -> bool:
    """True for the two-byte probes players send before playing (bytes=0-1), and empty spans."""
    return span.length <= 0 or (span.start in (0, UNKNOWN_START) and span.length <= 2)


def requested_span(range_header: str | None, size: int) -> Span:
    """The bytes a redirected GET asks for (the CDN serves them): Range, or the whole file.

    Mirrors views.public.ranges: an unreadable or multiple Range is answered with the whole file.
    """
    whole = Span(0, size)
    if not range_header or size <= 0:
        return whole
    unit, sep, specs = range_header.partition("=")
    parts = [spec.strip() for spec in specs.split(",") if spec.strip()]
    if not sep or unit.strip().lower() != "bytes" or len(parts) != 1:
        return whole
    first, dash, last = parts[0].partition("-")
    if (
        not dash
        or not (first.isdigit() or last.isdigit())
        or not all(p.isdigit() for p in (first, last) if p)
    ):
        return whole
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        return Span(start, end - start + 1) if start < size and end >= start else Span(start, 0)
    suffix = min(int(last), size)
    return Span(size - suffix, suffix)


def covered(spans: Iterable[Span]) -> int:
    """Distinct bytes the spans take: overlaps once; spans of unknown start add their length."""
    known = sorted((s.start, s.start + s.length) for s in spans if s.start >= 0 and s.length > 0)
    unknown = sum(s.length for s in spans if s.start < 0 and s.length > 0)
    total, reach = 0, -1
    for start, end in known:
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total + unknown


def merged(spans: Iterable[Span]) -> list[Span]:
    """The spans as few as possible: overlapping and touching known spans joined, the unknown
    ones added into one (what a row of raw hits keeps)."""
    spans = list(spans)
    known = sorted((s.start, s.start + s.length) for s in spans if s.start >= 0 and s.length > 0)
    out: list[Span] = []
    for start, end in known:
        if out and start <= out[-1].start + out[-1].length:
            last = out[-1]
            out[-1] = Span(last.start, max(last.start + last.length, end) - last.start)
        else:
            out.append(Span(start, end - start))
    unknown = sum(s.length for s in spans if s.start < 0 and s.length > 0)
    if unknown:
        out.append(Span(UNKNOWN_START, unknown))
    return out


def is_download(spans: Iterable[Span], needed: int) -> bool:
    """True once one listener's spans of one file on one UTC day reach `needed` bytes."""
    return covered(spans) >= needed
