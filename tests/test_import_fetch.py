"""Fetching a source feed and its media: redirects, compression, limits, and the address guard."""

from __future__ import annotations

import io
import shutil
import ssl
import subprocess
import threading
import zlib
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from support.feed_server import FeedServer, chunks, gzipped

from podcast.imports.fetch import (
    FEED_MAX_BYTES,
    FetchError,
    download_to,
    fetch_document,
    fetch_small,
)

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def refusal(call, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


def test_a_feed_arrives_with_its_type_and_a_user_agent_naming_the_service(
    feed_server: FeedServer,
) -> None:
    url = feed_server.add("/feed.xml", FEED)
    got = fetch_document(url, allow_private=True, site_url="https://pod.example")
    assert got.body == FEED
    assert got.url == got.final_url == url
    assert got.content_type.startswith("application/rss+xml")
    agent = feed_server.requests[-1].headers["User-Agent"]
    assert agent.startswith("podcast-publishing-service/1 (+import")
    assert "https://pod.example" in agent


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_feeds_are_unpacked(feed_server: FeedServer, encoding: str) -> None:
    if encoding == "gzip":
        body = gzipped(FEED)
    elif encoding == "deflate":
        body = zlib.compress(FEED)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = packer.compress(FEED) + packer.flush()
    name = "deflate" if encoding == "raw-deflate" else encoding
    url = feed_server.add("/feed.xml", body, headers={"Content-Encoding": name})
    assert fetch_document(url, allow_private=True).body == FEED
    assert "gzip" in feed_server.requests[-1].headers["Accept-Encoding"]


def test_a_301_then_302_chain_records_the_permanent_move_only(feed_server: FeedServer) -> None:
    feed_server.redirect("/old.xml", "/moved.xml", status=301)
    feed_server.redirect("/moved.xml", feed_server.url("/today.xml"), status=302)
    feed_server.add("/today.xml", FEED)
    got = fetch_document(feed_server.url("/old.xml"), allow_private=True)
    assert got.url == feed_server.url("/moved.xml")
    assert got.final_url == feed_server.url("/today.xml")
    assert got.body == FEED


def test_a_permanent_move_after_a_temporary_one_is_not_recorded(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=307)
    feed_server.redirect("/b", "/c", status=308)
    feed_server.add("/c", FEED)
    got = fetch_document(feed_server.url("/a"), allow_private=True)
    assert (got.url, got.final_url) == (feed_server.url("/a"), feed_server.url("/c"))


def test_308s_are_recorded_like_301s(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=308)
    feed_server.add("/b", FEED)
    assert fetch_document(feed_server.url("/a"), allow_private=True).url == feed_server.url("/b")


def test_a_redirect_loop_is_a_sentence(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=302)
    feed_server.redirect("/b", "/a", status=301)
    said = refusal(fetch_document, feed_server.url("/a"), allow_private=True)
    assert "redirects in a loop" in said


def test_an_endless_chain_of_redirects_stops_at_the_hop_limit(feed_server: FeedServer) -> None:
    for hop in range(15):
        feed_server.redirect(f"/{hop}", f"/{hop + 1}", status=302)
    said = refusal(fetch_document, feed_server.url("/0"), allow_private=True)
    assert "redirected more than 10 times" in said
    assert len(feed_server.requests) == 11


@pytest.mark.parametrize(
    ("status", "says"),
    [(404, "was not found at its host (404)"), (403, "refused access (403"), (503, "server error")],
)
def test_errors_at_the_source_name_the_status(
    feed_server: FeedServer, status: int, says: str
) -> None:
    url = feed_server.add("/feed.xml", b"nope", status=status, content_type="text/plain")
    assert says in refusal(fetch_document, url, allow_private=True)


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    parts = [packer.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, packer.flush()])


