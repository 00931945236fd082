"""The episode lifecycle: create, edit, replace audio, publish, delete. Nothing half-made."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, NotFoundError, ValidationError
from podcast.models import (
    Episode,
    EpisodeGuest,
    EpisodeStatus,
    Guest,
    MediaAsset,
    Show,
    utcnow,
)
from podcast.notify.events import UNSEEN, episode_changed, public_face
from podcast.services import processing, queries
from podcast.services.episode_input import EpisodeInput, chapter_start_error
from podcast.services.fields import UNSET
from podcast.services.guests import add_new_guest
from podcast.services.locks import lock_row
from podcast.services.replaced import retire
from podcast.services.search import search_config
from podcast.services.shows import bump_revision
from podcast.services.slugs import unique_slug
from podcast.services.tagging import queue_tags
from podcast.services.uploads import (
    Upload,
    delete_objects,
    ingest_audio,
    ingest_image,
    ingest_transcript,
    planned_guid,
    removing_new_objects_on_failure,
)
from podcast.storage import Storage
from podcast.wording import say, say_plural


@dataclass(frozen=True)
class Attachments:
    """Files that come with an episode: new uploads, or files staged earlier (asset ids)."""

    audio: Upload | None = None
    staged_audio_id: int | None = None
    image: Upload | None = None
    staged_image_id: int | None = None
    transcript: Upload | None = None
    staged_transcript_id: int | None = None
    remove_image: bool = False
    remove_transcript: bool = False


def _guests_by_id(session: Session, ids: list[int]) -> dict[int, Guest]:
    """The guests with these ids; refuses (422 on guests) when one does not exist."""
    found = (
        {g.id: g for g in session.scalars(select(Guest).where(Guest.id.in_(ids)))} if ids else {}
    )
    missing = [str(i) for i in ids if i not in found]
    if missing:
        message = say_plural(
            "Unknown guest id: %(ids)s.",
            "Unknown guest ids: %(ids)s.",
            len(missing),
            ids=", ".join(missing),
        )
        raise ValidationError(message, fields={"guests": message})
    return found


def _resolve_guests(session: Session, data: EpisodeInput) -> list[Guest] | None:
    if data.guest_ids is UNSET and not data.new_guests:
        return None
    ids = [] if data.guest_ids is UNSET else data.guest_ids
    found = _guests_by_id(session, ids)
    guests = [found[i] for i in ids]
    guests.extend(add_new_guest(session, guest) for guest in data.new_guests)
    return guests


def _set_guests(episode: Episode, guests: list[Guest]) -> None:
    by_guest = {a.guest_id: a for a in episode.appearances if a.guest_id is not None}
    appearances = []
    for position, guest in enumerate(guests):
        appearance = by_guest.get(guest.id) if guest.id is not None else None
        appearance = appearance or EpisodeGuest(guest=guest)
        appearance.position = position
        appearances.append(appearance)
    episode.appearances = appearances


def _settled(
    status: EpisodeStatus,
    publish_at: datetime | None,
    data: EpisodeInput,
    has_audio: bool,
    now: datetime,
) -> tuple[EpisodeStatus, datetime | None]:
    """Status and publish_at after the scheduling rules; refuses publishing without audio."""
    status = status if data.status is UNSET else data.status
    publish_at = publish_at if data.publish_at is UNSET else data.publish_at
    if status == EpisodeStatus.PUBLISHED and publish_at is None:
        publish_at = now
    if status == EpisodeStatus.SCHEDULED and publish_at is None:
        message = say("Give the date and time the episode should be published.")
        raise ValidationError(message, fields={"publish_at": message})
    if status != EpisodeStatus.DRAFT:
        if not has_audio:
            message = say("An episode needs its audio before it can be published or scheduled.")
            raise ValidationError(message, fields={"audio": message})
        # publish_at is set here: a published episode got `now`, a scheduled one had to have it.
        future = publish_at is not None and publish_at > now
        status = EpisodeStatus.SCHEDULED if future else EpisodeStatus.PUBLISHED
    return status, publish_at


def _settle_status(episode: Episode, data: EpisodeInput, has_audio: bool, now: datetime) -> None:
    """Apply status and publish_at with the scheduling rules; refuses publishing without audio."""
    episode.status, episode.publish_at = _settled(
        episode.status, episode.publish_at, data, has_audio, now
    )


# EpisodeInput's fields that are not copied onto the episode as they are: each has its rules.
_RULED_FIELDS = frozenset({"status", "publish_at", "guest_ids", "new_guests"})


def _apply_fields(episode: Episode, data: EpisodeInput) -> None:
    """Copy every given plain field (a new EpisodeInput field is a column of the same name)."""
    for spec in fields(data):
        value = getattr(data, spec.name)
        if spec.name not in _RULED_FIELDS and value is not UNSET:
            setattr(episode, spec.name, value)


def _chapters_problem(chapters: list[dict[str, Any]] | None, duration: float | None) -> str | None:
    """Why chapters are refused against the audio's duration (None if fine or no audio)."""
    if not chapters or duration is None:
        return None
    for chapter in chapters:
        problem = chapter_start_error(float(chapter["start"]), duration)
        if problem:
            return problem
    return None


