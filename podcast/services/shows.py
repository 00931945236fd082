"""The show's settings: checked, stored, and the podcast:guid minted once."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ForbiddenError, ValidationError
from podcast.feed.categories import parse_category
from podcast.models import (
    Episode,
    MediaAsset,
    RetiredHandle,
    Show,
    ShowChange,
    ShowType,
    User,
    utcnow,
)
from podcast.services import processing, queries
from podcast.services.embeds import parse_embed_origins
from podcast.services.fields import (
    LANGUAGE_SENTENCE,
    UNSET,
    URL_MAX,
    choose_sentence,
    is_language,
    parse_bool,
)
from podcast.services.handles import handle_from_title, handle_problem
from podcast.services.markup import has_control_characters, xml_safe
from podcast.services.search import search_config
from podcast.services.uploads import (
    Upload,
    delete_objects,
    removing_new_objects_on_failure,
    swap_image,
)
from podcast.storage import Storage
from podcast.wording import please_correct, say

PODCAST_NAMESPACE_GUID = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_FIELDS = {
    "title": 255, "subtitle": 255, "author": 255, "owner_name": 255, "copyright": 255,
    "funding_label": 128, "apple_verify": 128,
}  # fmt: skip
DESCRIPTION_BYTES_MAX = 4000  # Apple's limit for the show's description
EMAIL_MAX = 255
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


@dataclass(frozen=True)
class ShowInput:
    """The show's checked settings, from parse_show_input; UNSET: leave as it is."""

    handle: Any = UNSET  # a new show's only; never changes afterwards
    title: Any = UNSET
    subtitle: Any = UNSET
    description: Any = UNSET
    author: Any = UNSET
    owner_name: Any = UNSET
    owner_email: Any = UNSET
    language: Any = UNSET
    timezone: Any = UNSET
    categories: Any = UNSET
    explicit: Any = UNSET
    show_type: Any = UNSET
    copyright: Any = UNSET
    website: Any = UNSET
    funding_url: Any = UNSET
    funding_label: Any = UNSET
    directory_links: Any = UNSET
    hosts: Any = UNSET
    locked: Any = UNSET
    complete: Any = UNSET
    new_feed_url: Any = UNSET
    apple_verify: Any = UNSET
    embed_origins: Any = UNSET
    feed_page_size: Any = UNSET
    loudness_target: Any = UNSET
    true_peak_max: Any = UNSET
    mp3_bitrate: Any = UNSET
    audio_channels: Any = UNSET
    normalize_lossy: Any = UNSET

    def given(self) -> dict[str, Any]:
        """The settings that were given, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) is not UNSET
        }


# Settings that move (new_feed_url) or claim (owner_email) every subscriber: admins only, and
# each change is recorded (ShowChange) with who made it.
ADMIN_ONLY_SETTINGS: dict[str, str] = {
    "new_feed_url": "it moves every subscriber to another feed",
    "owner_email": "directories send the ownership codes that claim the show there",
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an account and the surface it used, or the command line."""

    user_id: int | None
    name: str
    is_admin: bool
    via: str  # admin | api | cli

    @classmethod
    def of(cls, user: User, via: str) -> Actor:
        """The account acting through `via` (admin or api)."""
        return cls(user.id, user.email, user.is_admin, via)


COMMAND_LINE = Actor(None, "the command line", True, "cli")


def _guard_admin_only(show: Show | None, data: ShowInput, actor: Actor) -> list[ShowChange]:
    """The changes of admin-only settings, to record; ForbiddenError if the actor may not."""
    changes = []
    for name, reason in ADMIN_ONLY_SETTINGS.items():
        new = getattr(data, name)
        old = getattr(show, name) if show is not None else ""
        if new is UNSET or (new or "") == (old or ""):
            continue
        if not actor.is_admin:
            message = say(
                "Only an admin may change %(name)s: %(reason)s.", name=name, reason=reason
            )
            raise ForbiddenError(message, fields={name: message})
        if show is None:
            continue  # a new show's first values are not a change of anyone's subscription
        changes.append(
            ShowChange(
                user_id=actor.user_id, actor=actor.name, via=actor.via, field=name,
                old_value=old or "", new_value=new or "", changed_at=utcnow(),
            )
        )  # fmt: skip
    return changes


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


def bump_shows_of_guest(
    session: Session, guest_id: int | None, now: datetime | None = None
) -> None:
    """A guest's public details changed: bump every show with an episode they are on (their
    feeds name them); the other shows' feeds keep their bytes and ETags."""
    if guest_id is None:
        return
    for show in session.scalars(queries.shows_of_guest(guest_id)):
        bump_revision(show, now)


