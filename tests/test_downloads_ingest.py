"""`podcast analytics ingest`: CDN and bucket logs counted by the same rules, incrementally.

Logs are written here line by line in each format, with broken lines among them; S3 logs are
read from a bucket on moto's server. Counts are read from download_daily.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import func, select
from support.s3 import s3_client

from podcast.analytics import ingest, rollup
from podcast.extensions import db
from podcast.models import DownloadDaily, Episode, IngestState, utcnow

IPHONE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"
ANDROID = "AntennaPod/3.3.2"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def episode(make_episode: Any) -> Episode:
    """A published episode whose file a CDN serves under /podcast-media/<key>."""
    return make_episode("Served by the CDN")


def counts() -> dict[tuple[str, str, str], int]:
    """download_daily after the rollup, as {(day, app, country): n}."""
    rollup.process(db.session, utcnow())
    rows = db.session.execute(
        select(DownloadDaily.day, DownloadDaily.app, DownloadDaily.country,
               DownloadDaily.downloads)
    ).all()  # fmt: skip
    return {(str(d), a, c): n for d, a, c, n in rows}


def total() -> int:
    """Every download counted."""
    return sum(counts().values())


def combined(ip: str, when: str, method: str, path: str, status: int, sent: int | str,
             agent: str) -> str:  # fmt: skip
    """One combined-log line."""
    return f'{ip} - - [{when}] "{method} {path} HTTP/1.1" {status} {sent} "-" "{agent}"\n'


def test_combined_logs_count_by_the_rules_skip_broken_lines_and_never_twice(app, episode, tmp_path):
    key, size = episode.audio.key, episode.audio.size_bytes
    path = f"/podcast-media/{key}"
    when = "03/Nov/2026:09:30:00 +0000"
    lines = [
        combined("95.59.1.7", when, "GET", path, 200, size, IPHONE),  # a download
        combined("95.59.1.7", when, "GET", path, 200, size, IPHONE),  # the same, again
        combined("95.59.1.8", when, "HEAD", path, 200, 0, IPHONE),
        combined("95.59.1.9", when, "GET", path, 304, "-", IPHONE),
        combined("95.59.1.10", when, "GET", path, 206, 2, IPHONE),  # a bytes=0-1 probe
        combined("95.59.1.11", when, "GET", path, 206, size // 2, ANDROID),
        combined(
            "95.59.1.11", "03/Nov/2026:09:31:10 +0000", "GET", path, 206, size // 2 + 1, ANDROID
        ),  # two ranges adding up  # fmt: skip
        combined("66.249.66.1", when, "GET", path, 200, size, BOT),
        combined("95.59.1.12", when, "GET", f"/d/{key}", 200, size, IPHONE),  # the route's own
        combined("95.59.1.13", when, "GET", "/feed.xml", 200, 5000, IPHONE),
        "this is not a log line\n",
        combined("95.59.1.14", "99/Foo/2026:09:30:00 +0000", "GET", path, 200, size, IPHONE),
        '95.59.1.15 - - [03/Nov/2026:09:30:00 +0000] "GET /podcast-media/' + key[:10] + "\n",
    ]
    log = tmp_path / "access.log"
    log.write_text("".join(lines))
    report = ingest.ingest(db.session, str(log), "combined")
    assert report.broken == 3
    assert report.sources[0].lines == len(lines)
    assert counts() == {("2026-11-03", "Apple Podcasts", "KZ"): 1,
                        ("2026-11-03", "AntennaPod", "KZ"): 1}  # fmt: skip

    again = ingest.ingest(db.session, str(log), "combined")
    assert again.sources[0].lines == 0 and total() == 2

    with log.open("a") as handle:  # the log grows: only the new lines are read
        handle.write(combined("95.59.1.20", "04/Nov/2026:00:00:01 +0000", "GET", path, 200,
                              size, IPHONE))  # fmt: skip
        handle.write(combined("95.59.1.21", when, "GET", path, 200, size, IPHONE)[:-1])
    grown = ingest.ingest(db.session, str(log), "combined")
    assert grown.sources[0].lines == 1  # the unfinished last line waits for its newline
    assert counts()[("2026-11-04", "Apple Podcasts", "KZ")] == 1
    assert total() == 3


def test_a_replaced_log_file_is_read_afresh(app, episode, tmp_path):
    key, size = episode.audio.key, episode.audio.size_bytes
    log = tmp_path / "access.log"
    when = "03/Nov/2026:09:30:00 +0000"
    log.write_text(combined("95.59.1.7", when, "GET", f"/{key}", 200, size, IPHONE) * 3)
    ingest.ingest(db.session, str(log), "combined")
    log.write_text(combined("95.59.2.7", when, "GET", f"/{key}", 200, size, IPHONE))  # rotated
    ingest.ingest(db.session, str(log), "combined")
    assert total() == 2


def _cloudfront_line(cells: dict[str, str]) -> str:
    names = ingest._CLOUDFRONT_FIELDS
    return "\t".join(cells.get(name, "-") for name in names) + "\n"


def test_cloudfront_gzip_logs_with_ranges(app, episode, tmp_path):
    key, size = episode.audio.key, episode.audio.size_bytes
    agent = quote(quote(IPHONE, safe=""), safe="")  # as CloudFront writes it
    base = {"date": "2026-11-03", "time": "09:30:00", "cs-method": "GET",
            "cs-uri-stem": f"/media/{key}", "cs(User-Agent)": agent}  # fmt: skip
    half = size // 2
    lines = [
        "#Version: 1.0\n",
        "#Fields: " + " ".join(ingest._CLOUDFRONT_FIELDS) + "\n",
        _cloudfront_line({**base, "c-ip": "95.59.1.7", "sc-status": "206", "sc-bytes": "2",
                          "sc-range-start": "0", "sc-range-end": "1"}),  # a probe
        _cloudfront_line({**base, "c-ip": "95.59.1.7", "sc-status": "206",
                          "sc-bytes": str(half + 300), "sc-range-start": "0",
                          "sc-range-end": str(half)}),
        _cloudfront_line({**base, "c-ip": "95.59.1.8", "sc-status": "206",
                          "sc-bytes": str(half + 300), "sc-range-start": "0",
                          "sc-range-end": str(half)}),  # half a file: not a download
        _cloudfront_line({**base, "c-ip": "95.59.1.7", "sc-status": "206",
                          "sc-bytes": str(size), "sc-range-start": str(half - 10),
                          "sc-range-end": str(size - 1)}),
        _cloudfront_line({**base, "c-ip": "95.59.1.9", "sc-status": "304", "sc-bytes": "200"}),
        "2026-11-03\tbroken\n",
        _cloudfront_line({**base, "c-ip": "95.59.1.10", "sc-status": "200",
                          "sc-bytes": "many"}),  # fmt: skip
    ]  # fmt: skip
    log = tmp_path / "E2ABC.2026-11-03-09.abcd1234.gz"
    log.write_bytes(gzip.compress("".join(lines).encode()))
    report = ingest.ingest(db.session, str(log), "cloudfront")
    assert report.broken == 2
    assert counts() == {("2026-11-03", "Apple Podcasts", "KZ"): 1}
    again = ingest.ingest(db.session, str(log), "cloudfront")
    assert again.sources[0].skipped_already and total() == 1


def _s3_line(key: str, ip: str, operation: str, status: int, sent: int, size: int,
             agent: str) -> str:  # fmt: skip
    return (
        f"79a59df900b949e55d96a1e698fbaced logs-bucket [03/Nov/2026:09:30:00 +0000] {ip} - "
        f'3E57427F3EXAMPLE {operation} {quote(key)} "GET /media-bucket/{key} HTTP/1.1" '
        f'{status} - {sent} {size} 12 10 "-" "{agent}" - hostid= SigV4 '
        "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader media-bucket.s3.amazonaws.com TLSv1.3 - -\n"
    )


def test_s3_access_logs_from_a_bucket_prefix(app, episode, s3_endpoint, s3_bucket, runner):
    key, size = f"media/{episode.audio.key}", episode.audio.size_bytes
    first = (
        _s3_line(key, "95.59.1.7", "REST.GET.OBJECT", 200, size, size, IPHONE)
        + _s3_line(key, "95.59.1.8", "REST.HEAD.OBJECT", 200, 0, size, IPHONE)
        + _s3_line(key, "95.59.1.9", "REST.GET.OBJECT", 206, 2, size, IPHONE)
        + "not an access log line\n"
    )
    second = _s3_line(key, "2a02:6b8:0:1::5", "REST.GET.OBJECT", 200, size, size, ANDROID)
    client = s3_client(s3_endpoint)
    client.put_object(Bucket=s3_bucket, Key="logs/2026-11-03-09-30-00-AAAA", Body=first)
    client.put_object(Bucket=s3_bucket, Key="logs/2026-11-03-09-40-00-BBBB", Body=second)
    client.put_object(Bucket=s3_bucket, Key="other/unrelated", Body=first)
    source = f"s3://{s3_bucket}/logs/"
    report = ingest.ingest(db.session, source, "s3", endpoint_url=s3_endpoint)
    assert [s.broken for s in report.sources] == [1, 0]
    assert counts() == {("2026-11-03", "Apple Podcasts", "KZ"): 1,
                        ("2026-11-03", "AntennaPod", "RU"): 1}  # fmt: skip
    again = ingest.ingest(db.session, source, "s3", endpoint_url=s3_endpoint)
    assert all(s.skipped_already for s in again.sources) and total() == 2
    assert db.session.scalar(select(func.count()).select_from(IngestState)) == 2


def test_the_cli_reports_the_broken_lines(app: Flask, episode, tmp_path: Path, runner) -> None:
    log = tmp_path / "access.log"
    size = episode.audio.size_bytes
    line = combined("95.59.1.7", "03/Nov/2026:09:30:00 +0000", "GET", f"/{episode.audio.key}",
                    200, size, IPHONE)  # fmt: skip
    log.write_text(line + "garbage\n")
    result = runner.invoke(args=["analytics", "ingest", str(log), "--format", "combined"])
    assert result.exit_code == 0, result.output
    assert "2 lines read, 1 broken lines skipped" in result.output
    assert "1 downloads counted." in result.output
    missing = runner.invoke(args=["analytics", "ingest", str(tmp_path / "nope.log"),
                                  "--format", "combined"])  # fmt: skip
    assert missing.exit_code == 1 and "no log file" in missing.output
