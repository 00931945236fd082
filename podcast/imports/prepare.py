"""What one source episode needs before it can be applied, fetched off the database thread:
its media, artwork, chapters JSON and transcript (each failure a sentence, never a crash)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import inspect

from podcast.errors import PodcastError
from podcast.imports.fetcher import Fetcher
from podcast.imports.media import ImportOptions, TempDownload, download
from podcast.imports.source import SourceChapter, SourceEpisode, SourceTranscript
from podcast.models import MediaAsset
from podcast.services import transcripts
from podcast.services.uploads import Upload, delete_objects, ingest_audio
from podcast.storage import Storage
from podcast.wording import say

IMAGE_MAX_BYTES = 20 * 1024 * 1024
SMALL_MAX_BYTES = 10 * 1024 * 1024
# Transcript types re-hosted (converted to WebVTT); any other type stays a link.
REHOSTED = {"text/vtt", "application/x-subrip", "application/srt", "text/srt", "text/x-srt"}


@dataclass
class Prepared:
    """The fetched parts of one episode; `problems` are sentences for the report."""

    media: TempDownload | None = None
    image: TempDownload | None = None
    chapters: list[SourceChapter] | None = None
    transcript_vtt: bytes | None = None
    transcript_sha256: str = ""
    transcript: SourceTranscript | None = None
    problems: list[str] = field(default_factory=list)
    # The media inspected and stored like an upload, off the database thread: its row is not
    # made yet. Unless an episode `claimed` it, remove() deletes the object (no orphan).
    audio: MediaAsset | None = None
    storage: Storage | None = None
    claimed: bool = False

    def remove(self) -> None:
        """Remove every temp file, and the stored audio no episode took."""
        for part in (self.media, self.image):
            if part is not None:
                part.remove()
        if self.audio is not None and not self.claimed and self.storage is not None:
            delete_objects(self.storage, [self.audio.key])
            self.audio = None

    def audio_row(self) -> MediaAsset | None:
        """A new row for the stored audio (a failed commit discards the previous one)."""
        if self.audio is None:
            return None
        state = inspect(self.audio).mapper.column_attrs
        return MediaAsset(**{
            a.key: getattr(self.audio, a.key) for a in state if a.key not in ("id", "created_at")
        })  # fmt: skip


def filename(url: str) -> str:
    """The last part of a URL's path: the name the file is stored with."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1][:255]


def rehosted_transcript(episode: SourceEpisode) -> SourceTranscript | None:
    """The transcript to re-host (the first SRT or WebVTT), if any."""
    for transcript in episode.transcripts:
        if transcript.mime_type.split(";")[0].strip().lower() in REHOSTED:
            return transcript
    return None


def prepare(
    fetcher: Fetcher,
    episode: SourceEpisode,
    options: ImportOptions,
    *,
    media: bool,
    extras: bool = True,
    storage: Storage | None = None,
) -> Prepared:
    """Fetch what the episode needs (the media only when `media`; inspected and stored as an
    upload when `storage` is given); never raises a PodcastError."""
    found = Prepared(storage=storage)
    try:
        if media and episode.enclosure is not None:
            found.media = download(fetcher, episode.enclosure.url, options, options.max_media_bytes)
            if storage is not None and not found.media.error and found.media.handle is not None:
                try:
                    found.audio = ingest_audio(
                        storage, Upload(found.media.handle, filename(found.media.url)),
                        guid=episode.guid, max_bytes=options.max_media_bytes,
                    )  # fmt: skip
                except PodcastError as exc:
                    found.media.error = exc.message
                found.media.remove()
        if not extras:
            return found
        if episode.image_url:
            found.image = download(fetcher, episode.image_url, options, IMAGE_MAX_BYTES)
            if found.image.error:
                found.problems.append(
                    say("Its artwork was not kept: %(reason)s", reason=found.image.error)
                )
                found.image = None
        if episode.chapters_url:
            try:
                fetched = fetcher.fetch_small(
                    episode.chapters_url, allow_private=options.allow_private,
                    max_bytes=SMALL_MAX_BYTES,
                )  # fmt: skip
                found.chapters = fetcher.parse_chapters_json(fetched.body)
            except PodcastError as exc:
                found.problems.append(
                    say("Its chapters were not kept: %(reason)s", reason=exc.message)
                )
        found.transcript = rehosted_transcript(episode)
        if found.transcript is not None:
            try:
                fetched = fetcher.fetch_small(
                    found.transcript.url, allow_private=options.allow_private,
                    max_bytes=SMALL_MAX_BYTES,
                )  # fmt: skip
                cues = transcripts.parse_transcript(fetched.body)
                found.transcript_vtt = transcripts.to_vtt(cues).encode()
                found.transcript_sha256 = hashlib.sha256(found.transcript_vtt).hexdigest()
            except PodcastError as exc:
                found.problems.append(
                    say("Its transcript was kept as a link: %(reason)s", reason=exc.message)
                )
                found.transcript = None
    except BaseException:
        found.remove()
        raise
    return found
