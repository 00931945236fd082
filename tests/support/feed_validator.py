"""The W3C feed validator's rules for RSS 2.0 + iTunes feeds, as a small checker for the tests.

The W3C Feed Validation Service (w3c/feedvalidator) is not on PyPI and cannot be reached from
here, so the rules that apply to what this service writes are restated below, each under the
name of the message the validator logs (its logging.py classes), with its severity. They follow
its channel.py, item.py, itunes.py, image.py, link.py, validators.py and base.py:

- document: SAXError (well-formed XML), InvalidRSSVersion, UnknownNamespace and
  UnsupportedNamespace (the Podcasting 2.0 URIs), ReservedPrefix, BadCharacters (C1 controls and
  U+FFFD in any text or attribute), MisplacedItem;
- channel: MissingTitle/MissingLink/MissingDescription, MissingAtomSelfLink, MissingItunesElement
  (language, itunes:category, itunes:explicit), MissingItunesEmail, UndefinedElement,
  DuplicateElement, InvalidLanguage, InvalidFullLink, InvalidRFC2822Date, IncorrectDOW,
  ImplausibleDate, image rules (MissingTitle/MissingElement/MissingLink, ImageTitleDoesntMatch,
  ImageLinkDoesntMatch, ImageUrlFormat), atom:link rules (MissingHref, SelfNotAtom,
  SelfDoesntMatchLocation, UnregisteredAtomLinkRel);
- iTunes: InvalidTrueFalse, InvalidItunesCategory/ObsoleteItunesCategory, InvalidItunesChannelType,
  InvalidItunesEpisodeType, InvalidDuration, InvalidPositiveInteger, InvalidURLAttribute,
  MissingElement (itunes:email), InvalidAddrSpec, TooLong (255 / 4000 characters);
- item: ItemMustContainTitleOrDescription, MissingGuid, InvalidBooleanAttribute (isPermaLink),
  NotSufficientlyUnique, DuplicateValue (guid), NeedDescriptionBeforeContent, enclosure rules
  (MissingAttribute, InvalidIntegerAttribute, InvalidNonNegativeInteger, InvalidMIMEAttribute,
  UnsupportedItunesFormat, DuplicateEnclosure), UnexpectedAttribute;
- plain text ("nonhtml": titles, channel description, copyright, itunes author/subtitle/summary,
  owner name): ContainsHTML (an HTML end tag, or an HTML entity in the decoded text, unless the
  lines use hexadecimal references) and CharacterData (its subclass: "&#" or "<" + letter);
- HTML ("safeHtml": item description, content:encoded): NotHtml (html5lib strict parse errors,
  non-HTML tags), SecurityRisk, SecurityRiskAttr, DangerousStyleAttr, ContainsRelRef.

`check(xml, url)` returns every event found; tests assert on errors and warnings.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_tz
from html.entities import name2codepoint

import html5lib
from html5lib.html5parser import ParseError
from lxml import etree


def _words(text: str) -> set[str]:
    return set(text.split())


ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
KNOWN_NAMESPACES = {  # base.py's namespaces (those a podcast feed may use), uri -> prefix
    ITUNES: "itunes",
    ATOM: "atom",
    CONTENT: "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.w3.org/XML/1998/namespace": "xml",
}
UNSUPPORTED_NAMESPACES = {
    "https://podcastindex.org/namespace/1.0",
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
}
WARNING, ERROR = "warning", "error"
WARNINGS = _words(
    """
    UnknownNamespace UnsupportedNamespace ReservedPrefix BadCharacters MisplacedItem
    MissingAtomSelfLink MissingItunesElement MissingItunesEmail ImplausibleDate
    ImageTitleDoesntMatch ImageLinkDoesntMatch ImageUrlFormat SelfNotAtom
    SelfDoesntMatchLocation UnregisteredAtomLinkRel ObsoleteItunesCategory MissingGuid
    NotSufficientlyUnique NeedDescriptionBeforeContent UnsupportedItunesFormat
    DuplicateEnclosure ContainsHTML CharacterData NotHtml SecurityRisk SecurityRiskAttr
    DangerousStyleAttr ContainsRelRef NotBlank
    """
)

RSS_CHANNEL = {
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "textInput", "skipHours", "skipDays", "item",
}  # fmt: skip
RSS_ITEM = {
    "title", "link", "description", "author", "category", "comments", "enclosure", "guid",
    "pubDate", "source",
}  # fmt: skip
ITUNES_BOTH = {"author", "block", "explicit", "keywords", "subtitle", "summary", "image"}
ITUNES_CHANNEL = ITUNES_BOTH | {"owner", "category", "pubDate", "new-feed-url", "type"}
ITUNES_ITEM = ITUNES_BOTH | {"duration", "title", "episode", "season", "episodeType"}
ONCE_CHANNEL = {
    "title", "link", "description", "language", "copyright", "lastBuildDate", "pubDate",
    "docs", "generator", "image", "ttl", "managingEditor", "webMaster", "cloud",
}  # fmt: skip
ONCE_ITEM = {"title", "link", "description", "guid", "pubDate", "author", "comments", "source"}
ONCE_ITUNES = {
    "author", "block", "explicit", "keywords", "subtitle", "summary", "image", "owner",
    "pubDate", "new-feed-url", "type", "duration", "title", "episode", "season", "episodeType",
}  # fmt: skip
CORE_ATTRIBUTES = {"enclosure": {"url", "length", "type"}, "guid": {"isPermaLink"},
                   "category": {"domain"}, "source": {"url"}}  # fmt: skip
ITUNES_FORMATS = {"m4a", "mp3", "mov", "mp4", "m4v", "pdf", "epub"}
ATOM_RELATIONS = {
    "alternate", "current", "describedby", "edit", "edit-media", "enclosure", "first", "hub",
    "last", "license", "next", "next-archive", "payment", "prev-archive", "previous",
    "related", "replies", "search", "self", "service", "up", "via",
}  # fmt: skip
ITUNES_CATEGORIES = {
    "Arts": {"Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"},
    "Business": {"Careers", "Entrepreneurship", "Investing", "Management", "Marketing",
                 "Non-Profit"},
    "Comedy": {"Comedy Interviews", "Improv", "Stand-Up"},
    "Education": {"Courses", "How To", "Language Learning", "Self-Improvement"},
    "Fiction": {"Comedy Fiction", "Drama", "Science Fiction"},
    "Government": set(),
    "History": set(),
    "Health & Fitness": {"Alternative Health", "Fitness", "Medicine", "Mental Health",
                         "Nutrition", "Sexuality"},
    "Kids & Family": {"Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"},
    "Leisure": {"Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"},
    "Music": {"Music Commentary", "Music History", "Music Interviews"},
    "News": {"Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"},
    "Religion & Spirituality": {"Buddhism", "Christianity", "Hinduism", "Islam", "Judaism",
                                "Spirituality"},
    "Science": {"Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"},
    "Society & Culture": {"Documentary", "Personal Journals", "Philosophy", "Places & Travel",
                          "Relationships"},
    "Sports": {"Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf",
               "Hockey", "Rugby", "Running", "Soccer", "Swimming", "Tennis", "Volleyball",
               "Wilderness", "Wrestling"},
    "Technology": set(),
    "True Crime": set(),
    "TV & Film": {"After Shows", "Film History", "Film Interviews", "Film Reviews",
                  "TV Reviews"},
}  # fmt: skip
OLD_ITUNES_CATEGORIES = {
    "Arts & Entertainment", "Audio Blogs", "Family", "Food", "Games & Hobbies",
    "Government & Organizations", "Health", "International", "Movies & Television",
    "News & Politics", "Politics", "Public Radio", "Science & Medicine", "Sports & Recreation",
    "Talk Radio", "Transportation", "Travel",
}  # fmt: skip


# validators.py HTMLValidator: every HTML tag, and those it accepts without a security warning.
HTML_TAGS = _words(
    """
    a abbr acronym address applet area article aside audio b base basefont bdi bdo big
    blockquote body br button canvas caption center cite code col colgroup command data datagrid
    datalist dd del details dfn dialog dir div dl dt em eventsource fieldset figcaption figure
    font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img
    input ins isindex kbd label legend li link m main mark map menu meta meter nav noframes
    noscript object ol optgroup option output p param picture pre progress q rp rt ruby s samp
    script section select slot small source span strike strong style sub summary sup table tbody
    td template textarea tfoot th thead time title tr track tt u ul var xmp plaintext embed
    comment listing video wbr
    """
)
SAFE_TAGS = HTML_TAGS - _words(
    """
    applet base basefont body embed frame frameset head html iframe isindex link meta noframes
    object param plaintext script slot style title xmp listing comment
    """
)
SAFE_ATTRIBUTES = _words(
    """
    abbr accept accept-charset accesskey action align alt autocomplete autofocus autoplay axis
    background bgcolor border cellpadding cellspacing char charoff charset checked cite class
    clear color cols colspan compact contenteditable controls coords crossorigin datetime
    default dir disabled download draggable enctype face for form frame headers height hidden
    high href hreflang hspace icon id ismap itemprop itemscope itemtype kind label lang list
    loading loop low max maxlength media method min minlength multiple muted name nohref noshade
    nowrap open optimum pattern ping placeholder poster preload readonly referrerpolicy rel
    required rev reversed rows rowspan rules scope selected shape size sizes span spellcheck src
    srclang srcset start step summary tabindex target title translate type usemap valign value
    vspace width wrap xml:lang xmlns
    """
)
_MIME = re.compile(
    r'[^\s()<>,;:\\"/[\]?=]+/[^\s()<>,;:\\"/[\]?=]+'
    r'(\s*;\s*[^\s()<>,;:\\"/[\]?=]+=("(\\"|[^"])*"|[^\s()<>,;:\\"/[\]?=]+))*$'
)
_FULL_URI = re.compile(r"[a-zA-Z][0-9a-zA-Z+\-.]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$")
_HTTP_URL = re.compile(
    r"(http|https)://(([0-9]{1,3}\.){3}|([A-Z0-9\-]+\.)+)[A-Z0-9][-A-Z0-9]*(?::\d+)?(/|$)", re.I
)
_EMAIL = re.compile(
    r"[A-Z0-9_\-+.']+@(([0-9]{1,3}\.){3}|([A-Z0-9\-]+\.)+)[A-Z0-9][-A-Z0-9]*$", re.I
)
_RFC2822 = re.compile(
    r"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d\d? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d(:\d\d)? (([+-]?\d\d[03]0)|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$"
)
_DURATION = re.compile(r"\d+(:[0-5][0-9](:[0-5][0-9])?)?$")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_END_TAG = re.compile(r"</(\w+)>")
_ENTITY = re.compile(r"&(#?\w+)")
_CHARACTER_DATA = re.compile(r"&#[x0-9]|<[/a-zA-Z]")
_BAD_CHARACTERS = re.compile("[\x80-\x9f\ufffd]")
_HREFS = re.compile(r"<(?:a\s+[^>]*?href|img\s+[^>]*?src)=(?:\"(.*?)\"|'(.*?)'|([\w-]+))", re.I)


@dataclass(frozen=True)
class Event:
    """One message the validator would log."""

    name: str
    element: str
    detail: str = ""

    @property
    def severity(self) -> str:
        """warning or error, as the validator's class hierarchy says."""
        return WARNING if self.name in WARNINGS else ERROR

    def __str__(self) -> str:
        return f"{self.severity} {self.name} in {self.element}: {self.detail[:120]}"


