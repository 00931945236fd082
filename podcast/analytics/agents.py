"""Which app asked: podcast apps, platforms, browsers and bots, named from the user agent.

Our own patterns, written from what each app's requests are known to send. A user agent is
cut to AGENT_MAX characters before anything looks at it, so a 10 kB header costs what a short
one does; results are cached, as a few thousand agents make nearly all requests.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Real user agents are under 300 characters; the rest of a longer one is never read.
AGENT_MAX = 512

APPLE = "Apple Podcasts"
BROWSER = "Browser"
OTHER = "Other"


class Agent(NamedTuple):
    """What a user agent says: the app's display name, a bot, an Apple Watch."""

    app: str
    bot: bool = False
    watch: bool = False


# Crawlers that name a podcast company (feed parsers, directories' checkers): looked at first,
# so that "Pocket Casts Feed Parser" is a bot and not the Pocket Casts app.
_NAMED_BOTS = (
    "feed parser", "feedparser", "feedfetcher", "feed fetcher", "podcastindex", "podcast index",
    "podchaser", "podnews", "chartable", "podcorn", "headlesschrome", "phantomjs",
    "facebookexternalhit", "twitterbot", "slackbot", "discordbot", "whatsapp", "telegrambot",
    "lighthouse", "pingdom", "uptimerobot", "statuscake", "datadog", "newrelic",
    "amazon cloudfront", "amazon-route53", "ia_archiver", "archive.org_bot",
)  # fmt: skip

# (tokens any of which names the app, display name), in order: the first that matches wins.
_APPS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("spotify/", "spotify "), "Spotify"),
    (("overcast/", "overcast "), "Overcast"),
    (("pocket casts", "pocketcasts", "pocket%20casts"), "Pocket Casts"),
    (("castbox", "fm.castbox"), "Castbox"),
    (("podcastaddict", "podcast addict"), "Podcast Addict"),
    (("antennapod",), "AntennaPod"),
    (("podcast republic", "podcastrepublic", "podcast%20republic"), "Podcast Republic"),
    (("castro",), "Castro"),
    (("podbean",), "Podbean"),
    (("iheartradio",), "iHeartRadio"),
    (("deezer",), "Deezer"),
    (("player fm", "playerfm"), "Player FM"),
    (("podverse",), "Podverse"),
    (("fountain",), "Fountain"),
    (("gpodder",), "gPodder"),
    (("tunein",), "TuneIn"),
    (("stitcher",), "Stitcher"),
    (("downcast",), "Downcast"),
    (("google-podcast", "googlepodcasts", "google podcasts", "com.google.android.apps.podcasts"),
     "Google Podcasts"),
    (("googlechirp", "google home", "crkey/"), "Google Assistant"),
    (("youtube music", "com.google.android.apps.youtube.music"), "YouTube Music"),
    (("alexamediaplayer", "alexa", "echo/"), "Alexa"),
    (("amazonmusic", "amazon music", "amazon%20music"), "Amazon Music"),
    (("sonos",), "Sonos"),
    (("applecoremedia", "itunes", "podcasts/", "apple podcasts", "applepodcasts",
      "com.apple.podcasts", "watchos", "homepod", "audioos", "carplay", "atc/"), APPLE),
)  # fmt: skip

# Generic signs of a program rather than a listener, checked after the apps (an Android phone
# model such as "CUBOT" must not make Spotify a bot).
_GENERIC_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|curl/|wget|python|go-http-client|libwww|"
    r"java/|apache-httpclient|node-fetch|axios/|aiohttp|httpx|okhttp/[0-9.]+$|"
    r"ruby|perl|php/|guzzle|mechanize|monitor|check_http|zgrab|masscan|nmap",
    re.ASCII,
)
_BROWSER = re.compile(r"mozilla/|opera/", re.ASCII)
_WATCH = ("watchos", "(watch;", "apple watch", "model/watch", "watch os")


@lru_cache(maxsize=8192)
def _classify(agent: str) -> Agent:
    lowered = agent.lower()
    if not lowered.strip():
        return Agent(OTHER, bot=True)  # no user agent at all: a script, not an app
    if any(token in lowered for token in _NAMED_BOTS):
        return Agent(OTHER, bot=True)
    for tokens, name in _APPS:
        if any(token in lowered for token in tokens):
            watch = name == APPLE and any(token in lowered for token in _WATCH)
            return Agent(name, watch=watch)
    if _GENERIC_BOT.search(lowered):
        return Agent(OTHER, bot=True)
    if _BROWSER.match(lowered):
        return Agent(BROWSER)
    return Agent(OTHER)


def classify(user_agent: str | None) -> Agent:
    """The app, and whether a bot or an Apple Watch sent this user agent (cut first)."""
    return _classify((user_agent or "")[:AGENT_MAX])