def _check_url(value: Any, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    if text and (not re.match(r"^https?://[^\s]+$", text) or has_control_characters(text)):
        errors[name] = say("Must be a full URL starting with https://.")
    return text[:URL_MAX]


def parse_show_input(raw: Mapping[str, Any]) -> ShowInput:
    """Check the given settings (form or JSON); raises ValidationError naming every bad one."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "handle" in raw:
        handle = str(raw["handle"] or "").strip()
        values["handle"] = handle.lower() if handle.isascii() else handle
    for name, limit in TEXT_FIELDS.items():
        if name in raw:
            value = str(raw[name] or "").strip()
            if name == "title" and not value:
                errors[name] = say("Required.")
            elif len(value) > limit:
                errors[name] = say("At most %(count)s characters.", count=limit)
            elif has_control_characters(value) or "\n" in value:
                errors[name] = say("One line, without control characters.")
            else:
                values[name] = value
    if "description" in raw:
        value = xml_safe(str(raw["description"] or "").replace("\r\n", "\n").strip())
        if not value:
            errors["description"] = say("Required: Apple refuses a show without a description.")
        elif len(value.encode()) > DESCRIPTION_BYTES_MAX:
            errors["description"] = say(
                "At most %(count)s bytes (Apple's limit).", count=DESCRIPTION_BYTES_MAX
            )
        else:
            values["description"] = value
    if "owner_email" in raw:
        value = str(raw["owner_email"] or "").strip()
        if not _EMAIL.match(value):
            errors["owner_email"] = say(
                "A valid email: Apple and Spotify send ownership codes there."
            )
        else:
            values["owner_email"] = value
    if "language" in raw:
        value = str(raw["language"] or "").strip()
        if not is_language(value):
            errors["language"] = LANGUAGE_SENTENCE
        else:
            values["language"] = value
    if "timezone" in raw:
        value = str(raw["timezone"] or "").strip()
        try:
            ZoneInfo(value)
            values["timezone"] = value
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = say("A time zone name such as Europe/Prague.")
    if "categories" in raw:
        given = raw["categories"]
        given = [given] if isinstance(given, str) else list(given or [])
        try:
            parsed = [
                parse_category(v if isinstance(v, str) else " > ".join(x for x in v if x))
                for v in given
                if v
            ]
            if not parsed:
                raise ValueError("Apple requires at least one category")
            values["categories"] = parsed
        except (ValueError, TypeError) as exc:
            errors["categories"] = str(exc) + "."
    for name in URL_FIELDS:
        if name in raw:
            values[name] = _check_url(raw[name], name, errors)
    for name in ("explicit", "locked", "complete"):
        if name in raw:
            values[name] = parse_bool(raw[name])
    if "show_type" in raw:
        value = str(raw["show_type"] or ShowType.EPISODIC).strip().lower()
        if value not in set(ShowType):
            errors["show_type"] = choose_sentence(ShowType)
        else:
            values["show_type"] = value
    if "directory_links" in raw:
        links = raw["directory_links"] or {}
        if not isinstance(links, dict):
            errors["directory_links"] = say("Give an object of directory name to URL.")
        else:
            values["directory_links"] = {
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
            values["hosts"] = [
                {
                    k: xml_safe(str(h[k])).strip()
                    for k in ("name", "role", "href", "img")
                    if h.get(k)
                }
                for h in hosts
            ]
    checked: dict[str, Callable[[object], tuple[Any, str | None]]] = {
        "embed_origins": parse_embed_origins,
        "feed_page_size": parse_feed_page_size,
    }
    for name, parse in checked.items():
        if name in raw:
            value, problem = parse(raw[name])
            if problem is not None:
                errors[name] = problem
            else:
                values[name] = value
    audio_values, audio_errors = processing.parse_audio_settings(raw)
    values.update(audio_values)
    errors.update(audio_errors)
    if errors:
        raise ValidationError(please_correct(errors), fields=errors)
    return ShowInput(**values)


# Apple and most apps read only the main feed, not its pages: fewer than this many episodes
# would leave their listeners a stub of the show.
FEED_PAGE_MIN = 10
FEED_PAGE_MAX = 10_000


def parse_feed_page_size(raw: object) -> tuple[int | None, str | None]:
    """How many episodes the main feed carries (None: all), or the sentence saying why not."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    text = str(raw).strip()
    if isinstance(raw, bool) or not (text.isascii() and text.isdigit()):
        return None, say(
            "A whole number of episodes from %(low)s to %(high)s, or empty for all.",
            low=FEED_PAGE_MIN,
            high=f"{FEED_PAGE_MAX:,}",
        )
    size = int(text)
    if not FEED_PAGE_MIN <= size <= FEED_PAGE_MAX:
        return None, say(
            "A whole number of episodes from %(low)s to %(high)s, or empty for all.",
            low=FEED_PAGE_MIN,
            high=f"{FEED_PAGE_MAX:,}",
        )
    return size, None


ARTWORK_MAX_BYTES = 20 * 1024 * 1024


def save_show(
    session: Session,
    storage: Storage | None,
    show: Show | None,
    data: ShowInput,
    *,
    artwork: Upload | None = None,
    feed_url: str = "",
    actor: Actor = COMMAND_LINE,
    feed_url_of: Callable[[str], str] | None = None,
) -> Show:
    """Create (show None, its podcast:guid derived once from `feed_url`, or from
    `feed_url_of(handle)`) or update a show and its artwork in one commit, the same from the
    form, the API, the command line and the seed folder.

    A new show's handle is the one given (checked: free, not reserved, never used before) or
    one made from its title; an existing show's handle never changes.

    The steps, in order: the settings were checked by parse_show_input; new artwork is checked
    (Apple's rule) and stored (refused: nothing changed); settings and artwork are applied and
    committed together (failed: the new file is deleted); the replaced artwork's file goes
    after the commit. The podcast:guid never changes. new_feed_url and owner_email change only
    for an admin (ForbiddenError otherwise, before anything is stored), recorded in ShowChange.
    """
    if show is None and not actor.is_admin and queries.primary_show(session) is not None:
        raise ForbiddenError(say("Only an admin creates shows."))
    changes = _guard_admin_only(show, data, actor)
    settings = data.given()
    handle = _checked_handle(session, show, settings.pop("handle", None), settings)
    replaced: MediaAsset | None = None
    with removing_new_objects_on_failure(session, storage) as new_keys:
        creating = show is None
        if show is None:
            feed_url = feed_url_of(handle) if feed_url_of is not None else feed_url
            show = Show(title="", handle=handle, podcast_guid=podcast_guid_for(feed_url))
            session.add(show)
        for name, value in settings.items():
            setattr(show, name, value)
        if not creating and "language" in settings:
            session.execute(
                update(Episode)
                .where(Episode.show_id == show.id)
                .values(search_config=search_config(show.language))
            )
        for change in changes:
            change.show = show
            session.add(change)
        show.updated_at = utcnow()
        if artwork is not None:
            replaced = swap_image(
                session, storage, show, "artwork", artwork, new_keys,
                owner=show.podcast_guid, artwork=True, max_bytes=ARTWORK_MAX_BYTES,
                collection="show",
            )  # fmt: skip
        if not creating or artwork is not None:
            bump_revision(show)
        try:
            session.commit()
        except IntegrityError:
            if not creating:
                raise
            # Another request created a show with this handle between the check and now.
            raise ValidationError(
                say("Please correct: handle."),
                fields={"handle": f"'{handle}' is taken by another show."},
            ) from None
    if replaced is not None and storage is not None:
        delete_objects(storage, [replaced.key])
    return show


def _checked_handle(
    session: Session, show: Show | None, given: str | None, settings: dict[str, Any]
) -> str:
    """The handle a save keeps or gives; ValidationError on the field when it cannot."""
    if show is not None:
        if given is not None and given != show.handle:
            raise ValidationError(
                say("Please correct: handle."),
                fields={
                    "handle": say("A show's handle never changes: its feed and pages live there.")
                },
            )
        return show.handle
    if not given:
        return handle_from_title(session, str(settings.get("title") or ""))
    problem = handle_problem(session, given)
    if problem is not None:
        raise ValidationError(say("Please correct: handle."), fields={"handle": problem})
    return given


def archive_show(session: Session, show: Show, archived: bool, now: datetime | None = None) -> Show:
    """Archive the show (no new episodes; its feed stays up marked complete) or bring it back."""
    if archived == show.archived:
        return show
    show.archived_at = (now or utcnow()) if archived else None
    bump_revision(show, now)
    session.commit()
    return show


def delete_show(session: Session, storage: Storage | None, show: Show, primary: Show | None) -> str:
    """Delete a show without episodes and retire its handle (never given again); returns it.

    Refused (ConflictError, in a sentence) while it has episodes, archive it instead, and for
    the primary show, whose one-show URLs (/feed.xml) podcast apps follow."""
    count = queries.episode_count(session, show.id)
    if count:
        raise ConflictError(
            f"'{show.title}' still has {count} episode{'s' if count != 1 else ''}: delete "
            "them first, or archive the show instead (its feed stays up, marked complete)."
        )
    if primary is not None and primary.id == show.id:
        raise ConflictError(
            f"'{show.title}' is the primary show: /feed.xml and the first episode URLs are "
            "its, and podcast apps follow them. Archive it instead."
        )
    handle, artwork = show.handle, show.artwork
    session.add(RetiredHandle(handle=handle))
    session.delete(show)
    if artwork is not None:
        session.delete(artwork)
    session.commit()
    if artwork is not None and storage is not None:
        delete_objects(storage, [artwork.key])
    return handle


def create_show(session: Session, raw: Mapping[str, Any], feed_url: str) -> Show:
    """save_show for a new show from raw settings, without artwork (the seed folder, tests)."""
    return save_show(session, None, None, parse_show_input(raw), feed_url=feed_url)


def update_show(session: Session, show: Show, raw: Mapping[str, Any]) -> Show:
    """save_show with raw settings and no new artwork (tests)."""
    return save_show(session, None, show, parse_show_input(raw))


def set_artwork(session: Session, storage: Storage, show: Show, upload: Upload) -> Show:
    """save_show changing only the artwork."""
    return save_show(session, storage, show, ShowInput(), artwork=upload)
