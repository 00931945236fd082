"""The processing job's work on one episode: fetch its master (or upload), measure, level and
encode, tag, store the new MP3 under a new key and swap it in; and re-processing on demand."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from podcast.audio import codec, waveform
from podcast.audio import inspect as audio
from podcast.errors import AudioError, ConflictError, PodcastError
from podcast.jobs.records import Job, JobState
from podcast.models import Episode, MediaAsset, Show, utcnow
from podcast.notify.events import episode_changed, public_face
from podcast.services import processing, tagging
from podcast.services.locks import lock_row
from podcast.services.replaced import retire
from podcast.services.shows import bump_revision
from podcast.services.uploads import delete_objects
from podcast.storage import Storage, new_media_key
from podcast.wording import records, say

Progress = Callable[[float, str], None]
# Hooks run on the levelled MP3 after the service's own tags are written and before it is
# stored (the size and key are taken after them); what one sets on the episode commits with the
# swap. A hook that raises fails the job (retried), and nothing is published.
TagWriter = Callable[[Session, Episode, Path], None]
TAG_WRITERS: list[TagWriter] = []


def _source_asset(episode: Episode) -> MediaAsset:
    asset = episode.master or episode.audio
    if asset is None:
        raise AudioError(say("This episode has no audio to process; upload it first."))
    return asset


def _fmt(asset: MediaAsset) -> str:
    return str(processing.source_json(asset)["format"])


def run_job(
    session: Session,
    storage: Storage,
    job_id: int,
    payload: dict[str, Any],
    progress: Progress,
    *,
    grace: timedelta,
    now: Callable[[], datetime] = utcnow,
    link_for: Callable[[Episode], str] | None = None,
) -> dict[str, Any]:
    """Measure (and with payload["encode"], level and encode) an episode's audio.

    Idempotent: the job's work is recomputed from the stored source each time; the new MP3 is
    swapped in only while the episode still waits for this job, else it is deleted again.
    """
    episode = session.get(Episode, int(payload["episode_id"]))
    if episode is None or episode.processing_job_id != job_id:
        return {"skipped": say("The episode was deleted or re-processed since.")}
    source = _source_asset(episode)
    settings = processing.settings_for(episode.show)
    encode = bool(payload.get("encode"))
    key, fmt = source.key, _fmt(source)
    session.commit()  # no transaction stays open while the audio is worked on (minutes)
    with processing.work_dir() as folder:
        work = Path(folder)
        progress(2, say("Fetching the uploaded audio."))
        path = processing.fetch(storage, key, work)
        found = codec.probe(path, fmt)
        if not encode:
            measured = codec.measure(
                path, found, progress=lambda f: progress(5 + 90 * f, say("Measuring loudness."))
            )
            peaks = source.waveform or _waveform(path, fmt)
            return _record_measurement(session, episode, source, measured, job_id, peaks)
        levelled = processing.level_to_mp3(path, found, settings, work, progress)
        progress(90, say("Checking and tagging the MP3."))
        info = audio.inspect(levelled.path)
        _check_duration(levelled, info)
        # Tagged before it is stored, so the tag job has nothing to rewrite (its fingerprint).
        fingerprint = None
        if link_for is not None:
            fingerprint = tagging.write_episode_tags(
                storage, episode, levelled.path, link=link_for(episode),
                duration=info.duration_seconds,
            )  # fmt: skip
        for writer in TAG_WRITERS:
            writer(session, episode, levelled.path)
        kept = {"tags_sha256": fingerprint, "waveform": _waveform(levelled.path, "mp3")}
        return _swap_in(session, storage, episode, source, levelled, job_id, grace, now(), kept)


def _waveform(path: Path, fmt: str) -> dict[str, Any]:
    """The player's waveform of the file: the peak of its channels, streamed."""
    found = codec.mp3_probe(path) if fmt == "mp3" else codec.probe(path, fmt)
    mono = (abs(chunk).max(axis=0) for chunk in codec.decode(path, found))
    return waveform.peaks_from_samples(mono, found.sample_rate)


def _check_duration(levelled: processing.Levelled, info: audio.AudioInfo) -> None:
    """The frame scan's duration must be the master's (within 0.1 %): seeking depends on it."""
    want = levelled.source.duration_seconds
    if abs(info.duration_seconds - want) > max(want * processing.DURATION_TOLERANCE, 0.03):
        raise PodcastError(
            say(
                "The encoded MP3 lasts %(got)s s but the master %(want)s s; nothing was "
                "published. Report this with the master.",
                got=f"{info.duration_seconds:.2f}",
                want=f"{want:.2f}",
            )
        )


def _record_measurement(
    session: Session,
    episode: Episode,
    source: MediaAsset,
    measured: codec.Measurement,
    job_id: int,
    peaks: dict[str, Any],
) -> dict[str, Any]:
    if not lock_row(session, Episode, episode.id):
        return {"skipped": say("The episode was deleted meanwhile.")}
    session.refresh(episode)
    if episode.processing_job_id != job_id:
        session.rollback()
        return {"skipped": say("The episode was re-processed since.")}
    source.loudness = measured.loudness.to_json()
    source.waveform = peaks
    episode.source = processing.source_json(source)
    episode.processing_job_id = None
    session.commit()
    result: dict[str, Any] = {"loudness": source.loudness}
    warning = processing.loudness_warning(source, episode.show)
    if measured.loudness.integrated_lufs is None:
        result["warning"] = say("This audio is silent: its loudness is -inf.")
    elif warning:
        result["warning"] = warning
    return result


