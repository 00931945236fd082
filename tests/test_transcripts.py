"""Transcripts keep every word in WebVTT readers: & and < escaped, WebVTT's own tags kept."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import webvtt
from lxml import etree

from podcast.extensions import db
from podcast.models import MediaAsset
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, update_episode
from podcast.services.shows import update_show
from podcast.services.transcripts import WEBVTT_TAGS, parse_transcript, to_vtt
from podcast.services.uploads import Upload

PODCAST = "{https://podcastindex.org/namespace/1.0}"
SRT = '1\n00:00:00,000 --> 00:00:02,000\nTom & Jerry <3\n\n2\n00:00:02,000 --> 00:00:04,000\n<i>R&amp;D</i> <font color="red">a < b</font>\n'  # noqa: E501
VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Tom &amp; Jerry>Tom & Jerry <3\n\n"
    "00:00:02.000 --> 00:00:04.000\n<c.loud>Loud</c> &amp; <b>bold</b> &lt;tag&gt;\n"
)
_TAG = re.compile(r"</?([a-z]+)(\.[^\s.<>&]+)*( [^<>\n]*)?>|<(\d+:)?\d{2}:\d{2}\.\d{3}>")
_REF = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#[xX][0-9A-Fa-f]+);")


def assert_cue_text_is_clean(vtt: str) -> None:
    """Every & starts a character reference and every < a tag WebVTT defines (as Chromium reads)."""
    for block in vtt.split("\n\n")[1:]:
        text = block.split("\n", 1)[1]
        for at in (m.start() for m in re.finditer("&", text)):
            assert _REF.match(text, at), f"bare & in {text!r}"
        for at in (m.start() for m in re.finditer("<", text)):
            tag = _TAG.match(text, at)
            assert tag, f"bare < in {text!r}"
            assert tag.group(1) is None or tag.group(1) in WEBVTT_TAGS


@pytest.mark.parametrize("source", [SRT, VTT], ids=["srt", "vtt"])
def test_conversion_escapes_text_and_keeps_webvtt_tags(source):
    vtt = to_vtt(parse_transcript(source.encode()))
    assert_cue_text_is_clean(vtt)
    cues = parse_transcript(vtt.encode())  # what the episode page shows, read back
    assert cues[0].text == "Tom & Jerry <3"
    if source is SRT:
        assert "<i>R&amp;amp;D</i>" in vtt  # SRT has no references: the text says "&amp;"
        assert cues[1].text == "R&amp;D a < b"
    else:
        assert cues[0].speaker == "Tom & Jerry"
        assert "<v Tom &amp; Jerry>" in vtt and "<c.loud>Loud</c>" in vtt and "<b>bold</b>" in vtt
        assert cues[1].text == "Loud & bold <tag>"
    assert [c.text for c in webvtt.from_buffer(io.StringIO(vtt))]  # still WebVTT


def test_uploaded_vtt_with_a_bare_ampersand_is_served_escaped(client, make_episode, storage):
    episode = make_episode()
    upload = Upload(io.BytesIO(VTT.encode()), "t.vtt")
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, Attachments(transcript=upload),
                   max_bytes=2**30)  # fmt: skip
    served = client.get(f"/episodes/{episode.slug}/transcript.vtt").get_data(as_text=True)
    assert "Tom &amp; Jerry &lt;3" in served
    assert_cue_text_is_clean(served)
    page = client.get(f"/shows/majlis/episodes/{episode.slug}").get_data(as_text=True)
    assert "Tom &amp; Jerry &lt;3" in page  # the page shows the words, HTML-escaped once


# What to_vtt wrote before cue text was escaped: the text as is, the speaker as a voice tag.
OLD_VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n<v Tom & Jerry>Tom & Jerry <3\n\n"
    "00:00:02.000 --> 00:00:04.000\nR&D <script>x</script> a < b\n"
)


def test_a_transcript_stored_before_the_escaping_is_served_escaped(client, make_episode, storage):
    episode = make_episode()
    data = OLD_VTT.encode()
    key = f"episodes/{episode.guid}/old-transcript.vtt"
    storage.put(key, io.BytesIO(data), content_type="text/vtt", size=len(data))
    episode.transcript = MediaAsset(
        key=key, kind="transcript", mime_type="text/vtt", size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), episode_guid=episode.guid,
    )  # fmt: skip
    db.session.commit()
    url = f"/episodes/{episode.slug}/transcript.vtt"
    response = client.get(url)
    served = response.get_data(as_text=True)
    assert_cue_text_is_clean(served)
    assert "<v Tom &amp; Jerry>Tom &amp; Jerry &lt;3" in served
    assert "R&amp;D &lt;script&gt;x&lt;/script&gt; a &lt; b" in served
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # Served again as stored, it stays the same: escaping what is escaped changes nothing.
    again = to_vtt(parse_transcript(response.data)).encode()
    assert again == response.data


def test_a_transcript_stored_escaped_is_served_byte_for_byte(client, make_episode, storage):
    episode = make_episode()
    upload = Upload(io.BytesIO(VTT.encode()), "t.vtt")
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, Attachments(transcript=upload),
                   max_bytes=2**30)  # fmt: skip
    stored = b"".join(storage.open_range(episode.transcript.key))
    assert client.get(f"/episodes/{episode.slug}/transcript.vtt").data == stored


def test_feed_states_the_transcript_language_the_show_s_by_default(
    client, make_episode, storage, show
):  # noqa: E501
    episode = make_episode()
    upload = Upload(io.BytesIO(VTT.encode()), "t.vtt")
    data = parse_episode_input({}, partial=True, timezone="UTC")
    update_episode(db.session, storage, episode, data, Attachments(transcript=upload),
                   max_bytes=2**30)  # fmt: skip

    def language() -> str:
        root = etree.fromstring(client.get("/feed.xml").data)
        return root.find(f".//item/{PODCAST}transcript").get("language")

    assert language() == "en"
    update_show(db.session, show, {"language": "ru"})
    assert language() == "ru"
