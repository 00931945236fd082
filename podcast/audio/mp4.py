"""MPEG-4 (M4A) box layout: tracks, sample tables and edit lists, read without decoding."""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass
from typing import BinaryIO

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"}


@dataclass
class Mp4Track:
    """The facts about one MP4 track needed to check that its samples are in the file."""

    handler: str = ""
    timescale: int = 0
    duration: int = 0
    edit_duration: int | None = None  # in the movie's timescale, from the edit list
    sample_bytes: int = 0
    last_chunk_offset: int = 0


@dataclass
class Mp4Layout:
    """Top-level layout of an MP4 file and the sample tables of its tracks."""

    cut_box: str | None = None  # a top-level box that runs past the end of the file
    has_moov: bool = False
    mdat_bytes: int = 0
    movie_timescale: int = 0
    tracks: list[Mp4Track] | None = None


def mp4_layout(f: BinaryIO, size: int) -> Mp4Layout:
    """Walk the top-level boxes (skipping media data) and parse the moov box."""
    layout = Mp4Layout(tracks=[])
    pos = 0
    while pos + 8 <= size:
        f.seek(pos)
        head = f.read(16)
        box_size, kind = struct.unpack_from(">I4s", head)
        hdr = 8
        if box_size == 1 and len(head) == 16:
            (box_size,) = struct.unpack_from(">Q", head, 8)
            hdr = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < hdr:
            break
        end = pos + box_size
        if end > size:
            layout.cut_box = kind.decode("latin-1")
        if kind == b"mdat":
            layout.mdat_bytes += min(end, size) - pos - hdr
        elif kind == b"moov":
            layout.has_moov = True
            f.seek(pos + hdr)
            _parse_boxes(f.read(min(end, size) - pos - hdr), layout, None)
        pos = end
    return layout


def _parse_boxes(data: bytes, layout: Mp4Layout, track: Mp4Track | None) -> None:
    pos = 0
    while pos + 8 <= len(data):
        box_size, kind = struct.unpack_from(">I4s", data, pos)
        hdr = 8
        if box_size == 1:
            (box_size,) = struct.unpack_from(">Q", data, pos + 8)
            hdr = 16
        elif box_size == 0:
            box_size = len(data) - pos
        if box_size < hdr:
            return
        body = data[pos + hdr : pos + box_size]
        if kind == b"trak":
            track = Mp4Track()
            assert layout.tracks is not None
            layout.tracks.append(track)
            _parse_boxes(body, layout, track)
        elif kind in _CONTAINERS:
            _parse_boxes(body, layout, track)
        else:
            _parse_leaf(kind, body, layout, track)
        pos += box_size


def _parse_leaf(kind: bytes, body: bytes, layout: Mp4Layout, track: Mp4Track | None) -> None:
    if len(body) < 8:
        return
    version = body[0]
    if kind in (b"mvhd", b"mdhd"):
        if version == 1 and len(body) >= 32:
            timescale, duration = struct.unpack_from(">IQ", body, 20)
        elif len(body) >= 20:
            timescale, duration = struct.unpack_from(">II", body, 12)
        else:
            return
        if kind == b"mvhd":
            layout.movie_timescale = timescale
        elif track is not None:
            track.timescale, track.duration = timescale, duration
        return
    if track is None:
        return
    if kind == b"hdlr" and len(body) >= 12:
        track.handler = body[8:12].decode("latin-1")
    elif kind == b"elst":
        (count,) = struct.unpack_from(">I", body, 4)
        fmt, step = (">Qq", 20) if version == 1 else (">Ii", 12)
        total = 0
        for k in range(min(count, (len(body) - 8) // step)):
            seg, media_time = struct.unpack_from(fmt, body, 8 + k * step)
            if media_time >= 0:
                total += seg
        track.edit_duration = total
    elif kind == b"stsz" and len(body) >= 12:
        sample_size, count = struct.unpack_from(">II", body, 4)
        if sample_size:
            track.sample_bytes = sample_size * count
        else:
            track.sample_bytes = sum(_be_array("I", body[12 : 12 + 4 * count]))
    elif kind in (b"stco", b"co64"):
        (count,) = struct.unpack_from(">I", body, 4)
        width = 8 if kind == b"co64" else 4
        offsets = _be_array("Q" if width == 8 else "I", body[8 : 8 + width * count])
        track.last_chunk_offset = max(offsets, default=0)


def _be_array(code: str, data: bytes) -> array[int]:
    values = array(code)
    values.frombytes(data[: len(data) - len(data) % values.itemsize])
    if sys.byteorder == "little":
        values.byteswap()
    return values