class _Checker:
    def __init__(self, xml: bytes, url: str) -> None:
        self.events: list[Event] = []
        self.url = url
        self.lines = ["&#x" in line for line in xml.decode("utf-8", errors="replace").split("\n")]

    def log(self, name: str, element: str, detail: str = "") -> None:
        self.events.append(Event(name, element, detail))

    # -- shared rules (validators.py) ----------------------------------------------------------

    def nonhtml(self, element: etree._Element, name: str) -> None:
        value = (element.text or "").strip()
        tags = [t for t in _END_TAG.findall(value) if t.lower() in HTML_TAGS]
        start = (element.sourceline or 1) - 1
        hex_lines = any(self.lines[start : start + value.count("\n") + 1])
        if tags:
            self.log("ContainsHTML", name, f"</{tags[0]}> in {value!r}")
        elif _ENTITY.search(value):
            for entity in _ENTITY.findall(value):
                known = entity in name2codepoint or entity == "apos" or not entity.isalpha()
                if known and not hex_lines:
                    self.log("ContainsHTML", name, f"&{entity}; in {value!r}")
                    break
        elif _CHARACTER_DATA.search(value) and not hex_lines:
            self.log("CharacterData", name, value)

    def length_limited(self, element: etree._Element, name: str, limit: int) -> None:
        if len((element.text or "").strip()) > limit:
            self.log("TooLong", name, f"more than {limit} characters")
        self.nonhtml(element, name)

    def full_uri(self, value: str, name: str) -> None:
        if not _FULL_URI.match(value):
            self.log("InvalidFullLink", name, value)

    def http_url(self, value: str | None, name: str) -> None:
        if value is None:
            self.log("MissingAttribute", name)
        elif not (_HTTP_URL.match(value) and _FULL_URI.match(value)):
            self.log("InvalidURLAttribute", name, value)

    def rfc822(self, element: etree._Element, name: str) -> None:
        value = (element.text or "").strip()
        if not _RFC2822.match(value):
            self.log("InvalidRFC2822Date", name, value)
            return
        parsed = parsedate_tz(value)
        if (
            "," in value
            and time.strftime("%a", time.gmtime(calendar.timegm(parsed[:9]))) != (value[:3])
        ):
            self.log("IncorrectDOW", name, value)
        moment = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
        if parsed[0] < 1990 or moment > time.time() + 600:
            self.log("ImplausibleDate", name, value)

    def true_false(self, element: etree._Element, name: str) -> None:
        if (element.text or "").strip().lower() not in {"true", "false"}:
            self.log("InvalidTrueFalse", name, element.text or "")

    def positive_integer(self, element: etree._Element, name: str) -> None:
        try:
            ok = int((element.text or "").strip()) > 0
        except ValueError:
            ok = False
        if not ok:
            self.log("InvalidPositiveInteger", name, element.text or "")

    def safe_html(self, element: etree._Element, name: str) -> None:
        value = (element.text or "").strip()
        if "<?import " in value.lower():
            self.log("SecurityRisk", name, "?import")
        try:
            tree = html5lib.HTMLParser(strict=True).parseFragment(value)
        except ParseError as exc:
            self.log("NotHtml", name, f"{exc}: {value!r}")
            return
        for node in tree.iter():
            if not isinstance(node.tag, str) or node.tag == "DOCUMENT_FRAGMENT":
                continue
            tag = node.tag.split("}")[-1].lower()
            if tag not in HTML_TAGS:
                self.log("NotHtml", name, f"non-HTML tag {tag}")
            elif tag not in SAFE_TAGS:
                self.log("SecurityRisk", name, tag)
            else:
                for attribute in node.attrib:
                    attribute = attribute.split("}")[-1].lower()
                    if attribute == "style":
                        self.log("DangerousStyleAttr", name, node.attrib[attribute])
                    elif attribute not in SAFE_ATTRIBUTES and not attribute.startswith("data-"):
                        self.log("SecurityRiskAttr", name, attribute)
        for groups in _HREFS.findall(value):
            ref = next((g for g in groups if g), "").strip()
            if not re.match(r"\w+:", ref):
                self.log("ContainsRelRef", name, ref)

    def once(self, children: list[etree._Element], allowed: set[str], parent: str) -> None:
        seen: set[str] = set()
        for child in children:
            key = _local(child)
            if key in allowed and key in seen:
                self.log("DuplicateElement", f"{parent}/{key}")
            seen.add(key)

    # -- document --------------------------------------------------------------------------------

    def document(self, root: etree._Element) -> None:
        if root.tag != "rss" or root.get("version") != "2.0":
            self.log("InvalidRSSVersion", "rss", root.get("version") or "")
        for prefix, uri in root.nsmap.items():
            if uri in KNOWN_NAMESPACES:
                continue
            if prefix in KNOWN_NAMESPACES.values():
                self.log("ReservedPrefix", f"xmlns:{prefix}", uri)
            elif uri in UNSUPPORTED_NAMESPACES:
                self.log("UnsupportedNamespace", f"xmlns:{prefix}", uri)
            else:
                self.log("UnknownNamespace", f"xmlns:{prefix}", uri)
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            texts = [node.text or "", *node.attrib.values()]
            if any(_BAD_CHARACTERS.search(t) for t in texts):
                self.log("BadCharacters", _local(node))
        channels = root.findall("channel")
        if len(channels) != 1:
            self.log("MissingElement" if not channels else "DuplicateElement", "channel")
        for channel in channels:
            self.channel(channel)

    # -- channel ---------------------------------------------------------------------------------

    def channel(self, channel: etree._Element) -> None:
        children = [c for c in channel if isinstance(c.tag, str)]
        names = [_local(c) for c in children]
        for required, message in (("title", "MissingTitle"), ("link", "MissingLink"),
                                  ("description", "MissingDescription")):  # fmt: skip
            if required not in names:
                self.log(message, f"channel/{required}")
        first_item = names.index("item") if "item" in names else len(names)
        for later in names[first_item:]:
            if later in RSS_CHANNEL - {"item"} or later.startswith("itunes:"):
                self.log("MisplacedItem", f"channel/{later}")
                break
        self.once([c for c in children if c.tag in ONCE_CHANNEL], ONCE_CHANNEL, "channel")
        self.once([c for c in children if _ns(c) == ITUNES], {f"itunes:{n}" for n in ONCE_ITUNES},
                  "channel")  # fmt: skip
        title = link = None
        for child in children:
            name, ns = _local(child), _ns(child)
            if ns is None:
                if child.tag not in RSS_CHANNEL:
                    self.log("UndefinedElement", f"channel/{child.tag}")
                elif child.tag == "title":
                    title = (child.text or "").strip()
                    if not title:
                        self.log("NotBlank", "channel/title")
                    self.nonhtml(child, "channel/title")
                elif child.tag in {"description", "copyright"}:
                    self.nonhtml(child, f"channel/{child.tag}")
                elif child.tag == "link":
                    link = (child.text or "").strip()
                    self.full_uri(link, "channel/link")
                elif child.tag == "language":
                    if not _LANGUAGE.match((child.text or "").strip()):
                        self.log("InvalidLanguage", "channel/language", child.text or "")
                elif child.tag in {"pubDate", "lastBuildDate"}:
                    self.rfc822(child, f"channel/{child.tag}")
                elif child.tag == "docs":
                    self.full_uri((child.text or "").strip(), "channel/docs")
            elif ns == ITUNES:
                self.itunes(child, name, channel=True)
            elif ns == ATOM and child.tag == f"{{{ATOM}}}link":
                self.atom_link(child)
        for image in channel.findall("image"):
            self.image(image, title, link)
        if not any(c.tag == f"{{{ATOM}}}link" and c.get("rel") == "self" for c in children):
            self.log("MissingAtomSelfLink", "channel")
        if any(_ns(c) == ITUNES for c in channel.iter() if isinstance(c.tag, str)):
            for required in ("language", "itunes:category", "itunes:explicit"):
                if required not in names:
                    self.log("MissingItunesElement", f"channel/{required}")
            if "itunes:owner" not in names:
                self.log("MissingItunesEmail", "channel/itunes:email")
        guids: set[str] = set()
        for item in channel.findall("item"):
            self.item(item, guids)

    def image(self, image: etree._Element, title: str | None, link: str | None) -> None:
        parts = {c.tag: (c.text or "").strip() for c in image if isinstance(c.tag, str)}
        for required, message in (("title", "MissingTitle"), ("url", "MissingElement"),
                                  ("link", "MissingLink")):  # fmt: skip
            if required not in parts:
                self.log(message, f"image/{required}")
        if "title" in parts:
            self.nonhtml(image.find("title"), "image/title")
            if title and parts["title"] != title:
                self.log("ImageTitleDoesntMatch", "image/title", parts["title"])
        if "link" in parts:
            self.full_uri(parts["link"], "image/link")
            if link and parts["link"] != link:
                self.log("ImageLinkDoesntMatch", "image/link", parts["link"])
        if "url" in parts:
            self.full_uri(parts["url"], "image/url")
            extension = parts["url"].split(".")[-1].lower()
            if re.match(r"^\w+$", extension) and extension not in {"jpg", "jpeg", "gif", "png"}:
                self.log("ImageUrlFormat", "image/url", parts["url"])

    def atom_link(self, link: etree._Element) -> None:
        rel = link.get("rel", "alternate")
        if rel not in ATOM_RELATIONS and not _FULL_URI.match(rel):
            self.log("UnregisteredAtomLinkRel", "atom:link", rel)
        kind = link.get("type")
        if kind is not None and not _MIME.match(kind):
            self.log("InvalidMIMEType", "atom:link", kind)
        elif rel == "self" and kind and kind.split(";")[0] not in {
            "application/atom+xml", "application/rss+xml", "application/rdf+xml",
        }:  # fmt: skip
            self.log("SelfNotAtom", "atom:link", kind)
        href = link.get("href")
        if href is None:
            self.log("MissingHref", "atom:link")
        elif rel == "self" and href != self.url:
            self.log("SelfDoesntMatchLocation", "atom:link", href)

    # -- iTunes ----------------------------------------------------------------------------------

    def itunes(self, element: etree._Element, name: str, *, channel: bool) -> None:
        where = "channel" if channel else "item"
        allowed = ITUNES_CHANNEL if channel else ITUNES_ITEM
        tag = name.split(":", 1)[1]
        label = f"{where}/{name}"
        if tag not in allowed:
            self.log("UndefinedElement", label)
        elif tag == "explicit":
            self.true_false(element, label)
        elif tag in {"author", "subtitle", "keywords"}:
            self.length_limited(element, label, 255)
        elif tag == "summary":
            self.length_limited(element, label, 4000)
        elif tag == "image":
            self.http_url(element.get("href"), f"{label}@href")
        elif tag == "block" and (element.text or "").strip().lower() not in {"yes", "no", "clean"}:
            self.log("InvalidYesNoClean", label, element.text or "")
        elif tag == "type" and (element.text or "").strip() not in {"episodic", "serial"}:
            self.log("InvalidItunesChannelType", label, element.text or "")
        elif tag == "episodeType" and (element.text or "").strip() not in {
            "full", "trailer", "bonus",
        }:  # fmt: skip
            self.log("InvalidItunesEpisodeType", label, element.text or "")
        elif tag == "duration" and not _DURATION.match((element.text or "").strip()):
            self.log("InvalidDuration", label, element.text or "")
        elif tag in {"episode", "season"}:
            self.positive_integer(element, label)
        elif tag == "new-feed-url":
            self.full_uri((element.text or "").strip(), label)
        elif tag == "owner":
            email = element.find(f"{{{ITUNES}}}email")
            if email is None:
                self.log("MissingElement", "itunes:owner/itunes:email")
            else:
                self.nonhtml(email, "itunes:email")
                if not _EMAIL.match((email.text or "").strip()):
                    self.log("InvalidAddrSpec", "itunes:email", email.text or "")
            owner_name = element.find(f"{{{ITUNES}}}name")
            if owner_name is not None:
                self.length_limited(owner_name, "itunes:name", 255)
        elif tag == "category":
            self.category(element, ITUNES_CATEGORIES, OLD_ITUNES_CATEGORIES)

    def category(self, element: etree._Element, valid: dict | set, old: set) -> None:
        text = element.get("text")
        if text is None:
            self.log("MissingAttribute", "itunes:category@text")
        elif text not in valid:
            self.log("ObsoleteItunesCategory" if text in old else "InvalidItunesCategory",
                     "itunes:category", text)  # fmt: skip
        for sub in element.findall(f"{{{ITUNES}}}category"):
            subs = valid.get(text, set()) if isinstance(valid, dict) else set()
            if sub.get("text") not in subs:
                self.log("InvalidItunesCategory", "itunes:category/itunes:category",
                         sub.get("text") or "")  # fmt: skip

    # -- item ------------------------------------------------------------------------------------

    def item(self, item: etree._Element, guids: set[str]) -> None:
        children = [c for c in item if isinstance(c.tag, str)]
        names = [_local(c) for c in children]
        if "title" not in names and "description" not in names:
            self.log("ItemMustContainTitleOrDescription", "item")
        if "guid" not in names:
            self.log("MissingGuid", "item/guid")
        self.once([c for c in children if c.tag in ONCE_ITEM], ONCE_ITEM, "item")
        self.once([c for c in children if _ns(c) == ITUNES], {f"itunes:{n}" for n in ONCE_ITUNES},
                  "item")  # fmt: skip
        if names.count("enclosure") > 1:
            self.log("DuplicateEnclosure", "item/enclosure")
        for child in children:
            name, ns = _local(child), _ns(child)
            for attribute in child.attrib:
                if (
                    ns is None
                    and "}" not in attribute
                    and (attribute not in CORE_ATTRIBUTES.get(child.tag, set()))
                ):
                    self.log("UnexpectedAttribute", f"item/{child.tag}@{attribute}")
            if ns is None:
                if child.tag not in RSS_ITEM:
                    self.log("UndefinedElement", f"item/{child.tag}")
                elif child.tag == "title":
                    if not (child.text or "").strip():
                        self.log("NotBlank", "item/title")
                    self.nonhtml(child, "item/title")
                elif child.tag == "description":
                    self.safe_html(child, "item/description")
                elif child.tag == "link":
                    self.full_uri((child.text or "").strip(), "item/link")
                elif child.tag == "pubDate":
                    self.rfc822(child, "item/pubDate")
                elif child.tag == "enclosure":
                    self.enclosure(child)
                elif child.tag == "guid":
                    self.guid(child, guids)
            elif ns == ITUNES:
                self.itunes(child, name, channel=False)
            elif ns == CONTENT and name == "content:encoded":
                if "description" not in names[: names.index("content:encoded")]:
                    self.log("NeedDescriptionBeforeContent", "item/content:encoded")
                self.safe_html(child, "item/content:encoded")

    def enclosure(self, enclosure: etree._Element) -> None:
        length = enclosure.get("length")
        if length is None:
            self.log("MissingAttribute", "enclosure@length")
        else:
            try:
                if int(length) < 0:
                    self.log("InvalidNonNegativeInteger", "enclosure@length", length)
            except ValueError:
                self.log("InvalidIntegerAttribute", "enclosure@length", length)
        kind = enclosure.get("type")
        if kind is None:
            self.log("MissingAttribute", "enclosure@type")
        elif not _MIME.match(kind):
            self.log("InvalidMIMEAttribute", "enclosure@type", kind)
        url = enclosure.get("url")
        self.http_url(url, "enclosure@url")
        if url and url.split(".")[-1] not in ITUNES_FORMATS:
            self.log("UnsupportedItunesFormat", "enclosure@url", url)

    def guid(self, guid: etree._Element, guids: set[str]) -> None:
        value = (guid.text or "").strip()
        permalink = guid.get("isPermaLink", "true")
        if permalink not in {"true", "false"}:
            self.log("InvalidBooleanAttribute", "guid@isPermaLink", permalink)
        if permalink == "true":
            if not _FULL_URI.match(value) or value.lower().startswith(("tag:", "urn:uuid:")):
                self.log("InvalidHttpGUID", "guid", value)
        elif len(value) < 9 and value.isdigit():
            self.log("NotSufficientlyUnique", "guid", value)
        if not value:
            self.log("NotBlank", "guid")
        elif value in guids:
            self.log("DuplicateValue", "guid", value)
        guids.add(value)


def _ns(element: etree._Element) -> str | None:
    return etree.QName(element).namespace


def _local(element: etree._Element) -> str:
    qname = etree.QName(element)
    prefix = {ITUNES: "itunes", ATOM: "atom", CONTENT: "content"}.get(qname.namespace or "")
    if qname.namespace and prefix is None:
        return f"{{{qname.namespace}}}{qname.localname}"
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def check(xml: bytes, url: str) -> list[Event]:
    """Every event the W3C validator's RSS 2.0 + iTunes rules log for this feed at `url`."""
    checker = _Checker(xml, url)
    try:
        root = etree.fromstring(xml, etree.XMLParser(recover=False, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        return [Event("SAXError", "document", str(exc))]
    checker.document(root)
    return checker.events


def problems(xml: bytes, url: str, *, allow: set[str] = frozenset()) -> list[str]:
    """Errors and warnings, as readable lines, leaving out the event names in `allow`."""
    return [str(e) for e in check(xml, url) if e.name not in allow]
