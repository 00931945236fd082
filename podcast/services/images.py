"""Artwork and photo checks with Pillow: format, colour mode, size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from podcast.errors import ValidationError
from podcast.wording import joined, say

ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
PHOTO_MIN, PHOTO_MAX = 100, 6000
# The largest image any field takes (a 6000×6000 photo); Pillow refuses to open one of more
# than twice this, so a 100 kB PNG can never be decoded into gigabytes.
MAX_PIXELS = PHOTO_MAX * PHOTO_MAX
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class ImageInfo:
    """What an image file is."""

    format: str
    mime_type: str
    extension: str
    width: int
    height: int
    mode: str


def _check_pixels(size: tuple[int, int] | None, field: str) -> None:
    """Refuse an image of more than MAX_PIXELS (size None: so many that Pillow would not say)."""
    if size is not None and size[0] * size[1] <= MAX_PIXELS:
        return
    found = (
        say("it is %(width)s×%(height)s px", width=size[0], height=size[1])
        if size
        else say("it has far more pixels than that")
    )
    message = say(
        "This image is too large to open: images here are at most %(side)s×%(side)s px "
        "(%(millions)s million pixels) and %(found)s. Upload a smaller JPEG or PNG.",
        side=PHOTO_MAX,
        millions=MAX_PIXELS // 1_000_000,
        found=found,
    )
    raise ValidationError(message, fields={field: message})


def inspect_image(path: Path, field: str = "image") -> ImageInfo:
    """Read an image's format and size; anything but a JPEG or PNG is refused."""
    try:
        with Image.open(path) as image:
            _check_pixels(image.size, field)  # before anything is decoded
            image.verify()
        with Image.open(path) as image:
            fmt, (width, height), mode = image.format or "", image.size, image.mode
    except Image.DecompressionBombError:
        _check_pixels(None, field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            say("This file is not an image we can read. Upload a JPEG or PNG."),
            fields={field: say("Not a JPEG or PNG image.")},
        ) from None
    if fmt not in _FORMATS:
        raise ValidationError(
            say("This image is a %(format)s; upload a JPEG or PNG.", format=fmt),
            fields={field: say("Use JPEG or PNG.")},
        )
    mime, extension = _FORMATS[fmt]
    return ImageInfo(fmt, mime, extension, width, height, mode)


def check_artwork(info: ImageInfo, field: str = "image") -> None:
    """Apple's rule for show and episode art: square, 1400 to 3000 px, RGB."""
    problems = []
    if info.width != info.height:
        problems.append(f"it is {info.width}×{info.height} px, not square")
    elif not ARTWORK_MIN <= info.width <= ARTWORK_MAX:
        problems.append(say("it is %(width)s×%(height)s px", width=info.width, height=info.height))
    if info.mode not in {"RGB", "RGBA", "P", "L"}:
        problems.append(say("its colour space is %(mode)s, not RGB", mode=info.mode))
    if problems:
        message = say(
            "Artwork must be a square JPEG or PNG from %(min)s×%(min)s to "
            "%(max)s×%(max)s px in RGB (Apple Podcasts' rule); %(problems)s.",
            min=ARTWORK_MIN,
            max=ARTWORK_MAX,
            problems=joined(problems),
        )
        raise ValidationError(message, fields={field: message})


def check_photo(info: ImageInfo, field: str = "photo") -> None:
    """A guest photo: any JPEG or PNG from 100 to 6000 px a side."""
    smallest, largest = min(info.width, info.height), max(info.width, info.height)
    if smallest < PHOTO_MIN or largest > PHOTO_MAX:
        message = say(
            "A photo must be between %(min)s and %(max)s px a side; "
            "this one is %(width)s×%(height)s px.",
            min=PHOTO_MIN,
            max=PHOTO_MAX,
            width=info.width,
            height=info.height,
        )
        raise ValidationError(message, fields={field: message})


COVER_MAX = 1400  # the largest side of the cover art written into an MP3's tags


def cover_jpeg(data: bytes, max_side: int = COVER_MAX, quality: int = 88) -> bytes:
    """The image as an RGB JPEG of at most `max_side` px a side (a JPEG already that small is
    returned as it is); refuses what Pillow cannot read, as inspect_image does."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_pixels(image.size, "image")
            if image.format == "JPEG" and max(image.size) <= max_side and image.mode == "RGB":
                return data
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            rgb = image if image.mode == "RGB" else _flattened(image)
            out = io.BytesIO()
            rgb.save(out, "JPEG", quality=quality, optimize=True)
            return out.getvalue()
    except Image.DecompressionBombError:
        _check_pixels(None, "image")
        raise  # unreachable: _check_pixels raised
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            say("This file is not an image we can read. Upload a JPEG or PNG."),
            fields={"image": say("Not a JPEG or PNG image.")},
        ) from None


def _flattened(image: Image.Image) -> Image.Image:
    """RGB on white: a JPEG has no transparency."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
