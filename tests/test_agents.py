"""Apps, platforms and bots named from user agents as those apps really send them."""

from __future__ import annotations

import pytest

from podcast.analytics.agents import AGENT_MAX, classify


@pytest.mark.parametrize(
    ("agent", "app"),
    [
        ("AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)", "Apple Podcasts"),  # noqa: E501
        ("AppleCoreMedia/1.0.0.21E236 (iPad; U; CPU OS 17_4 like Mac OS X; en_us)", "Apple Podcasts"),  # noqa: E501
        ("Podcasts/1650.20 CFNetwork/1410.0.3 Darwin/22.4.0", "Apple Podcasts"),
        ("AppleCoreMedia/1.0.0.23A341 (Macintosh; U; Intel Mac OS X 14_0; en_us)", "Apple Podcasts"),  # noqa: E501
        ("AppleCoreMedia/1.0.0.21L227 (HomePod; U; CPU OS 17_4 like Mac OS X; en_us)", "Apple Podcasts"),  # noqa: E501
        ("Podcasts/4023.500.2 (CarPlay) CFNetwork/1494.0.7 Darwin/23.4.0", "Apple Podcasts"),
        ("iTunes/12.12.10 (Windows; Microsoft Windows 10 x64) AppleWebKit/7613.2007", "Apple Podcasts"),  # noqa: E501
        ("Spotify/8.9.28 iOS/17.4.1 (iPhone14,5)", "Spotify"),
        ("Spotify/8.9.30 Android/34 (SM-S918B)", "Spotify"),
        ("Spotify/8.8.0 Android/30 (CUBOT X30)", "Spotify"),
        ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", "Overcast"),
        ("Pocket Casts", "Pocket Casts"),
        ("PocketCasts/7.58 (iOS 17.4)", "Pocket Casts"),
        ("CastBox/8.26.1-230606063 (Linux;Android 13) ExoPlayerLib/2.10.4", "Castbox"),
        ("PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)", "Podcast Addict"),
        ("AntennaPod/3.3.2", "AntennaPod"),
        ("Podcast Republic/25.6 (Linux; Android 14)", "Podcast Republic"),
        ("Mozilla/5.0 (Linux; Android 10) GoogleChirp/1.0", "Google Assistant"),
        ("Google-Podcast/1.0 (Linux; Android 13)", "Google Podcasts"),
        ("AlexaMediaPlayer/2.1.4676.0 (Linux;Android 5.1.1) ExoPlayerLib/1.5.9", "Alexa"),
        ("Echo/1.0(APNG)", "Alexa"),
        ("AmazonMusic/23.5.0 iPhone14,2 CFNetwork/1410 Darwin/22.6.0", "Amazon Music"),
        ("Linux UPnP/1.0 Sonos/78.1-51030 (ZPS38)", "Sonos"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36", "Browser"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Browser"),
        ("SomeNewApp/1.0", "Other"),
    ],
)  # fmt: skip
def test_apps_are_named(agent: str, app: str) -> None:
    found = classify(agent)
    assert (found.app, found.bot, found.watch) == (app, False, False)


@pytest.mark.parametrize(
    "agent",
    [
        "atc/1.0 watchOS/10.4 model/Watch6,2 hwp/t8301 build/21T216 (6; dt:229)",
        "AppleCoreMedia/1.0.0.21T216 (Apple Watch; U; CPU OS 10_4 like Mac OS X; en_us)",
        "Podcasts/4023.500.2 watchOS/10.4",
    ],
)
def test_apple_watch_is_apple_podcasts_marked_as_a_watch(agent: str) -> None:
    found = classify(agent)
    assert found.app == "Apple Podcasts" and found.watch


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)",
        "Podcastindex.org/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "Go-http-client/2.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
        "UptimeRobot/2.0",
        "",
        "   ",
    ],
)
def test_bots_and_scripts_are_bots(agent: str) -> None:
    assert classify(agent).bot


def test_a_huge_user_agent_is_read_only_as_far_as_the_cap() -> None:
    assert classify("Overcast/3.0 (+http://overcast.fm/) " + "x" * 10_000).app == "Overcast"
    assert classify("x" * AGENT_MAX + "Overcast/3.0").app == "Other"
    assert classify("x" * 10_000 + "bot").bot is False
    assert classify(None).bot
