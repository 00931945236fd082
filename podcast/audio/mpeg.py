"""MPEG audio frame headers, Xing/Info/VBRI headers, tag bounds and a streaming frame counter."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
SYNC_WINDOW = 1 << 20  # how far past the tags we look for the first frame (junk prefixes)
SYNC_FRAMES = 3  # consecutive valid headers needed to trust a sync point

# version bits -> name; 1 is reserved
_VERSIONS = {3: "1", 2: "2", 0: "2.5"}
_SAMPLE_RATES = {
    3: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    0: (11025, 12000, 8000),
}
_BITRATES = {  # kbps by (MPEG-1?, layer), index 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}


@dataclass(frozen=True)
class FrameHeader:
    """One decoded 4-byte MPEG audio frame header."""

    version: str  # "1", "2" or "2.5"
    layer: int
    bitrate: int  # bits per second
    sample_rate: int
    padding: int
    channels: int
    protected: bool
    length: int  # bytes, header included
    samples: int  # PCM samples per channel in this frame

    @property
    def side_info_size(self) -> int:
        """Bytes of layer III side information after the header (and CRC)."""
        if self.version == "1":
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17


def parse_header(buf: bytes, i: int = 0) -> FrameHeader | None:
    """Decode the frame header at buf[i:i+4], or None if it is not a valid one."""
    if len(buf) < i + 4 or buf[i] != 0xFF or buf[i + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = buf[i + 1], buf[i + 2], buf[i + 3]
    vbits, lbits = (b1 >> 3) & 3, (b1 >> 1) & 3
    bidx, sidx = b2 >> 4, (b2 >> 2) & 3
    if vbits == 1 or lbits == 0 or bidx in (0, 15) or sidx == 3:
        return None
    layer = 4 - lbits
    mpeg1 = vbits == 3
    bitrate = _BITRATES[(mpeg1, layer)][bidx - 1] * 1000
    sample_rate = _SAMPLE_RATES[vbits][sidx]
    padding = (b2 >> 1) & 1
    if layer == 1:
        length, samples = (12 * bitrate // sample_rate + padding) * 4, 384
    elif layer == 2 or mpeg1:
        length, samples = 144 * bitrate // sample_rate + padding, 1152
    else:
        length, samples = 72 * bitrate // sample_rate + padding, 576
    return FrameHeader(
        version=_VERSIONS[vbits],
        layer=layer,
        bitrate=bitrate,
        sample_rate=sample_rate,
        padding=padding,
        channels=1 if b3 >> 6 == 3 else 2,
        protected=not b1 & 1,
        length=length,
        samples=samples,
    )


def _same_stream(a: FrameHeader, b: FrameHeader) -> bool:
    return a.version == b.version and a.layer == b.layer and a.sample_rate == b.sample_rate


def _length_table(first: FrameHeader, raw: bytes) -> dict[bytes, int]:
    """Frame length for every 3-byte header prefix of the same stream as `raw`."""
    table: dict[bytes, int] = {}
    b1 = raw[1] & 0xFE
    for prot in (0, 1):
        for b2 in range(256):
            head = bytes((0xFF, b1 | prot, b2, raw[3]))
            hdr = parse_header(head)
            if hdr is not None and _same_stream(hdr, first):
                table[head[:3]] = hdr.length
    return table


@dataclass(frozen=True)
class VbrHeader:
    """A Xing/Info (LAME) or VBRI header found in the first frame."""

    kind: str  # "Xing", "Info" or "VBRI"
    frames: int | None
    bytes: int | None
    encoder_delay: int = 0
    encoder_padding: int = 0


def parse_vbr_header(frame: bytes, hdr: FrameHeader) -> VbrHeader | None:
    """Read a Xing/Info or VBRI header from the bytes of a stream's first frame."""
    at = 4 + (2 if hdr.protected else 0) + hdr.side_info_size
    tag = frame[at : at + 4]
    if tag in (b"Xing", b"Info") and len(frame) >= at + 8:
        (flags,) = struct.unpack_from(">I", frame, at + 4)
        p = at + 8
        frames = nbytes = None
        if flags & 1 and len(frame) >= p + 4:
            (frames,) = struct.unpack_from(">I", frame, p)
            p += 4
        if flags & 2 and len(frame) >= p + 4:
            (nbytes,) = struct.unpack_from(">I", frame, p)
            p += 4
        p += (100 if flags & 4 else 0) + (4 if flags & 8 else 0)
        delay = padding = 0
        # LAME extension: 9-byte encoder string, then delay/padding 12 bits each at +21
        if len(frame) >= p + 24 and frame[p : p + 4] in (b"LAME", b"Lavc", b"Lavf", b"GOGO"):
            d = frame[p + 21 : p + 24]
            delay, padding = (d[0] << 4) | (d[1] >> 4), ((d[1] & 0x0F) << 8) | d[2]
        return VbrHeader(tag.decode(), frames, nbytes, delay, padding)
    if frame[36:40] == b"VBRI" and len(frame) >= 36 + 18:
        nbytes, frames = struct.unpack_from(">II", frame, 36 + 10)
        return VbrHeader("VBRI", frames, nbytes)
    return None