def test_a_gzip_bomb_is_refused_by_what_it_unpacks_to(feed_server: FeedServer) -> None:
    bomb = _gzip_of_zeros(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    url = feed_server.add("/feed.xml", bomb, headers={"Content-Encoding": "gzip"})
    said = refusal(fetch_document, url, allow_private=True)
    assert "unpacks to more than 20 MB" in said


def test_a_50_mb_feed_of_unknown_length_stops_at_the_default_limit(
    feed_server: FeedServer,
) -> None:
    url = feed_server.add("/feed.xml", chunks(50 * 1024 * 1024, fill=b"<item/>"))
    said = refusal(fetch_document, url, allow_private=True)
    assert f"is larger than {FEED_MAX_BYTES // 1024 // 1024} MB" in said


def test_a_declared_50_mb_feed_is_refused_before_reading_it(feed_server: FeedServer) -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for _ in range(50 * 16):
            sent.append(1)
            yield b"\0" * 65536

    url = feed_server.add("/feed.xml", body, headers={"Content-Length": str(50 * 1024 * 1024)})
    assert "is larger than 1 MB" in refusal(
        fetch_document, url, allow_private=True, max_bytes=1024 * 1024
    )
    assert len(sent) < 50 * 16


def test_small_files_have_a_small_limit(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/chapters.json", b"x" * (3 * 1024 * 1024), content_type="application/json"
    )
    assert "is larger than 2 MB" in refusal(fetch_small, url, allow_private=True)
    fine = feed_server.add("/c.json", b'{"version": "1.2.0", "chapters": []}')
    assert fetch_small(fine, allow_private=True).body.startswith(b"{")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "http:// and https:// addresses only"),
        ("ftp://example.org/feed.xml", "http:// and https:// addresses only"),
        ("http://127.0.0.1:9/feed.xml", "this machine itself"),
        ("http://localhost:9/feed.xml", "localhost (127.0.0.1) is this machine itself"),
        ("http://[::1]:9/feed.xml", "this machine itself"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.0.0.7/feed.xml", "The address 10.0.0.7 is on a private network"),
        ("http://metadata.google.internal/feed", "cloud metadata address"),
        ("https://user:pw@example.org/feed.xml", "user names and passwords"),
        ("http://no-such-host.invalid/feed.xml", "could not be found"),
        ("http://example.org:99999/feed.xml", "not a valid web address"),
    ],
)
def test_the_guard_refuses_what_is_not_the_public_internet(url: str, says: str) -> None:
    said = refusal(fetch_document, url, allow_private=False)
    assert says in said
    if "this machine" in says or "private" in says or "link-local" in says:
        assert "imports only fetch from the public internet" in said


def test_private_addresses_pass_only_when_allowed(feed_server: FeedServer) -> None:
    url = feed_server.add("/feed.xml", FEED)
    assert "this machine itself" in refusal(fetch_document, url, allow_private=False)
    assert feed_server.requests == []
    assert fetch_document(url, allow_private=True).body == FEED


