"""Parsing source feeds: what each host's feed says arrives whole; what is not a feed is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from podcast.imports.fetch import FetchError
from podcast.imports.parse import (
    FeedError,
    npt_seconds,
    parse_chapters_json,
    parse_feed,
    parse_feed_page,
)
from podcast.imports.source import SourceChapter, SourceFunding, SourcePerson, SourceShow

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BASE = "https://old-host.example/shows/majlis/"


def parsed(name: str, url: str = BASE + "feed.xml") -> SourceShow:
    return parse_feed((FEEDS / name).read_bytes(), url)


def refused(body: bytes, url: str = BASE + "feed.xml") -> str:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url)
    assert isinstance(caught.value, FetchError)  # one except clause catches every source error
    return str(caught.value)


def test_libsyn_cdata_guids_owner_categories_and_content_encoded() -> None:
    show = parsed("libsyn.xml")
    assert (show.title, show.language, show.author) == ("Majlis", "en", "RFE/RL")
    assert (show.owner_name, show.owner_email) == ("Bruce Pannier", "majlis@rferl.org")
    assert show.categories == [["News", "Politics"], ["Society & Culture", None]]
    assert show.image_url == "https://ssl-static.libsyn.com/p/assets/1/2/3/4/majlis-3000.jpg"
    assert show.copyright == "Copyright 2023 RFE/RL" and show.subtitle == "Central Asia, weekly"
    assert show.locked is False and show.locked_owner_email == "majlis@rferl.org"
    first, trailer = show.episodes
    assert first.guid == "0c7f1c6e-3b1a-4f0e-9a1b-2f4b6e8d9c01"
    assert first.guid_is_enclosure_url is False
    assert first.description_html.startswith('<p>Guests discuss the <a href="https://www.rferl')
    assert first.summary == "Guests discuss the referendum."
    assert first.enclosure is not None
    assert first.enclosure.url == (
        "https://traffic.libsyn.com/secure/majlis/Majlis_112.mp3?dest-id=123456"
    )
    assert (first.enclosure.length, first.enclosure.mime_type) == (43455120, "audio/mpeg")
    assert (first.duration_seconds, first.number, first.explicit) == (2712.0, 112, False)
    assert first.published_at == datetime(2023, 11, 30, 17, 5, tzinfo=UTC)
    assert (trailer.episode_type, trailer.explicit, trailer.duration_seconds) == (
        "trailer",
        True,
        125.0,
    )


def test_buzzsprout_namespace_tags_are_all_kept() -> None:
    show = parsed("buzzsprout.xml")
    assert show.locked is True and show.locked_owner_email == "asia@example.org"
    assert show.podcast_guid == "e3a1c9d2-5b4f-5e6a-8d7c-0f1e2d3c4b5a"
    assert show.show_type == "serial"
    assert show.funding == [
        SourceFunding("https://www.buzzsprout.com/1234567/support", "Support the show")
    ]
    assert [p.name for p in show.persons] == ["Aigerim Toleukhanova"]
    episode = show.episodes[0]
    assert episode.guid == "Buzzsprout-13579246"
    assert (episode.season, episode.number) == (1, 2)
    # Every transcript and every person, not only the last of each (feedparser keeps one).
    assert [(t.mime_type, t.rel, t.language) for t in episode.transcripts] == [
        ("text/html", "captions", ""),
        ("application/x-subrip", "captions", ""),
        ("text/vtt", "", "ru"),
    ]
    assert episode.persons == [
        SourcePerson(
            "Aigerim Toleukhanova", "host", "cast", "https://www.rferl.org/author/aigerim"
        ),
        SourcePerson(
            "Aliya Nurlanova",
            "guest",
            "cast",
            "https://example.org/aliya",
            "https://storage.buzzsprout.com/people/aliya.jpg",
        ),
        SourcePerson("Marat Bekov", "editor", "writing"),
    ]
    assert episode.chapters_url == "https://www.buzzsprout.com/1234567/13579246/chapters.json"
    assert episode.published_at == datetime(2023, 11, 14, 10, 0, tzinfo=UTC)


def test_anchor_enclosures_keep_their_nested_tracking_url_exactly() -> None:
    show = parsed("anchor.xml")
    assert show.explicit is True and show.language == "ky"
    assert show.categories == [["Society & Culture", "Personal Journals"]]
    newest, bonus = show.episodes
    assert newest.enclosure is not None and newest.enclosure.url == (
        "https://anchor.fm/s/abcd1234/podcast/play/80123456/https%3A%2F%2Fd3ctxlq1ktw2nl"
        ".cloudfront.net%2Fstaging%2F2023-11-1%2F362741234-44100-2-abcdef0123456.mp3"
    )
    assert newest.guid == "7f0e9d8c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
    assert (newest.season, newest.number, newest.duration_seconds) == (2, 14, 1780.0)
    assert newest.link.endswith("/episodes/Ep-14---Night-Bazaar-e2c3d4f")
    assert bonus.episode_type == "bonus" and bonus.enclosure is not None
    assert bonus.enclosure.mime_type == "audio/x-m4a"


def test_castopod_location_funding_and_complete() -> None:
    show = parsed("castopod.xml")
    assert show.complete is True and show.copyright == "CC BY-SA 4.0"
    assert [f.label for f in show.funding] == ["Support Ozodi", "Liberapay"]
    episode = show.episodes[0]
    assert episode.guid == "https://pod.example.org/@tajik/episodes/falak-tonight"
    assert episode.location is not None
    assert (episode.location.name, episode.location.geo, episode.location.osm) == (
        "Dushanbe, Tajikistan",
        "geo:38.5598,68.7870",
        "R2214567",
    )
    assert episode.funding == [
        SourceFunding("https://pod.example.org/@tajik/funding/falak", "Support this episode")
    ]
    assert [(p.name, p.role) for p in episode.persons] == [
        ("Farrukh Yusufi", "host"),
        ("Davlatmand Kholov", "guest"),
    ]
    assert [t.language for t in episode.transcripts] == ["tg", ""]


def test_podbean_uses_the_old_namespace_uri_and_it_is_read_the_same() -> None:
    show = parsed("podbean.xml")
    assert show.podcast_guid == "0b2c4d6e-8f0a-5b1c-9d3e-5f7a9b1c3d5e"
    assert show.locked is False and show.locked_owner_email == "stories@example.org"
    cook, welcome = show.episodes
    assert cook.guid == "ozodstories.podbean.com/1f3a2b4c-5d6e-7f80-91a2-b3c4d5e6f708"
    assert cook.persons == [
        SourcePerson("Dilnoza Rahimova", "guest", "cast", "https://example.org/dilnoza")
    ]
    assert [t.mime_type for t in cook.transcripts] == ["text/vtt"]
    assert cook.published_at == datetime(2023, 11, 29, 1, 0, tzinfo=UTC)
    assert welcome.duration_seconds == 65.0 and welcome.episode_type == "trailer"


def test_megaphone_podtrac_prefix_and_a_zero_length() -> None:
    episode = parsed("megaphone.xml").episodes[0]
    assert episode.enclosure is not None
    assert episode.enclosure.url.startswith("https://www.podtrac.com/pts/redirect.mp3/chtbl.com/")
    assert episode.enclosure.length is None  # length="0" says nothing
    assert episode.guid == "a1b2c3d4-e5f6-11ee-9c1a-0b2c3d4e5f60"
    assert (episode.season, episode.number, episode.explicit) == (4, 48, False)
    assert "megaphone.fm/adchoices" in episode.description_html


@pytest.mark.parametrize(
    "uri",
    [
        "https://podcastindex.org/namespace/1.0",
        "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    ],
)
def test_both_podcast_namespace_uris_are_read(uri: str) -> None:
    body = f"""<?xml version="1.0"?>
    <rss version="2.0" xmlns:p="{uri}"><channel><title>N</title>
    <p:guid>g-1</p:guid><p:locked owner="a@b.org">yes</p:locked>
    <p:funding url="https://f.example/">Fund</p:funding>
    <item><title>I</title><guid>i-1</guid>
      <enclosure url="https://e.example/1.mp3" length="5" type="audio/mpeg"/>
      <p:season>2</p:season><p:episode>3</p:episode>
      <p:chapters url="c.json" type="application/json+chapters"/>
      <p:transcript url="t.srt" type="application/srt"/>
      <p:person role="Guest">G</p:person><p:person>H</p:person>
      <p:location geo="geo:1,2">Here</p:location>
    </item></channel></rss>""".encode()
    show = parse_feed(body, "https://x.example/feed.xml")
    assert (show.podcast_guid, show.locked, show.locked_owner_email) == ("g-1", True, "a@b.org")
    assert show.funding == [SourceFunding("https://f.example/", "Fund")]
    episode = show.episodes[0]
    assert (episode.season, episode.number) == (2, 3)
    assert episode.chapters_url == "https://x.example/c.json"
    assert episode.transcripts[0].url == "https://x.example/t.srt"
    assert [(p.name, p.role) for p in episode.persons] == [("G", "guest"), ("H", "host")]
    assert episode.location is not None and episode.location.name == "Here"


def test_podlove_simple_chapters_to_the_millisecond() -> None:
    episode = parsed("podlove.xml", "https://blog.example.org/feed/mp3/").episodes[0]
    assert episode.chapters == [
        SourceChapter(0.0, "Intro"),
        SourceChapter(
            62.5,
            "News",
            "https://example.org/news",
            "https://blog.example.org/feed/mp3/img/news.jpg",
        ),
        SourceChapter(3723.0, "Goodbye"),
    ]


def test_items_without_guid_take_their_enclosure_url_even_with_a_link() -> None:
    second, first = parsed("no-guids.xml").episodes
    assert second.guid == "http://old.example.org/audio/second.mp3"
    assert second.guid_is_enclosure_url is True
    assert second.link == "http://old.example.org/2009/02/second.html"
    assert first.guid == "http://old.example.org/audio/first.mp3"


def test_guids_are_kept_as_written_not_made_into_links() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>A</title><guid>episode-42</guid>
      <enclosure url="https://e.example/a.mp3" type="audio/mpeg" length="1"/></item>
      <item><title>B</title><guid isPermaLink="true">https://Example.org/Ep?B=1</guid>
      <enclosure url="https://e.example/b.mp3" type="audio/mpeg" length="1"/></item>
    </channel></rss>"""
    a, b = parse_feed(body, "https://feeds.example/show.xml").episodes
    assert (
        a.guid == "episode-42"
    )  # podcastparser alone would make it https://feeds.example/episode-42
    assert a.link == ""
    assert b.guid == "https://Example.org/Ep?B=1"


