"""/media/<key> answers what podcast apps send: HEAD, byte ranges, ETag; local and proxied S3."""

from __future__ import annotations

import io
from typing import Any

import pytest
from support.data import SAMPLE_MP3

KEY = "episodes/6f1c2a8e/audio-abc.mp3"
DATA = SAMPLE_MP3.read_bytes()
SIZE = len(DATA)


@pytest.fixture(params=["local", "s3"])
def media(request: pytest.FixtureRequest, app: Any) -> Any:
    """The app's client with one MP3 stored, on local disk or in S3 without a media base URL."""
    if request.param == "s3":
        app.extensions["podcast.storage"] = request.getfixturevalue("s3_storage")
    storage = app.extensions["podcast.storage"]
    assert storage.public_url(KEY) is None
    storage.put(KEY, io.BytesIO(DATA), content_type="audio/mpeg", size=SIZE)
    return app.test_client()


def test_get_whole_file(media: Any) -> None:
    response = media.get(f"/media/{KEY}")
    assert response.status_code == 200
    assert response.data == DATA
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "immutable" in response.headers["Cache-Control"]


def test_head(media: Any) -> None:
    response = media.head(f"/media/{KEY}")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == SIZE
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers.get("ETag")
    assert response.data == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-1", 0, 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=10-99999999999", 10, SIZE - 1),
    ],
)
def test_byte_ranges(media: Any, header: str, start: int, end: int) -> None:
    response = media.get(f"/media/{KEY}", headers={"Range": header})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert int(response.headers["Content-Length"]) == end - start + 1
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.data == DATA[start : end + 1]


def test_head_with_range(media: Any) -> None:
    response = media.head(f"/media/{KEY}", headers={"Range": "bytes=0-1"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 0-1/{SIZE}"


def test_unsatisfiable_range(media: Any) -> None:
    response = media.get(f"/media/{KEY}", headers={"Range": "bytes=999999999-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"


def test_etag_gives_304(media: Any) -> None:
    etag = media.head(f"/media/{KEY}").headers["ETag"]
    response = media.get(f"/media/{KEY}", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert media.get(f"/media/{KEY}", headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/episodes/../secret_key",
        "/media/episodes/%2E%2E/%2E%2E/instance/secret_key",
        "/media/..%2Fsecret_key",
        "/media/episodes/missing.mp3",
        "/media/episodes/6f1c2a8e/.audio-abc.mp3~meta",
    ],
)
def test_bad_or_missing_keys_are_404(media: Any, path: str) -> None:
    assert media.get(path).status_code == 404
