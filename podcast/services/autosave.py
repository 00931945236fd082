"""Autosaved episode forms: what a producer typed, kept on the server until saved or discarded.

One draft per user, show and episode (None: the new-episode form). Each autosave carries the
base its form was loaded on: an edit form's is the episode's last save, a new form's is an id of
its own load. A draft whose base is no longer current (the episode was saved since, or the new
form already created its episode) is never kept nor restored, so an autosave still in flight
when the form is submitted cannot bring the draft back.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podcast.errors import TooLargeError
from podcast.models import Episode, EpisodeAutosave, SpentAutosaveForm, utcnow
from podcast.services.episode_input import PLAIN_FIELDS
from podcast.services.locks import lock_row
from podcast.wording import say

# The form's text fields, by the names it posts (files, staged ids and the show are not kept).
FIELDS = frozenset({*PLAIN_FIELDS, "episode_type", "chapters", "publish_at"})
# The guest pickers and the new guests' name and bio, numbered as the form names them.
NUMBERED_FIELDS = re.compile(r"guests-\d{1,2}|new_guests-\d{1,2}-(?:name|bio)")
# The largest draft kept (its fields as UTF-8 JSON): show notes, chapters and bios fit.
MAX_BYTES = 256 * 1024
BASE_MAX = 64
# A new form that created its episode stays spent this long: in-flight autosaves are seconds.
SPENT_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class Draft:
    """A restorable draft: the fields as the form posts them, when and for which show."""

    fields: dict[str, str]
    saved_at: datetime
    show_id: int


def known_fields(raw: Mapping[str, object]) -> dict[str, str]:
    """The form's known text fields of `raw`, as strings; anything else is dropped."""
    return {
        name: value
        for name, value in raw.items()
        if isinstance(value, str) and (name in FIELDS or NUMBERED_FIELDS.fullmatch(name))
    }


def too_large() -> TooLargeError:
    """The refusal of a draft over MAX_BYTES."""
    return TooLargeError(
        say(
            "What you typed is larger than %(limit)s KB, too large to keep as a draft. "
            "Save the episode to keep it.",
            limit=MAX_BYTES // 1024,
        )
    )


def episode_base(episode: Episode) -> str:
    """The base of the episode's edit form: its last save."""
    return episode.updated_at.isoformat()


def new_form_base() -> str:
    """A fresh base for one load of the new-episode form."""
    return uuid.uuid4().hex


def _is_current(session: Session, user_id: int, episode: Episode | None, base: str) -> bool:
    if not base or len(base) > BASE_MAX:
        return False
    if episode is not None:
        # Read past the identity map: the row may have been saved since it was loaded.
        saved = session.scalar(select(Episode.updated_at).where(Episode.id == episode.id))
        return saved is not None and base == saved.isoformat()
    return session.get(SpentAutosaveForm, (user_id, base)) is None


def _row(
    session: Session, user_id: int, show_id: int, episode_id: int | None
) -> EpisodeAutosave | None:
    return session.scalar(
        select(EpisodeAutosave).where(
            EpisodeAutosave.user_id == user_id,
            EpisodeAutosave.show_id == show_id,
            EpisodeAutosave.episode_id.is_(None)
            if episode_id is None
            else EpisodeAutosave.episode_id == episode_id,
        )
    )


def save(
    session: Session,
    user_id: int,
    show_id: int,
    episode: Episode | None,
    raw: Mapping[str, object],
    base: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Keep what the user typed into the form loaded on `base`; False, and nothing kept, when
    that base is no longer current. TooLargeError (413) over MAX_BYTES."""
    fields = known_fields(raw)
    if len(json.dumps(fields, ensure_ascii=False).encode()) > MAX_BYTES:
        raise too_large()
    now = now or utcnow()
    try:
        return _write(session, user_id, show_id, episode, fields, base, now)
    except IntegrityError:
        # Another autosave of the same draft inserted its row first: update that one.
        session.rollback()
        return _write(session, user_id, show_id, episode, fields, base, now)


def _write(
    session: Session,
    user_id: int,
    show_id: int,
    episode: Episode | None,
    fields: dict[str, str],
    base: str,
    now: datetime,
) -> bool:
    # Waits for a save of the episode in progress, then reads what it committed.
    locked = episode is None or lock_row(session, Episode, episode.id)
    if not locked or not _is_current(session, user_id, episode, base):
        session.rollback()
        return False
    episode_id = episode.id if episode is not None else None
    row = _row(session, user_id, show_id, episode_id)
    if row is None:
        row = EpisodeAutosave(user_id=user_id, show_id=show_id, episode_id=episode_id)
        session.add(row)
    row.fields, row.base, row.saved_at = fields, base, now
    session.commit()
    return True


def load(session: Session, user_id: int, episode: Episode) -> Draft | None:
    """The user's draft of the episode when it was typed on its last save."""
    row = _row(session, user_id, episode.show_id, episode.id)
    if row is None or not _is_current(session, user_id, episode, row.base):
        return None
    return Draft(dict(row.fields), row.saved_at, row.show_id)


def load_new(session: Session, user_id: int, show_ids: Collection[int]) -> Draft | None:
    """The user's newest draft of a new episode on one of these shows."""
    rows = session.scalars(
        select(EpisodeAutosave)
        .where(
            EpisodeAutosave.user_id == user_id,
            EpisodeAutosave.episode_id.is_(None),
            EpisodeAutosave.show_id.in_(show_ids),
        )
        .order_by(EpisodeAutosave.saved_at.desc(), EpisodeAutosave.id.desc())
    )
    for row in rows:
        if _is_current(session, user_id, None, row.base):
            return Draft(dict(row.fields), row.saved_at, row.show_id)
    return None


def discard(session: Session, user_id: int, show_id: int, episode_id: int | None) -> bool:
    """Delete the user's draft of this episode (None: of a new one on the show); False when
    there was none."""
    row = _row(session, user_id, show_id, episode_id)
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def forget_saved(
    session: Session,
    user_id: int,
    episode: Episode,
    *,
    created_from: str | None = None,
    now: datetime | None = None,
) -> None:
    """After the form saved the episode: its draft goes; a new form's base (`created_from`) is
    spent, so that form's late autosaves are dropped."""
    now = now or utcnow()
    drafts = delete(EpisodeAutosave).where(
        EpisodeAutosave.user_id == user_id, EpisodeAutosave.show_id == episode.show_id
    )
    if created_from is None:
        session.execute(drafts.where(EpisodeAutosave.episode_id == episode.id))
    elif 0 < len(created_from) <= BASE_MAX:
        # Another tab's new-episode draft (another base) stays.
        session.execute(
            drafts.where(EpisodeAutosave.episode_id.is_(None), EpisodeAutosave.base == created_from)
        )
        session.execute(
            delete(SpentAutosaveForm).where(SpentAutosaveForm.spent_at < now - SPENT_LIFETIME)
        )
        if session.get(SpentAutosaveForm, (user_id, created_from)) is None:
            session.add(SpentAutosaveForm(user_id=user_id, base=created_from, spent_at=now))
    session.commit()