def test_a_public_host_is_fetched_and_its_redirects_to_private_addresses_are_refused(
    feed_server: FeedServer, public_host: str
) -> None:
    feed_server.add("/feed.xml", FEED)
    assert fetch_document(public_host + "/feed.xml", allow_private=False).body == FEED
    feed_server.redirect("/to-loopback", feed_server.url("/feed.xml"), status=302)
    feed_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    feed_server.redirect("/to-file", "file:///etc/passwd")
    before = len(feed_server.requests)
    assert "this machine itself" in refusal(
        fetch_document, public_host + "/to-loopback", allow_private=False
    )
    assert "link-local" in refusal(
        fetch_document, public_host + "/to-metadata", allow_private=False
    )
    assert "http:// and https://" in refusal(
        download_to, public_host + "/to-file", io.BytesIO(), allow_private=False, max_bytes=10
    )
    # Only the redirecting hops arrived; the private target was never asked.
    assert [r.path for r in feed_server.requests[before:]] == [
        "/to-loopback",
        "/to-metadata",
        "/to-file",
    ]


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    """An https server on 127.0.0.1 whose certificate no trusted authority signed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = FeedServer().start()
    server.add("/feed.xml", FEED)
    assert server.server is not None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls = ThreadingHTTPServer(("127.0.0.1", 0), server.server.RequestHandlerClass)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    tls.daemon_threads = True
    threading.Thread(target=tls.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{tls.server_address[1]}/feed.xml"
    tls.shutdown()
    tls.server_close()
    server.stop()


def test_https_verifies_the_certificate(tls_server: str) -> None:
    said = refusal(fetch_document, tls_server, allow_private=True)
    assert "The secure connection to 127.0.0.1 failed" in said


# Media


def test_media_streams_through_tracking_redirects_with_progress(feed_server: FeedServer) -> None:
    audio = b"ID3" + bytes(range(256)) * 4000
    feed_server.add("/media/ep1.mp3", audio, content_type="audio/mpeg")
    # podtrac -> chartable -> the host's CDN, as a tracked enclosure URL goes.
    feed_server.redirect("/podtrac/redirect.mp3/chtbl/ep1.mp3", "/chtbl/ep1.mp3", status=302)
    feed_server.redirect("/chtbl/ep1.mp3", "/media/ep1.mp3", status=302)
    seen: list[tuple[int, int | None]] = []
    out = io.BytesIO()
    got = download_to(
        feed_server.url("/podtrac/redirect.mp3/chtbl/ep1.mp3"),
        out,
        allow_private=True,
        max_bytes=10 * 1024 * 1024,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert out.getvalue() == audio
    assert (got.final_url, got.size_bytes, got.content_type) == (
        feed_server.url("/media/ep1.mp3"),
        len(audio),
        "audio/mpeg",
    )
    assert seen[-1] == (len(audio), len(audio))
    assert len(seen) > 2 and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert feed_server.requests[-1].headers["Accept-Encoding"] == "identity"


def test_an_endless_enclosure_stops_at_the_limit(feed_server: FeedServer) -> None:
    url = feed_server.add("/live.mp3", chunks(-1), content_type="audio/mpeg")
    out = io.BytesIO()
    said = refusal(download_to, url, out, allow_private=True, max_bytes=2 * 1024 * 1024)
    assert "The enclosure" in said and "is larger than 2 MB" in said
    assert out.tell() <= 2 * 1024 * 1024


def test_a_2_gb_enclosure_is_refused_by_its_length_before_any_byte(
    feed_server: FeedServer,
) -> None:
    url = feed_server.add(
        "/huge.mp3",
        chunks(2 * 1024**3),
        content_type="audio/mpeg",
        headers={"Content-Length": str(2 * 1024**3)},
    )
    out = io.BytesIO()
    said = refusal(download_to, url, out, allow_private=True, max_bytes=600 * 1024 * 1024)
    assert "is larger than 600 MB, the largest file an import takes" in said
    assert out.getvalue() == b""


def test_an_enclosure_that_goes_quiet_is_given_up(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.mp3", chunks(10 * 65536, pause=2.0), content_type="audio/mpeg")
    said = refusal(download_to, url, io.BytesIO(), allow_private=True, max_bytes=10**7,
                   idle_timeout=0.3)  # fmt: skip
    assert "did not answer" in said or "stopped sending" in said


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", b"<p>Sign in to listen</p>"),
        ("audio/mpeg", b"\n<!DOCTYPE html><html><body>Episode not found</body></html>"),
    ],
)
def test_an_html_enclosure_is_a_web_page_not_audio(
    feed_server: FeedServer, content_type: str, body: bytes
) -> None:
    url = feed_server.add("/ep.mp3", body, content_type=content_type)
    out = io.BytesIO()
    said = refusal(download_to, url, out, allow_private=True, max_bytes=10**6)
    assert said == f"The enclosure {url} is a web page, not audio."
    assert out.getvalue() == b""


def test_a_404_enclosure_names_the_status(feed_server: FeedServer) -> None:
    said = refusal(download_to, feed_server.url("/gone.mp3"), io.BytesIO(), allow_private=True,
                   max_bytes=10**6)  # fmt: skip
    assert "(404)" in said


def test_urls_with_spaces_and_cyrillic_letters_are_fetched(feed_server: FeedServer) -> None:
    feed_server.add("/%D0%B0%D1%83%D0%B4%D0%B8%D0%BE/ep%201.mp3?t=%D1%8F", b"ID3 audio",
                    content_type="audio/mpeg")  # fmt: skip
    out = io.BytesIO()
    got = download_to(
        feed_server.url("/аудио/ep 1.mp3?t=я"), out, allow_private=True, max_bytes=100
    )
    assert out.getvalue() == b"ID3 audio" and got.size_bytes == 9
    # Escapes already in the URL are kept as they are, not escaped twice.
    feed_server.add("/a%2Fb.mp3", b"ID3 two", content_type="audio/mpeg")
    download_to(feed_server.url("/a%2Fb.mp3"), io.BytesIO(), allow_private=True, max_bytes=100)
    assert feed_server.requests[-1].path == "/a%2Fb.mp3"


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    def getaddrinfo(host: object, port: object, *args: object, **kwargs: object) -> object:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    said = refusal(fetch_document, "http://rebind.test/feed.xml", allow_private=False)
    assert said.startswith("The address rebind.test (10.1.2.3) is on a private network")


def test_an_ipv4_mapped_loopback_is_loopback() -> None:
    said = refusal(fetch_document, "http://[::ffff:127.0.0.1]:9/feed.xml", allow_private=False)
    assert "this machine itself" in said


def test_a_feed_that_trickles_past_the_time_limit_is_given_up(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.xml", chunks(-1, size=16, pause=0.05))
    said = refusal(fetch_document, url, allow_private=True, timeout=0.5, idle_timeout=5)
    assert said == f"Fetching {url} took too long; the import gave up."


def test_a_redirect_without_a_location_and_an_unknown_encoding_are_sentences(
    feed_server: FeedServer,
) -> None:
    url = feed_server.add("/moved", status=302, content_type=None)
    assert "answered 302 (a redirect) without saying where to" in refusal(
        fetch_document, url, allow_private=True
    )
    brotli = feed_server.add("/br.xml", b"\x8b\x02\x80", headers={"Content-Encoding": "br"})
    assert "with an encoding (br) that imports cannot read" in refusal(
        fetch_document, brotli, allow_private=True
    )
    broken = feed_server.add("/bad.xml", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    assert "sent compressed, but the data does not unpack" in refusal(
        fetch_document, broken, allow_private=True
    )
