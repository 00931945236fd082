"""The show's settings: checked, stored, and the podcast:guid minted once."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from podcast.errors import ValidationError
from podcast.feed.categories import parse_category
from podcast.models import Show, ShowType, utcnow
from podcast.services import queries
from podcast.services.fields import choose_sentence, parse_bool
from podcast.services.markup import has_control_characters, xml_safe
from podcast.services.uploads import Upload, ingest_image, replace_asset
from podcast.storage import Storage

PODCAST_NAMESPACE_GUID = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_FIELDS = {
    "title": 255, "subtitle": 255, "author": 255, "owner_name": 255, "copyright": 255,
    "funding_label": 128, "apple_verify": 128,
}  # fmt: skip
URL_FIELDS = ("website", "funding_url", "new_feed_url")
# The subscribe links a show may list, in the order pages show them, with their names.
DIRECTORIES = {
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    # Podcasts on YouTube are listened to in YouTube Music, the app Google moved them to.
    "youtube": "YouTube Music",
    "pocketcasts": "Pocket Casts",
    "overcast": "Overcast",
    "podcastindex": "Podcast Index",
    "amazon": "Amazon Music",
}


def podcast_guid_for(feed_url: str) -> str:
    """UUIDv5 of the feed URL without scheme and trailing slashes (Podcasting 2.0 rule)."""
    name = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE_GUID, name))


def bump_revision(show: Show, now: datetime | None = None, *, public: bool = True) -> None:
    """Mark the show as changed (the feed and page caches compare this); `public` when what
    listeners see changed, which moves the feed's content time forward (never back)."""
    now = now or utcnow()
    if sa_inspect(show).persistent:
        # In SQL, not from the copy in memory: two edits that read the same revision must not
        # both write revision + 1, or caches would keep what the first one rendered.
        show.revision = Show.revision + 1
    else:
        show.revision = (show.revision or 0) + 1
    show.updated_at = now
    if public:
        show.content_at = max(show.content_at, now) if show.content_at else now


def bump_current_show(session: Session, now: datetime | None = None) -> None:
    """The show's public content changed (a guest's page or name): bump it, if it exists yet."""
    show = queries.current_show(session)
    if show is not None:
        bump_revision(show, now)


def _check_url(value: Any, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    if text and (not re.match(r"^https?://[^\s]+$", text) or has_control_characters(text)):
        errors[name] = "Must be a full URL starting with https://."
    return text[:500]


def apply_show_settings(show: Show, raw: dict[str, Any]) -> None:
    """Check and apply the given fields to the show; raises ValidationError naming bad ones."""
    errors: dict[str, str] = {}
    for name, limit in TEXT_FIELDS.items():
        if name in raw:
            value = str(raw[name] or "").strip()
            if name == "title" and not value:
                errors[name] = "Required."
            elif len(value) > limit:
                errors[name] = f"At most {limit} characters."
            elif has_control_characters(value) or "\n" in value:
                errors[name] = "One line, without control characters."
            else:
                setattr(show, name, value)
    if "description" in raw:
        value = xml_safe(str(raw["description"] or "").replace("\r\n", "\n").strip())
        if not value:
            errors["description"] = "Required: Apple refuses a show without a description."
        elif len(value.encode()) > 4000:
            errors["description"] = "At most 4000 bytes (Apple's limit)."
        else:
            show.description = value
    if "owner_email" in raw:
        value = str(raw["owner_email"] or "").strip()
        if not _EMAIL.match(value):
            errors["owner_email"] = "A valid email: Apple and Spotify send ownership codes there."
        else:
            show.owner_email = value
    if "language" in raw:
        value = str(raw["language"] or "").strip()
        if not _LANGUAGE.match(value) or len(value) > 16:
            errors["language"] = "An ISO 639 code such as en, ru or uz-Latn."
        else:
            show.language = value
    if "timezone" in raw:
        value = str(raw["timezone"] or "").strip()
        try:
            ZoneInfo(value)
            show.timezone = value
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = "A time zone name such as Europe/Prague."
    if "categories" in raw:
        values = raw["categories"]
        values = [values] if isinstance(values, str) else list(values or [])
        try:
            parsed = [
                parse_category(v if isinstance(v, str) else " > ".join(x for x in v if x))
                for v in values
                if v
            ]
            if not parsed:
                raise ValueError("Apple requires at least one category")
            show.categories = parsed
        except (ValueError, TypeError) as exc:
            errors["categories"] = str(exc) + "."
    for name in URL_FIELDS:
        if name in raw:
            setattr(show, name, _check_url(raw[name], name, errors))
    for name in ("explicit", "locked", "complete"):
        if name in raw:
            setattr(show, name, parse_bool(raw[name]))
    if "show_type" in raw:
        value = str(raw["show_type"] or ShowType.EPISODIC).strip().lower()
        if value not in set(ShowType):
            errors["show_type"] = choose_sentence(ShowType)
        else:
            show.show_type = value
    if "directory_links" in raw:
        links = raw["directory_links"] or {}
        if not isinstance(links, dict):
            errors["directory_links"] = "Give an object of directory name to URL."
        else:
            show.directory_links = {
                k: _check_url(v, f"directory_links.{k}", errors)
                for k, v in links.items()
                if k in DIRECTORIES and v
            }
    if "hosts" in raw:
        hosts = raw["hosts"] or []
        if not isinstance(hosts, list) or not all(
            isinstance(h, dict) and h.get("name") for h in hosts
        ):
            errors["hosts"] = 'Give a list like [{"name": "…", "href": "…", "img": "…"}].'
        else:
            show.hosts = [
                {
                    k: xml_safe(str(h[k])).strip()
                    for k in ("name", "role", "href", "img")
                    if h.get(k)
                }
                for h in hosts
            ]
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)
    show.updated_at = utcnow()


def create_show(session: Session, raw: dict[str, Any], feed_url: str) -> Show:
    """Create the show with its podcast:guid derived once from the feed URL."""
    show = Show(title="", podcast_guid=podcast_guid_for(feed_url))
    apply_show_settings(show, raw)
    session.add(show)
    session.commit()
    return show


def set_artwork(session: Session, storage: Storage, show: Show, upload: Upload) -> Show:
    """Replace the show's artwork (Apple's rule); the old file goes after the commit."""
    asset = ingest_image(
        storage, upload, owner=show.podcast_guid, field="artwork", artwork=True,
        max_bytes=20 * 1024 * 1024, collection="show",
    )  # fmt: skip
    replace_asset(session, storage, show, "artwork", asset, lambda: bump_revision(show))
    return show


def update_show(session: Session, show: Show, raw: dict[str, Any]) -> Show:
    """Apply and commit new settings; the podcast:guid never changes."""
    try:
        apply_show_settings(show, raw)
    except ValidationError:
        session.rollback()
        raise
    bump_revision(show)
    session.commit()
    return show


def check_show_settings(raw: dict[str, Any]) -> None:
    """Raise ValidationError if these settings would be refused; changes nothing stored."""
    apply_show_settings(Show(title="", podcast_guid=""), raw)
