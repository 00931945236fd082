"""Feeds shaped like the big hosts' (their fixtures from the reader's tests), read by the real
fetcher and parser from 127.0.0.1, with one enclosure answering 404: the rest is imported."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from support.data import FIXTURES, SAMPLE_MP3
from support.feed_server import FeedServer

from podcast.extensions import db
from podcast.imports.apply import run_import
from podcast.imports.fetcher import default_fetcher
from podcast.imports.media import ImportOptions
from podcast.imports.reader import read_source
from podcast.imports.records import FeedImport
from podcast.models import Episode, MediaAsset

OPTIONS = ImportOptions(allow_private=True, max_media_bytes=50 * 1024 * 1024, concurrency=2)
HOSTS = ["libsyn", "buzzsprout", "anchor", "castopod", "podbean", "megaphone"]
_URL_ATTRIBUTE = re.compile(r'(url|href)="https?://[^"]+"')


def _localized(feed_server: FeedServer, name: str) -> tuple[str, list[str]]:
    """The host's feed with every url/href pointing here: enclosures answer the sample MP3
    (the second one 404), anything else 404; returns the feed URL and the enclosure paths."""
    text = (FIXTURES / "feeds" / f"{name}.xml").read_text(encoding="utf-8")
    counter = iter(range(10_000))
    enclosures: list[str] = []

    def local(match: re.Match[str]) -> str:
        path = f"/{name}/{next(counter)}"
        return f'{match.group(1)}="{feed_server.url(path)}"'

    text = _URL_ATTRIBUTE.sub(local, text)
    for tag in re.finditer(r"<enclosure[^>]*>", text):
        found = re.search(r'url="[^"]*(/' + name + r'/\d+)"', tag.group(0))
        if found:
            enclosures.append(found.group(1))
    for index, path in enumerate(enclosures):
        if index != 1:  # with one enclosure only, nothing answers 404
            feed_server.add(path, SAMPLE_MP3.read_bytes(), content_type="audio/mpeg")
    return feed_server.add(f"/{name}.xml", text.encode()), enclosures


@pytest.mark.parametrize("host", HOSTS)
def test_a_host_shaped_feed_imports_with_a_404_enclosure_reported(
    app: Flask, feed_server: FeedServer, host: str
) -> None:
    url, enclosures = _localized(feed_server, host)
    source = read_source(url, allow_private=True)
    feed_import = FeedImport(source_url=url, locked_override_email=source.locked_owner_email)
    db.session.add(feed_import)
    db.session.commit()
    storage: Any = app.extensions["podcast.storage"]
    report = run_import(db.session, storage, feed_import, fetcher=default_fetcher(),
                        options=OPTIONS)  # fmt: skip
    with_media = [e for e in source.episodes if e.enclosure is not None]
    missing = 1 if len(enclosures) > 1 else 0
    assert report.imported == len(with_media) - missing, report.as_json()
    failed = [e for e in report.entries if e["outcome"] == "failed"]
    assert len(failed) == report.failed >= missing
    assert not missing or any("404" in e["message"] for e in failed)
    guids = set(db.session.scalars(select(Episode.guid)))
    assert guids <= {e.guid for e in source.episodes} and len(guids) == report.imported
    assert {a.key for a in db.session.scalars(select(MediaAsset))} == set(storage.iter_keys())