def test_relative_urls_are_resolved_against_the_final_url() -> None:
    show = parsed("relative.xml", "https://cdn.example/podcasts/rel/relative.xml")
    assert show.image_url == "https://cdn.example/podcasts/rel/art/cover.jpg"
    assert show.link == "https://cdn.example/podcasts/"
    assert show.funding[0].url == "https://cdn.example/donate"
    episode = show.episodes[0]
    assert episode.enclosure is not None
    assert episode.enclosure.url == "https://cdn.example/podcasts/rel/media/one.mp3"
    assert episode.image_url == "https://cdn.example/art/one.jpg"
    assert episode.link == "https://cdn.example/podcasts/rel/episodes/1"
    assert episode.chapters_url == "https://cdn.example/podcasts/rel/one/chapters.json"
    assert episode.transcripts[0].url == "https://cdn.example/podcasts/rel/one/transcript.vtt"
    assert episode.persons[0].href == "https://cdn.example/people/ana"
    assert episode.persons[0].img == "https://cdn.example/podcasts/rel/people/ana.jpg"


def test_cdata_and_entities_resolve_to_the_text_they_stand_for() -> None:
    show = parsed("cdata-entities.xml")
    assert show.title == "Tom & Jerry\u2019s <Show>"
    assert show.description_html == "<p>Escaped <b>HTML</b> in the channel</p>"
    qa, cyrillic = show.episodes
    assert qa.title == 'Q&A: <Live> "quoted"'
    assert qa.guid == "tag:example.org,2023:ep&1"
    assert qa.description_html == "<p>Keeps ]]> and &amp; as written</p>"
    assert qa.enclosure is not None and qa.enclosure.url == "https://example.org/a.mp3?x=1&y=2"
    assert (cyrillic.title, cyrillic.guid) == ("Мажлис", "М-2")
    assert cyrillic.description_html == "Only a summary"  # itunes:summary, the last resort


