"""Guests: written once, reused on every episode they appear on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ValidationError
from podcast.models import Episode, EpisodeGuest, Guest, MediaAsset, utcnow
from podcast.services.fields import URL_MAX
from podcast.services.markup import has_control_characters, xml_safe
from podcast.services.shows import bump_shows_of_guest
from podcast.services.slugs import unique_slug
from podcast.services.uploads import (
    Upload,
    delete_objects,
    removing_new_objects_on_failure,
    swap_image,
)
from podcast.storage import Storage
from podcast.wording import please_correct, say

NAME_MAX = 255
BIO_MAX = 20_000


PHOTO_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class GuestData:
    """A guest's checked fields, from parse_guest_input: the only way in to save_guest."""

    name: str
    bio: str = ""
    website: str = ""
    links: tuple[dict[str, str], ...] = ()


def _url(value: Any, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    if text and (not text.startswith(("https://", "http://")) or has_control_characters(text)):
        errors[name] = say("Must start with https:// or http://.")
    elif len(text) > URL_MAX:
        errors[name] = say("At most %(count)s characters.", count=URL_MAX)
    return text


def parse_guest_input(raw: dict[str, Any], current: Guest | None = None) -> GuestData:
    """Check raw guest fields (form or JSON); missing fields keep `current`'s values."""
    errors: dict[str, str] = {}

    name = str(raw.get("name", current.name if current else "") or "").strip()
    if not name:
        errors["name"] = say("Required.")
    elif len(name) > NAME_MAX:
        errors["name"] = say("At most %(count)s characters.", count=NAME_MAX)
    elif has_control_characters(name) or "\n" in name:
        errors["name"] = say("A name is one line without control characters.")
    bio = str(raw.get("bio", current.bio if current else "") or "").replace("\r\n", "\n").strip()
    bio = xml_safe(bio)
    if len(bio) > BIO_MAX:
        errors["bio"] = say("At most %(count)s characters.", count=BIO_MAX)
    website = _url(raw.get("website", current.website if current else ""), "website", errors)
    links_raw = raw.get("links", current.links if current else [])
    links: list[dict[str, str]] = []
    if isinstance(links_raw, str):
        links_raw = [line for line in links_raw.splitlines() if line.strip()]
    if not isinstance(links_raw, list):
        errors["links"] = say("Give a list of links.")
    else:
        for item in links_raw:
            if isinstance(item, str):
                label, _, url = item.rpartition(" ") if " " in item.strip() else ("", "", item)
                item = {"label": label.strip(), "url": url.strip()}
            if not isinstance(item, dict):
                errors["links"] = say("Each link needs a url (and optionally a label).")
                break
            url = _url(item.get("url"), "links", errors)
            if url:
                links.append({"label": xml_safe(str(item.get("label") or url))[:100], "url": url})
    if errors:
        raise ValidationError(please_correct(errors), fields=errors)
    return GuestData(name=name, bio=bio, website=website, links=tuple(links))


def _slug_taken(session: Session) -> Callable[[str], bool]:
    return lambda s: session.scalar(select(Guest.id).where(Guest.slug == s)) is not None


def add_new_guest(session: Session, data: GuestData) -> Guest:
    """A guest added to the session, not committed: the episode form creates guests inline, in
    the episode's own transaction (their fields were checked once, by parse_guest_input)."""
    guest = Guest(slug=unique_slug(data.name, _slug_taken(session), fallback="guest"))
    _apply(guest, data)
    session.add(guest)
    return guest


def _apply(guest: Guest, data: GuestData) -> None:
    guest.name, guest.bio, guest.website = data.name, data.bio, data.website
    guest.links = [dict(link) for link in data.links]


def save_guest(
    session: Session,
    storage: Storage | None,
    guest: Guest | None,
    data: GuestData,
    *,
    photo: Upload | None = None,
    remove_photo: bool = False,
    before_commit: Callable[[Guest], None] | None = None,
) -> Guest:
    """Create (guest None) or update a guest and its photo in one commit, the same from the
    form, the API and the seed folder.

    The steps, in order: the fields were checked by parse_guest_input; a new photo is checked and
    stored (refused: nothing changed); fields and photo are applied and committed together
    (failed: the new file is deleted); the replaced photo's file goes after the commit. The
    slug never changes, so links keep working. `before_commit` sees the flushed guest inside
    the transaction (an answer built there is built from what is committed).
    """
    replaced: MediaAsset | None = None
    with removing_new_objects_on_failure(session, storage) as new_keys:
        if guest is None:
            guest = add_new_guest(session, data)
        else:
            _apply(guest, data)
        if photo is not None or remove_photo:
            replaced = swap_image(
                session, storage, guest, "photo", photo, new_keys,
                owner=guest.slug, artwork=False, max_bytes=PHOTO_MAX_BYTES, collection="guests",
            )  # fmt: skip
        guest.updated_at = utcnow()
        bump_shows_of_guest(session, guest.id)
        if before_commit is not None:
            session.flush()
            before_commit(guest)
        session.commit()
    if replaced is not None and storage is not None:
        delete_objects(storage, [replaced.key])
    return guest


def create_guest(session: Session, data: GuestData) -> Guest:
    """save_guest for a new guest without a photo (the seed folder and tests)."""
    return save_guest(session, None, None, data)


def delete_guest(session: Session, guest: Guest) -> None:
    """Delete a guest who is on no episode; otherwise say which episodes hold them."""
    titles = session.scalars(
        select(Episode.title).join(EpisodeGuest).where(EpisodeGuest.guest_id == guest.id)
    ).all()
    if titles:
        listed = "; ".join(f"“{t}”" for t in titles[:5]) + ("; …" if len(titles) > 5 else "")
        raise ConflictError(
            f"{guest.name} appears on {len(titles)} episode{'s' if len(titles) > 1 else ''} "
            f"({listed}); remove them from those first."
        )
    session.delete(guest)
    session.commit()


def set_photo(session: Session, storage: Storage, guest: Guest, upload: Upload | None) -> Guest:
    """save_guest changing only the photo (None removes it)."""
    return save_guest(
        session, storage, guest, _current_data(guest), photo=upload, remove_photo=upload is None
    )


def _current_data(guest: Guest) -> GuestData:
    return GuestData(guest.name, guest.bio, guest.website, tuple(guest.links or ()))