def _swap_in(
    session: Session,
    storage: Storage,
    episode: Episode,
    source: MediaAsset,
    levelled: processing.Levelled,
    job_id: int,
    grace: timedelta,
    now: datetime,
    kept: dict[str, Any],
) -> dict[str, Any]:
    """Store the MP3 (and, for an upload levelled for the first time, keep it as the master),
    then swap it in, the replaced file through the grace period; nothing is left on failure."""
    info = audio.inspect(levelled.path)
    new_keys: list[str] = []
    try:
        key = new_media_key(episode.guid, "mp3", "audio")
        with levelled.path.open("rb") as handle:
            storage.put(key, handle, content_type="audio/mpeg", size=info.size_bytes)
        new_keys.append(key)
        master = episode.master
        if master is None:  # a lossy upload levelled: keep it privately as its master
            master = _keep_as_master(storage, episode, source, new_keys)
        if not lock_row(session, Episode, episode.id):
            raise ConflictError(say("The episode was deleted while its audio was processed."))
        session.refresh(episode)
        if episode.processing_job_id != job_id:
            session.rollback()
            delete_objects(storage, new_keys)
            return {"skipped": say("The episode was re-processed since.")}
        before = public_face(episode, now)
        master.loudness = {**(master.loudness or {}), **levelled.source.loudness.to_json()}
        published = MediaAsset(
            key=key, kind="audio", episode_guid=episode.guid, mime_type="audio/mpeg",
            size_bytes=info.size_bytes, sha256=_sha256(levelled.path),
            duration_seconds=info.duration_seconds, bitrate=info.bitrate,
            sample_rate=info.sample_rate, channels=info.channels,
            warnings=[str(w) for w in levelled.warnings],
            warnings_wording=records(list(levelled.warnings)), loudness=levelled.output.to_json(),
            original_filename=master.original_filename, **kept,
        )  # fmt: skip
        old = [a for a in (episode.audio,) if a is not None and a is not source]
        old_lossy = episode.audio if episode.audio is source else None
        episode.audio = published
        episode.master = master
        episode.source = processing.source_json(master)
        episode.processing_job_id = None
        episode.updated_at = now
        doomed = retire(session, old, episode_id=episode.id, now=now, grace=grace)
        if old_lossy is not None:  # its bytes live on as the master; its public key retires
            doomed += retire(session, [old_lossy], episode_id=episode.id, now=now, grace=grace)
        bump_revision(episode.show, now, public=before.in_feed or episode.audio is not None)
        episode_changed(session, episode, before, now)
        session.commit()
    except BaseException:
        session.rollback()
        delete_objects(storage, new_keys)
        raise
    delete_objects(storage, doomed)
    return {
        "key": key,
        "loudness": levelled.output.to_json(),
        "source": episode.source,
        "gain_db": round(levelled.gain_db, 1),
        "warnings": list(levelled.warnings),
    }


def _keep_as_master(
    storage: Storage, episode: Episode, source: MediaAsset, new_keys: list[str]
) -> MediaAsset:
    ext = source.key.rsplit(".", 1)[-1]
    key = new_media_key(episode.guid, ext, "master", "masters")
    with processing.work_dir() as folder:
        path = processing.fetch(storage, source.key, Path(folder))
        with path.open("rb") as handle:
            storage.put(key, handle, content_type=source.mime_type, size=source.size_bytes)
    new_keys.append(key)
    return MediaAsset(
        key=key, kind="master", episode_guid=episode.guid, mime_type=source.mime_type,
        size_bytes=source.size_bytes, sha256=source.sha256,
        duration_seconds=source.duration_seconds, bitrate=source.bitrate,
        sample_rate=source.sample_rate, channels=source.channels, loudness=source.loudness,
        original_filename=source.original_filename,
    )  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def reprocess(
    session: Session, episode: Episode, *, user_id: int | None = None, commit: bool = True
) -> Job:
    """Level and encode the episode again from its master (or, the first time, its upload):
    a job; the published file stays until the new one replaces it."""
    if episode.master is None and episode.audio is None:
        raise ConflictError(say("This episode has no audio to process; upload it first."))
    job = processing.processing_job(session, episode)
    if job is not None and job.state in (JobState.QUEUED, JobState.RUNNING):
        return job
    job = processing.queue_processing(session, episode, encode=True, user_id=user_id)
    if commit:
        session.commit()
    return job


def reprocess_show(session: Session, show: Show, *, user_id: int | None = None) -> list[Job]:
    """Re-process every episode of the show that has audio (one job each)."""
    episodes = session.scalars(
        select(Episode).where(Episode.show_id == show.id).order_by(Episode.id)
    ).all()
    jobs = [
        reprocess(session, e, user_id=user_id, commit=False)
        for e in episodes
        if e.master_id is not None or e.audio_id is not None
    ]
    session.commit()
    return jobs
