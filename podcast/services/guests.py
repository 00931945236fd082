"""Guests: written once, reused on every episode they appear on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, ValidationError
from podcast.models import Episode, EpisodeGuest, Guest, utcnow
from podcast.services.markup import has_control_characters, xml_safe
from podcast.services.shows import bump_current_show
from podcast.services.slugs import unique_slug
from podcast.services.uploads import Upload, ingest_image, replace_asset
from podcast.storage import Storage

NAME_MAX = 255
BIO_MAX = 20_000


@dataclass
class GuestData:
    """Checked guest fields."""

    name: str
    bio: str = ""
    website: str = ""
    links: list[dict[str, str]] = field(default_factory=list)


def _url(value: Any, name: str, errors: dict[str, str]) -> str:
    text = str(value or "").strip()
    if text and (not text.startswith(("https://", "http://")) or has_control_characters(text)):
        errors[name] = "Must start with https:// or http://."
    elif len(text) > 500:
        errors[name] = "At most 500 characters."
    return text


def parse_guest_input(raw: dict[str, Any], current: Guest | None = None) -> GuestData:
    """Check raw guest fields (form or JSON); missing fields keep `current`'s values."""
    errors: dict[str, str] = {}

    name = str(raw.get("name", current.name if current else "") or "").strip()
    if not name:
        errors["name"] = "Required."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    elif has_control_characters(name) or "\n" in name:
        errors["name"] = "A name is one line without control characters."
    bio = str(raw.get("bio", current.bio if current else "") or "").replace("\r\n", "\n").strip()
    bio = xml_safe(bio)
    if len(bio) > BIO_MAX:
        errors["bio"] = f"At most {BIO_MAX} characters."
    website = _url(raw.get("website", current.website if current else ""), "website", errors)
    links_raw = raw.get("links", current.links if current else [])
    links: list[dict[str, str]] = []
    if isinstance(links_raw, str):
        links_raw = [line for line in links_raw.splitlines() if line.strip()]
    if not isinstance(links_raw, list):
        errors["links"] = "Give a list of links."
    else:
        for item in links_raw:
            if isinstance(item, str):
                label, _, url = item.rpartition(" ") if " " in item.strip() else ("", "", item)
                item = {"label": label.strip(), "url": url.strip()}
            if not isinstance(item, dict):
                errors["links"] = "Each link needs a url (and optionally a label)."
                break
            url = _url(item.get("url"), "links", errors)
            if url:
                links.append({"label": xml_safe(str(item.get("label") or url))[:100], "url": url})
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)
    return GuestData(name=name, bio=bio, website=website, links=links)


def _slug_taken(session: Session):  # type: ignore[no-untyped-def]
    return lambda s: session.scalar(select(Guest.id).where(Guest.slug == s)) is not None


def new_guest(session: Session, name: str, bio: str = "", website: str = "") -> Guest:
    """A new guest added to the session (not committed): the episode form creates guests inline."""
    return _add_guest(session, parse_guest_input({"name": name, "bio": bio, "website": website}))


def _add_guest(session: Session, data: GuestData) -> Guest:
    guest = Guest(
        name=data.name,
        bio=data.bio,
        website=data.website,
        links=data.links,
        slug=unique_slug(data.name, _slug_taken(session), fallback="guest"),
    )
    session.add(guest)
    return guest


def create_guest(session: Session, data: GuestData) -> Guest:
    """Create and commit a guest with a unique ASCII slug."""
    guest = _add_guest(session, data)
    bump_current_show(session)
    session.commit()
    return guest


def update_guest(session: Session, guest: Guest, data: GuestData) -> Guest:
    """Save a guest's new details (the slug stays, so links keep working)."""
    guest.name, guest.bio, guest.website, guest.links = (
        data.name,
        data.bio,
        data.website,
        data.links,
    )
    guest.updated_at = utcnow()
    bump_current_show(session)
    session.commit()
    return guest


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
    bump_current_show(session)
    session.commit()


def set_photo(session: Session, storage: Storage, guest: Guest, upload: Upload | None) -> Guest:
    """Replace (or with None remove) a guest's photo; the old file goes after the commit."""
    asset = None
    if upload is not None:
        asset = ingest_image(
            storage, upload, owner=guest.slug, field="photo", artwork=False,
            max_bytes=20 * 1024 * 1024, collection="guests",
        )  # fmt: skip
    guest.updated_at = utcnow()
    replace_asset(session, storage, guest, "photo", asset, lambda: bump_current_show(session))
    return guest