def skip_id3v2(f: BinaryIO, pos: int = 0) -> int:
    """Offset just past any ID3v2 tags at `pos`, found by their size headers (never read)."""
    while True:
        f.seek(pos)
        head = f.read(10)
        if len(head) < 10 or head[:3] != b"ID3" or any(b >= 0x80 for b in head[6:10]):
            return pos
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        pos += 10 + size + (10 if head[5] & 0x10 else 0)


def trailing_tags(f: BinaryIO, size: int) -> tuple[int, list[str]]:
    """End of the audio once ID3v1, Lyrics3 and APEv2 tags at the end are cut off."""
    end, found = size, []
    while True:
        if end >= 128:
            f.seek(end - 128)
            if f.read(3) == b"TAG":
                end -= 128
                found.append("ID3v1")
                continue
        if end >= 15:
            f.seek(end - 15)
            tail = f.read(15)
            if tail[6:] == b"LYRICS200" and tail[:6].isdigit():
                end -= int(tail[:6]) + 15
                found.append("Lyrics3")
                continue
        if end >= 32:
            f.seek(end - 32)
            footer = f.read(32)
            if footer[:8] == b"APETAGEX":
                tag_size, _, flags = struct.unpack_from("<III", footer, 12)
                end -= tag_size + (32 if flags & 0x80000000 else 0)
                found.append("APEv2")
                continue
        return max(end, 0), found


def find_first_frame(
    f: BinaryIO, start: int, end: int, window: int = SYNC_WINDOW
) -> tuple[int, FrameHeader] | None:
    """First offset in [start, start+window) where SYNC_FRAMES valid frames follow in a row."""
    f.seek(start)
    buf = f.read(min(window, end - start) + 4 * 2048 * SYNC_FRAMES)
    limit = min(window, end - start)
    i = buf.find(b"\xff")
    while 0 <= i < limit:
        hdr = parse_header(buf, i)
        if hdr is not None and _chain_ok(buf, i, hdr, end - start):
            return start + i, hdr
        i = buf.find(b"\xff", i + 1)
    return None


def _chain_ok(buf: bytes, i: int, first: FrameHeader, avail: int) -> bool:
    """True if SYNC_FRAMES frames follow at i, or fewer that end exactly at the audio's end."""
    j, hdr = i, first
    for _ in range(SYNC_FRAMES - 1):
        j += hdr.length
        if j == avail and i == 0:
            return True  # a very short file that starts right at the audio's start
        nxt = parse_header(buf, j)
        if nxt is None or not _same_stream(nxt, first):
            return False
        hdr = nxt
    return True


@dataclass(frozen=True)
class ScanResult:
    """What a frame count found between two offsets."""

    frames: int  # complete frames
    audio_bytes: int  # bytes of those frames
    partial_bytes: int  # bytes of a last frame the file cuts short
    skipped_bytes: int  # bytes between frames that were not frames (damage, stray tags)


def count_frames(f: BinaryIO, start: int, end: int, first_raw: bytes) -> ScanResult:
    """Count the frames in [start, end) by hopping header to header, reading 1 MiB at a time."""
    first = parse_header(first_raw)
    assert first is not None
    get = _length_table(first, first_raw).get
    frames = skipped = partial = last = 0
    pos = start
    buf, base = b"", start
    while pos < end:
        if pos + 4 > base + len(buf):
            f.seek(pos)
            buf, base = f.read(min(CHUNK, end - pos)), pos
            if len(buf) < 4:
                skipped += end - pos
                pos = end
                break
        i, n = pos - base, len(buf) - 3
        length: int | None = 0
        while i < n:
            length = get(buf[i : i + 3])
            if length is None:
                break
            last = length
            i += length
            frames += 1
        pos = base + i
        if length is None:
            nxt = _resync(f, pos, end, first)
            skipped += nxt - pos
            pos = nxt
            buf = b""
    audio = pos - start - skipped
    if pos > end:
        # the last frame runs past the end of the file: it was cut short
        frames -= 1
        audio -= last
        partial = last - (pos - end)
    return ScanResult(frames, audio, partial, skipped)


def _resync(f: BinaryIO, pos: int, end: int, first: FrameHeader) -> int:
    """Next offset after `pos` where frames of the same stream resume, or `end`."""
    while pos < end:
        f.seek(pos)
        head = f.read(10)
        if head[:3] == b"ID3":
            nxt = skip_id3v2(f, pos)
            if nxt > pos:
                pos = nxt
                continue
        found = find_first_frame(f, pos + 1, end, window=CHUNK)
        if found is not None and _same_stream(found[1], first):
            return found[0]
        pos += CHUNK
    return end