def test_a_duplicate_guid_keeps_the_first_and_an_item_without_audio_is_skipped() -> None:
    show = parsed("duplicate-guid.xml")
    assert [e.title for e in show.episodes] == ["Original"]
    assert show.problems == [
        "The item \u201cBlog post\u201d has no enclosure (no audio); it was skipped.",
        "The guid same-guid appears on more than one item of the feed; the first"
        " (\u201cOriginal\u201d) was kept.",
    ]


def test_a_feed_page_exposes_its_paging_links() -> None:
    page = parse_feed_page((FEEDS / "paged-1.xml").read_bytes(), "https://x.example/a/paged-1.xml")
    assert page.next_url == "https://x.example/a/paged-2.xml"
    assert page.self_url == "https://x.example/a/paged-1.xml"


def test_new_feed_url_is_exposed_as_given() -> None:
    body = b"""<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
      <channel><title>T</title>
      <itunes:new-feed-url> https://new.example/feed.xml </itunes:new-feed-url>
      </channel></rss>"""
    show = parse_feed(body, "https://old.example/feed.xml")
    assert show.new_feed_url == "https://new.example/feed.xml" and show.episodes == []


def test_chapters_json_in_order_without_silent_chapters() -> None:
    chapters = parse_chapters_json((FEEDS / "chapters.json").read_bytes(), "https://c.example/e/")
    assert chapters == [
        SourceChapter(0.0, "Intro"),
        SourceChapter(62.5, "News", "https://example.org/news", "https://c.example/e/img/news.jpg"),
        SourceChapter(3723.0, "Goodbye"),
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [(b"{not json", "not valid JSON"), (b'{"version": "1.2.0"}', "no list of chapters")],
)
def test_bad_chapters_json_is_a_sentence(body: bytes, says: str) -> None:
    with pytest.raises(FeedError, match=says):
        parse_chapters_json(body)


