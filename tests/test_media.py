"""/media/<key> answers what podcast apps send: HEAD, byte ranges, ETag; local and proxied S3."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.data import SAMPLE_MP3

from podcast.views.public import ranges

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


def test_suffix_range_longer_than_the_file_serves_all_of_it(media: Any) -> None:
    response = media.get(f"/media/{KEY}", headers={"Range": "bytes=-999999999"})
    assert response.status_code in (200, 206)
    assert response.data == DATA
    if response.status_code == 206:
        assert response.headers["Content-Range"] == f"bytes 0-{SIZE - 1}/{SIZE}"


UNPARSEABLE = ["bytes=abc", "items=0-5", "bytes=0-1-2", "bytes=--5", "bytes=\u0661-\u0662", "0-5"]


def test_unparseable_range_is_ignored(media: Any) -> None:
    for header in [*UNPARSEABLE, "bytes="]:
        response = media.get(f"/media/{KEY}", headers={"Range": header})
        assert response.status_code == 200, header
        assert "Content-Range" not in response.headers
        assert response.data == DATA


def test_several_ranges_get_the_whole_file(media: Any) -> None:
    response = media.get(f"/media/{KEY}", headers={"Range": "bytes=0-1,5-6"})
    assert response.status_code == 200
    assert response.data == DATA


def test_if_range_needs_a_strong_match(media: Any) -> None:
    head = media.head(f"/media/{KEY}").headers
    etag, modified = head["ETag"], head["Last-Modified"]
    assert not etag.startswith("W/")

    def get(if_range: str) -> Any:
        return media.get(f"/media/{KEY}", headers={"Range": "bytes=0-9", "If-Range": if_range})

    assert get(etag).status_code == 206
    assert get(modified).status_code == 206
    for stale in (f"W/{etag}", '"other"', "Mon, 01 Jan 2001 00:00:00 GMT"):
        response = get(stale)
        assert response.status_code == 200, stale
        assert response.data == DATA


def test_failed_if_match_sends_no_body(media: Any) -> None:
    etag = media.head(f"/media/{KEY}").headers["ETag"]
    for value in ('"other"', f"W/{etag}"):
        for method in (media.get, media.head):
            response = method(f"/media/{KEY}", headers={"If-Match": value, "Range": "bytes=0-9"})
            assert response.status_code == 412, value
            assert response.data == b""
    for value in (etag, "*", f'"other", {etag}'):
        response = media.get(f"/media/{KEY}", headers={"If-Match": value})
        assert response.status_code == 200, value
        assert response.data == DATA


def test_if_unmodified_since_before_the_file_fails(media: Any) -> None:
    modified = media.head(f"/media/{KEY}").headers["Last-Modified"]
    since = "Mon, 01 Jan 2001 00:00:00 GMT"
    old = media.get(f"/media/{KEY}", headers={"If-Unmodified-Since": since})
    assert old.status_code == 412
    assert old.data == b""
    assert media.get(f"/media/{KEY}", headers={"If-Unmodified-Since": modified}).status_code == 200


def test_if_none_match_compares_weakly(media: Any) -> None:
    etag = media.head(f"/media/{KEY}").headers["ETag"]
    response = media.get(f"/media/{KEY}", headers={"If-None-Match": f'"x", W/{etag}'})
    assert response.status_code == 304
    assert response.data == b""
    assert media.get(f"/media/{KEY}", headers={"If-None-Match": "*"}).status_code == 304


def test_if_modified_since_gives_304(media: Any) -> None:
    modified = media.head(f"/media/{KEY}").headers["Last-Modified"]
    assert media.get(f"/media/{KEY}", headers={"If-Modified-Since": modified}).status_code == 304
    since = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert media.get(f"/media/{KEY}", headers={"If-Modified-Since": since}).status_code == 200


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 10**6),
    value=st.one_of(
        st.text(max_size=30),
        st.builds(
            "bytes={}-{}".format,
            st.one_of(st.just(""), st.integers(0, 2 * 10**6).map(str)),
            st.one_of(st.just(""), st.integers(0, 2 * 10**6).map(str)),
        ),
    ),
)
def test_any_range_header_gets_a_span_inside_the_file(size: int, value: str) -> None:
    rep = ranges.Representation(size, "abc", datetime(2026, 1, 1, tzinfo=UTC))
    decided = ranges.answer("GET", {"Range": value}, rep)
    assert decided.status in (200, 206, 416)
    if decided.status == 206:
        assert 0 <= decided.start <= decided.end < size
    if decided.status == 200:
        assert (decided.start, decided.length) == (0, size)