def _check_chapters(episode: Episode) -> None:
    """Refuse chapters that start past the end of the episode's audio (422 on chapters)."""
    audio = episode.audio or episode.master
    if audio is None:
        return
    problem = _chapters_problem(episode.chapters, audio.duration_seconds)
    if problem:
        raise ValidationError(problem, fields={"chapters": problem})


def refusals(
    session: Session,
    data: EpisodeInput,
    *,
    episode: Episode | None,
    has_audio: bool,
    audio_duration: float | None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The field refusals create_episode or update_episode would make one after another
    (unknown guests, no audio to publish, chapters past the audio's end), all at once: a form
    lists them with the input's own errors. Fields left UNSET are not checked."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    if data.guest_ids is not UNSET:
        try:
            _guests_by_id(session, data.guest_ids)
        except ValidationError as exc:
            errors.update(exc.fields)
    status = episode.status if episode is not None else EpisodeStatus.DRAFT
    try:
        _settled(status, episode.publish_at if episode else None, data, has_audio, now)
    except ValidationError as exc:
        errors.update(exc.fields)
    chapters = episode.chapters if episode is not None else None
    problem = _chapters_problem(
        chapters if data.chapters is UNSET else data.chapters, audio_duration
    )
    if problem:
        errors["chapters"] = problem
    return errors


def _listed(episode: Episode) -> bool:
    """True when the episode is in the feed once this change is committed."""
    return episode.status == EpisodeStatus.PUBLISHED and episode.audio is not None


_GONE = {
    "audio": say("The uploaded audio is no longer available; upload it again."),
    "image": say("The image you chose is no longer available; choose it again."),
    "transcript": say("The transcript you chose is no longer available; choose it again."),
}


def _in_use(session: Session, asset_id: int) -> bool:
    """True when an episode, a guest or a show already holds the asset."""
    holders = [
        select(Episode.id).where(
            or_(
                Episode.audio_id == asset_id,
                Episode.image_id == asset_id,
                Episode.transcript_id == asset_id,
                Episode.master_id == asset_id,
            )
        ),
        select(Guest.id).where(Guest.photo_id == asset_id),
        select(Show.id).where(Show.artwork_id == asset_id),
    ]
    return any(session.scalar(query.limit(1)) is not None for query in holders)


def _staged(session: Session, asset_id: int, kind: str) -> MediaAsset:
    """A file staged ahead of the form (audio, image or transcript), not yet held by anything."""
    asset = session.get(MediaAsset, asset_id)
    kinds = (kind, "master") if kind == "audio" else (kind,)
    if asset is None or asset.kind not in kinds or _in_use(session, asset.id):
        raise ValidationError(_GONE[kind], fields={kind: _GONE[kind]})
    return asset


def _store_files(
    session: Session,
    storage: Storage,
    episode: Episode,
    files: Attachments,
    new_keys: list[str],
    max_bytes: int,
) -> dict[str, MediaAsset | None]:
    """Store the new files (no lock held: an upload takes long); attribute -> asset, or None."""
    changes: dict[str, MediaAsset | None] = {}
    if files.audio is not None:
        audio = ingest_audio(storage, files.audio, guid=episode.guid, max_bytes=max_bytes)
        new_keys.append(audio.key)
        _put_audio(changes, audio)
    elif files.staged_audio_id is not None:
        _put_audio(changes, _staged(session, files.staged_audio_id, "audio"))
    if files.image is not None:
        image = ingest_image(
            storage,
            files.image,
            owner=episode.guid,
            field="image",
            artwork=True,
            max_bytes=max_bytes,
        )
        new_keys.append(image.key)
        changes["image"] = image
    elif files.staged_image_id is not None:
        changes["image"] = _staged(session, files.staged_image_id, "image")
    elif files.remove_image:
        changes["image"] = None
    if files.transcript is not None:
        transcript = ingest_transcript(storage, files.transcript, guid=episode.guid)
        new_keys.append(transcript.key)
        changes["transcript"] = transcript
    elif files.staged_transcript_id is not None:
        changes["transcript"] = _staged(session, files.staged_transcript_id, "transcript")
    elif files.remove_transcript:
        changes["transcript"] = None
    return changes


def _put_audio(changes: dict[str, MediaAsset | None], asset: MediaAsset) -> None:
    """A master becomes the episode's master (its MP3 comes from the job; the audio published
    meanwhile stays); an MP3 or M4A is the audio itself, and supersedes any master."""
    if asset.kind == "master":
        changes["master"] = asset
    else:
        changes["audio"] = asset
        changes["master"] = None


def _queue_processing(
    session: Session, episode: Episode, changes: dict[str, MediaAsset | None], data: EpisodeInput
) -> None:
    """After a new upload: a master is levelled and encoded (publishing waits for it), an MP3
    or M4A measured (and levelled too when the show says so). Refuses publishing now while
    the episode's only audio is a master being processed."""
    if (master := changes.get("master")) is not None:
        episode.source = processing.source_json(master)
        processing.queue_processing(session, episode, encode=True)
    elif (audio := changes.get("audio")) is not None:
        episode.source = processing.source_json(audio)
        encode = processing.settings_for(episode.show).normalize_lossy
        processing.queue_processing(session, episode, encode=encode)
    asked = data.status is not UNSET and data.status != EpisodeStatus.DRAFT
    if asked and episode.status == EpisodeStatus.PUBLISHED and episode.audio is None:
        refusal = processing.publish_refusal(session, episode)
        if refusal:
            raise ValidationError(refusal, fields={"status": refusal})


_FILE_ATTRIBUTES = (
    "audio_id", "image_id", "transcript_id", "master_id", "audio", "image", "transcript",
    "master",
)  # fmt: skip


def _lock_files(session: Session, episode: Episode) -> None:
    """Serialize file replacements on one episode: hold its row lock, then re-read its files.

    Without it, two replacements that both read audio A would each replace A: the first one's
    new audio would be left attached to nothing.
    """
    if not lock_row(session, Episode, episode.id):
        raise NotFoundError(say("This episode was deleted while the files were being stored."))
    session.expire(episode, _FILE_ATTRIBUTES)


def _swap_files(episode: Episode, changes: dict[str, MediaAsset | None]) -> list[MediaAsset]:
    """Point the episode at the new files; returns the assets they replace."""
    replaced: list[MediaAsset] = []
    for attr, asset in changes.items():
        old = getattr(episode, attr)
        if old is not None and old is not asset:
            replaced.append(old)
        setattr(episode, attr, asset)
    return replaced


def _guid_for_new_episode(session: Session, files: Attachments) -> str:
    """A new UUID, or the one minted with the audio (its key already carries it): audio already
    on its way into storage while the request arrived, or a file staged earlier."""
    guid = planned_guid(files.audio)
    if guid and not session.scalar(select(Episode.id).where(Episode.guid == guid)):
        return guid
    for staged_id in (files.staged_audio_id, files.staged_image_id, files.staged_transcript_id):
        if staged_id is None:
            continue
        asset = session.get(MediaAsset, staged_id)
        guid = asset.episode_guid if asset is not None else None
        if guid and not session.scalar(select(Episode.id).where(Episode.guid == guid)):
            return guid
    return str(uuid.uuid4())


def create_episode(
    session: Session,
    storage: Storage,
    show: Show,
    data: EpisodeInput,
    files: Attachments = Attachments(),
    *,
    max_bytes: int,
    now: datetime | None = None,
    guid: str | None = None,
    before_commit: Callable[[Episode], None] | None = None,
) -> Episode:
    """Create an episode with its files; on any failure no row and no object remain.

    `guid` keeps an episode's identity when it comes from elsewhere (the seed folder).
    `before_commit` sees the flushed episode inside the transaction: an answer built there is
    built from what is committed, and what it adds is committed with it.
    """
    now = now or utcnow()
    if show.archived:
        raise ConflictError(
            say(
                "The show '%(title)s' is archived: it takes no new episodes. "
                "An admin can bring it back from its settings.",
                title=show.title,
            )
        )
    with removing_new_objects_on_failure(session, storage) as new_keys:
        guests = _resolve_guests(session, data)
        guid = guid or _guid_for_new_episode(session, files)
        episode = Episode(guid=guid, show=show, created_at=now, updated_at=now)
        episode.search_config = search_config(show.language)
        episode.status = EpisodeStatus.DRAFT
        _apply_fields(episode, data)
        episode.slug = unique_slug(
            episode.title,
            lambda s: (
                session.scalar(
                    select(Episode.id).where(Episode.show_id == show.id, Episode.slug == s)
                )
                is not None
            ),
            fallback="episode",
        )
        has_audio = files.audio is not None or files.staged_audio_id is not None
        _settle_status(episode, data, has_audio, now)  # before storing, so a refusal costs nothing
        with session.no_autoflush:
            changes = _store_files(session, storage, episode, files, new_keys, max_bytes)
            _swap_files(episode, changes)
            _check_chapters(episode)
        _set_guests(episode, guests or [])
        session.add(episode)
        _queue_processing(session, episode, changes, data)
        bump_revision(show, now, public=_listed(episode))
        episode_changed(session, episode, UNSEEN, now)
        queue_tags(session, episode)
        if before_commit is not None:
            session.flush()
            before_commit(episode)
        session.commit()
    return episode


def update_episode(
    session: Session,
    storage: Storage,
    episode: Episode,
    data: EpisodeInput,
    files: Attachments = Attachments(),
    *,
    max_bytes: int,
    now: datetime | None = None,
    grace: timedelta = timedelta(0),
) -> Episode:
    """Edit an episode; replaced files are kept for `grace` (the views pass
    PODCAST_REPLACED_MEDIA_GRACE_DAYS), or deleted once the change is committed."""
    now = now or utcnow()
    before = public_face(episode, now)
    with removing_new_objects_on_failure(session, storage) as new_keys:
        guests = _resolve_guests(session, data)
        _apply_fields(episode, data)
        has_audio = (
            episode.audio_id is not None
            or episode.master_id is not None
            or files.audio is not None
            or files.staged_audio_id is not None
        )
        _settle_status(episode, data, has_audio, now)
        with session.no_autoflush:
            changes = _store_files(session, storage, episode, files, new_keys, max_bytes)
        if changes:
            _lock_files(session, episode)
        with session.no_autoflush:
            replaced = _swap_files(episode, changes)
            _check_chapters(episode)
        if guests is not None:
            _set_guests(episode, guests)
        _queue_processing(session, episode, changes, data)
        episode.updated_at = now
        doomed = retire(session, replaced, episode_id=episode.id, now=now, grace=grace)
        bump_revision(episode.show, now, public=before.in_feed or _listed(episode))
        episode_changed(session, episode, before, now)
        queue_tags(session, episode)
        session.commit()
    delete_objects(storage, doomed)
    return episode


def delete_episode(
    session: Session, storage: Storage, episode: Episode, *, now: datetime | None = None
) -> list[str]:
    """Delete an episode and its files; returns the keys removed from storage."""
    now = now or utcnow()
    assets = [
        a for a in (episode.audio, episode.image, episode.transcript, episode.master)
        if a is not None
    ]  # fmt: skip
    keys = [asset.key for asset in assets]
    show = episode.show
    before = public_face(episode, now)
    try:
        episode_changed(session, episode, before, now, deleted=True)
        session.delete(episode)
        session.flush()
        for asset in assets:
            session.delete(asset)
        bump_revision(show, now, public=before.in_feed)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    delete_objects(storage, keys)
    return keys


def numbering_warnings(session: Session, episode: Episode) -> list[str]:
    """Sentences for the producer when another episode has the same season and number (apps
    may show only one of them); empty when the numbering is unique."""
    twins = queries.numbering_twins(session, episode)
    if not twins:
        return []
    where = say(
        "season %(season)s, episode %(number)s", season=episode.season, number=episode.number
    )
    if episode.season is None:
        where = say("episode %(number)s", number=episode.number)
    names = ", ".join(f"“{twin.title}”" for twin in twins)
    return [
        say_plural(
            "%(names)s is also %(where)s: podcast apps may show only one of them. "
            "Change the season or episode number.",
            "%(names)s are also %(where)s: podcast apps may show only one of them. "
            "Change the season or episode number.",
            len(twins),
            names=names,
            where=where,
        )
    ]


def stage_audio(
    session: Session,
    storage: Storage,
    upload: Upload,
    *,
    max_bytes: int,
    episode: Episode | None = None,
) -> MediaAsset:
    """Store audio ahead of the form's submission so a failed form never asks for it again.

    For a new episode the key carries a freshly minted guid (the one the audio is already being
    stored under, if it is), which the episode then takes.
    """
    guid = episode.guid if episode is not None else planned_guid(upload) or str(uuid.uuid4())
    return _stage(
        session, storage, lambda: ingest_audio(storage, upload, guid=guid, max_bytes=max_bytes)
    )


def stage_image(
    session: Session, storage: Storage, upload: Upload, *, guid: str, max_bytes: int
) -> MediaAsset:
    """Check and store an episode image ahead of the form's submission (as stage_audio), under
    the guid of the episode it is for; refused as the form's image would be."""
    return _stage(
        session,
        storage,
        lambda: ingest_image(
            storage, upload, owner=guid, field="image", artwork=True, max_bytes=max_bytes
        ),
    )


def stage_transcript(
    session: Session, storage: Storage, upload: Upload, *, guid: str
) -> MediaAsset:
    """Check and store a transcript ahead of the form's submission (as stage_audio)."""
    return _stage(session, storage, lambda: ingest_transcript(storage, upload, guid=guid))


def _stage(session: Session, storage: Storage, ingest: Callable[[], MediaAsset]) -> MediaAsset:
    """Store a file held by nothing yet: `podcast check --fix` removes it if no form takes it."""
    with removing_new_objects_on_failure(session, storage) as new_keys:
        asset = ingest()
        new_keys.append(asset.key)
        session.add(asset)
        session.commit()
    return asset
