"""The access tests' world: two shows, each with a published episode, a job and a webhook, a
producer who is a member of each, an admin; and a fingerprint of everything a write changes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import func, select

from podcast.extensions import db
from podcast.jobs import Job, enqueue
from podcast.models import (
    ApiToken,
    Episode,
    EpisodeAutosave,
    Guest,
    Show,
    ShowMember,
    User,
    Webhook,
)
from podcast.services import accounts
from podcast.services.account_links import Purpose, make_link_token
from podcast.services.episode_input import parse_episode_input
from podcast.services.episodes import Attachments, create_episode
from podcast.services.previews import preview_token
from podcast.services.shows import create_show
from podcast.services.uploads import Upload
from podcast.services.webhooks import create_webhook
from support.data import SAMPLE_MP3, SHOW_SETTINGS

HOOK_URL = "https://93.184.216.34/hooks/podcast"
VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nWelcome to Majlis.\n"
SECOND_SHOW = {
    **SHOW_SETTINGS,
    "handle": "azattyk",
    "title": "Азаттык подкаст",
    "language": "ky",
    "timezone": "Asia/Bishkek",
}
# Each show's episode has a title of its own: a page or answer naming it leaked it.
TITLES = {"first": "Silence and Impunity", "second": "Тишина и безнаказанность"}


def _episode(show: Show, storage: Any, title: str, guest: Guest) -> Episode:
    raw = {
        "title": title,
        "status": "published",
        "guests": json.dumps([guest.id]),
        "chapters": json.dumps([{"start": 0, "title": "Opening"}]),
    }
    data = parse_episode_input(raw, partial=False, timezone=show.timezone)
    files = Attachments(
        audio=Upload(io.BytesIO(SAMPLE_MP3.read_bytes()), SAMPLE_MP3.name),
        transcript=Upload(io.BytesIO(VTT), "episode.srt.vtt"),
    )
    return create_episode(db.session, storage, show, data, files, max_bytes=2**30)


def token_id_of(user: User) -> int:
    """The id of a new API token of the user's."""
    accounts.create_token(db.session, user, "matrix")
    return db.session.scalar(
        select(ApiToken.id).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    )


@pytest.fixture
def network(show: Show, storage: Any, make_guest: Any, make_user: Any) -> dict[str, Any]:
    """Two shows (the primary Majlis and Azattyk), each with a published episode (guest,
    chapters, transcript), a job and a webhook, and a producer who is a member of it only;
    ids by show ("first", "second"), users by name."""
    second = create_show(
        db.session, dict(SECOND_SHOW), "https://podcast.example.org/shows/azattyk/feed.xml"
    )
    on_air = make_guest("Dilfuza Kurolova")
    free = make_guest("Free Guest")
    other = make_user("other@example.org", shows=[])
    ids: dict[str, Any] = {}
    users = {
        "member_first": make_user("first@example.org", shows=[show]),
        "member_second": make_user("second@example.org", shows=[second]),
        "admin": make_user("boss@example.org", "admin"),
    }
    for name, each in (("first", show), ("second", second)):
        episode = _episode(each, storage, TITLES[name], on_air)
        job = enqueue(db.session, "ping", {}, show_id=each.id)
        db.session.commit()
        ids[name] = {
            "handle": each.handle,
            "title": episode.title,
            "guid": episode.guid,
            "job": job.id,
            "episode": episode.id,
            "slug": episode.slug,
            "media_key": episode.audio.key,
            "preview_token": preview_token(current_app.config["SECRET_KEY"], episode.id),
            "guest": free.id,
            "guest_slug": on_air.slug,
            "user": other.id,
            "token": token_id_of(other),
            "reset_link": make_link_token("test-secret", other, Purpose.RESET),
            "invite_link": make_link_token("test-secret", other, Purpose.INVITE),
            "webhook": create_webhook(db.session, each, HOOK_URL, allow_private=False).id,
        }
    return {**ids, "users": users}


@pytest.fixture
def targets(network: dict[str, Any]) -> dict[str, Any]:
    """The primary show's ids (for tests about one show)."""
    return network["first"]


def fingerprint() -> tuple[Any, ...]:
    """What any write would change: shows, rows, statuses, accounts, memberships, tokens,
    autosaved drafts."""
    db.session.expire_all()
    return (
        db.session.execute(
            select(Show.id, Show.revision, Show.archived_at).order_by(Show.id)
        ).all(),
        db.session.execute(select(Episode.id, Episode.status, Episode.title)).all(),
        db.session.execute(select(Guest.id, Guest.name)).all(),
        db.session.execute(select(User.id, User.active, User.role)).all(),
        db.session.execute(select(ShowMember.show_id, ShowMember.user_id)).all(),
        db.session.execute(select(ApiToken.id, ApiToken.revoked_at)).all(),
        db.session.execute(select(Webhook.id, Webhook.url, Webhook.secret)).all(),
        db.session.scalar(select(func.count()).select_from(Episode)),
        db.session.execute(select(Job.id, Job.state, Job.max_attempts)).all(),
        db.session.execute(
            select(EpisodeAutosave.id, EpisodeAutosave.fields, EpisodeAutosave.saved_at)
        ).all(),
    )