def test_npt_times() -> None:
    assert [npt_seconds(t) for t in ("1:02:03.5", "62:03", "3723.25", "soon")] == [
        3723.5,
        3723.0,
        3723.25,
        None,
    ]


# Bad input: each is refused with a sentence that says what the bytes are.

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        ("html", (FEEDS / "page-without-feed.html").read_bytes(), "is a web page, not an RSS"),
        ("json", (FEEDS / "json-feed.json").read_bytes(), "is JSON, not an RSS podcast feed"),
        ("png", PNG, "is an image, not a podcast feed"),
        ("mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00", "is an audio file, not a podcast feed"),
        ("empty", b"  \n", "is empty, not a feed"),
        ("text", b"Hello, this is not XML", "it is not XML"),
        ("atom", b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>', "Atom"),
        ("other-xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an RSS podcast feed"),
        ("no-channel", b"<rss version='2.0'></rss>", "not an RSS podcast feed"),
    ],
)
def test_what_is_not_a_feed_is_named(name: str, body: bytes, says: str) -> None:
    said = refused(body)
    assert said.startswith(BASE + "feed.xml ")
    assert says in said


def test_malformed_xml_says_where() -> None:
    said = refused((FEEDS / "malformed.xml").read_bytes())
    assert "is not well-formed XML (line 4" in said


def test_billion_laughs_is_refused_without_expanding() -> None:
    said = refused((FEEDS / "billion-laughs.xml").read_bytes())
    assert "declares its own XML entities" in said
    assert "lol" not in said


def test_billion_laughs_in_utf16_is_refused_too() -> None:
    body = (FEEDS / "billion-laughs.xml").read_text().replace('<?xml version="1.0"?>', "")
    said = refused(('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16"))
    assert "declares its own XML entities" in said


def test_an_external_entity_never_reads_the_file() -> None:
    said = refused((FEEDS / "external-entity.xml").read_bytes())
    assert "declares its own XML entities" in said
    assert "root:" not in said
    body = (FEEDS / "external-entity.xml").read_bytes().replace(b"<!ENTITY", b"<!ENTITY ")
    assert "root:" not in refused(body)


def test_a_windows_1251_feed_reads_as_cyrillic() -> None:
    body = """<?xml version="1.0" encoding="windows-1251"?>
    <rss version="2.0"><channel><title>Маджлис</title><image><url>/cover.jpg</url></image>
    <item><title>Выпуск</title><guid>выпуск-1</guid>
    <enclosure url="https://e.example/выпуск.mp3" type="audio/mpeg" length="5"/></item>
    </channel></rss>""".encode("windows-1251")
    show = parse_feed(body, "https://x.example/f.xml")
    assert (show.title, show.episodes[0].title, show.episodes[0].guid) == (
        "Маджлис",
        "Выпуск",
        "выпуск-1",
    )
    assert show.image_url == "https://x.example/cover.jpg"  # RSS <image>, without itunes:image


def test_an_rss_091_doctype_without_entities_is_read_and_its_dtd_never_fetched() -> None:
    body = b"""<?xml version="1.0"?>
    <!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
      "http://127.0.0.1:9/rss-0.91.dtd">
    <rss version="0.91"><channel><title>Old</title>
    <item><title>A</title><enclosure url="https://e.example/a.mp3" type="audio/mpeg"
    length="1"/></item></channel></rss>"""
    assert parse_feed(body, "https://x.example/f.xml").episodes[0].title == "A"
