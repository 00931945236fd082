"""Backups: export every show (or one), guests, episodes, accounts and media; import into an
empty instance.

Format (version 1), in the export folder:
  manifest.json   {"format": "podcast-export", "version": 1, "exported_at": ISO 8601,
                   "tables": {table name: [row, ...]}, "media": [{"key", "size_bytes", "sha256"}],
                   "media_included": bool}
                  Rows hold every column; timestamps are ISO 8601 UTC, enums their values.
  media/<key>     the stored objects byte for byte (with --media)
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Enum, Table, false, func, insert, or_, select, text, union
from sqlalchemy.orm import Session

from podcast.errors import ConflictError, NotFoundError, ValidationError
from podcast.extensions import Base
from podcast.models import (
    ApiToken,
    Episode,
    EpisodeGuest,
    Guest,
    MediaAsset,
    RetiredHandle,
    Role,
    Show,
    ShowChange,
    ShowMember,
    User,
    UTCDateTime,
    utcnow,
)
from podcast.services import jsontext
from podcast.services.fields import DATE_RANGE_SENTENCE, date_in_range
from podcast.services.uploads import delete_objects
from podcast.storage import Storage, validate_key

FORMAT, VERSION = "podcast-export", 1
# Parents before children, so foreign keys hold at every insert.
MODELS: tuple[type[Base], ...] = (
    MediaAsset, Show, Guest, Episode, EpisodeGuest, User, ApiToken, ShowChange, ShowMember,
    RetiredHandle,
)  # fmt: skip


@dataclass(frozen=True)
class BackupSummary:
    """What an export or import moved."""

    rows: dict[str, int]
    media_objects: int
    media_bytes: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _decode_moment(column: Any, value: Any) -> datetime:
    """A timestamp of the export, checked as every surface checks dates (UTC if it has no zone)."""
    where = f"{column.table.name}.{column.name}"
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{where} holds {value!r}, not a date and time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not date_in_range(moment):
        raise ValidationError(f"{where} is {value}, which no page can show. {DATE_RANGE_SENTENCE}")
    return moment


def _decode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return _decode_moment(column, value)
    if isinstance(column.type, Enum) and column.type.enum_class is not None:
        return column.type.enum_class(value)
    return value


def _table(model: type[Base]) -> Table:
    # A declarative model's __table__ is typed FromClause; these models each map one Table.
    return cast(Table, model.__table__)


def _dump_table(
    session: Session, model: type[Base], where: ColumnElement[bool] | None = None
) -> list[dict[str, Any]]:
    table = _table(model)
    statement = select(table).order_by(*table.primary_key.columns)
    if where is not None:
        statement = statement.where(where)
    rows = session.execute(statement).mappings()
    return [{name: _encode(value) for name, value in row.items()} for row in rows]


def _one_show(show_id: int) -> dict[type[Base], ColumnElement[bool]]:
    """The rows of one show's export: the show, its episodes, their guests and files, its
    members and the admins (with their tokens), its settings' history; no retired handles."""
    episodes = select(Episode.id).where(Episode.show_id == show_id)
    guests = select(EpisodeGuest.guest_id).where(EpisodeGuest.episode_id.in_(episodes))
    users = select(ShowMember.user_id).where(ShowMember.show_id == show_id)
    media = union(
        select(Show.artwork_id).where(Show.id == show_id),
        *(
            select(column).where(Episode.show_id == show_id)
            for column in (
                Episode.audio_id,
                Episode.image_id,
                Episode.transcript_id,
                Episode.master_id,
            )
        ),
        select(Guest.photo_id).where(Guest.id.in_(guests)),
    )
    return {
        MediaAsset: MediaAsset.id.in_(media),
        Show: Show.id == show_id,
        Guest: Guest.id.in_(guests),
        Episode: Episode.show_id == show_id,
        EpisodeGuest: EpisodeGuest.episode_id.in_(episodes),
        User: or_(User.id.in_(users), User.role == Role.ADMIN),
        ApiToken: ApiToken.user_id.in_(
            select(User.id).where(or_(User.id.in_(users), User.role == Role.ADMIN))
        ),
        ShowChange: ShowChange.show_id == show_id,
        ShowMember: ShowMember.show_id == show_id,
        RetiredHandle: false(),
    }


def export_backup(
    session: Session, storage: Storage, folder: Path, *, media: bool, show: Show | None = None
) -> BackupSummary:
    """Write manifest.json (and with `media` every object under media/) into `folder`: of
    every show, or of the one given."""
    folder.mkdir(parents=True, exist_ok=True)
    wheres = _one_show(show.id) if show is not None else {}
    tables = {m.__tablename__: _dump_table(session, m, wheres.get(m)) for m in MODELS}
    manifest_media = [
        {"key": row["key"], "size_bytes": row["size_bytes"], "sha256": row["sha256"]}
        for row in tables[MediaAsset.__tablename__]
    ]
    total = 0
    if media:
        for item in manifest_media:
            target = folder / "media" / validate_key(item["key"])
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                for chunk in storage.open_range(item["key"]):
                    out.write(chunk)
            total += target.stat().st_size
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": utcnow().isoformat(),
        "media_included": media,
        "tables": tables,
        "media": manifest_media,
    }
    path = folder / "manifest.json"
    # Accounts' password and token hashes are in here: readable by the owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
    return BackupSummary(
        {name: len(rows) for name, rows in tables.items()},
        len(manifest_media) if media else 0,
        total,
    )


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = jsontext.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"No manifest.json in {folder}: is this an export folder?") from None
    except ValueError as exc:
        raise ValidationError(f"{folder}/manifest.json is not valid JSON ({exc}).") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ValidationError(f"{folder}/manifest.json is not a version {VERSION} podcast export.")
    return manifest


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _restore_media(storage: Storage, folder: Path, manifest: dict[str, Any]) -> tuple[int, int]:
    """Put the exported objects back (checked by SHA-256), or check they are already stored."""
    count = total = 0
    types = {row["key"]: row["mime_type"] for row in manifest["tables"]["media_asset"]}
    for item in manifest["media"]:
        key = validate_key(item["key"])
        source = folder / "media" / key
        if manifest.get("media_included"):
            if _sha256_of(source) != item["sha256"]:
                raise ValidationError(f"media/{key} does not match its SHA-256 in the manifest.")
            with source.open("rb") as handle:
                storage.put(key, handle, content_type=types[key], size=item["size_bytes"])
            count, total = count + 1, total + item["size_bytes"]
        elif not storage.exists(key):
            raise NotFoundError(
                f"{key} is not in storage and the export has no media: export with --media."
            )
    return count, total


def _reset_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in MODELS:
        table = _table(model)
        if "id" in table.c:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def import_backup(session: Session, storage: Storage, folder: Path) -> BackupSummary:
    """Restore an export into an empty instance: rows with their ids, and the media."""
    manifest = _read_manifest(folder)
    if session.scalar(select(func.count()).select_from(Show)) or session.scalar(
        select(func.count()).select_from(Episode)
    ):
        raise ConflictError("This instance already has content; import only into an empty one.")
    media_count, media_bytes = _restore_media(storage, folder, manifest)
    counts: dict[str, int] = {}
    try:
        for model in MODELS:
            table = _table(model)
            rows = [
                {
                    name: _decode(table.c[name], value)
                    for name, value in row.items()
                    if name in table.c
                }
                for row in manifest["tables"].get(table.name, [])
            ]
            if rows:
                session.execute(insert(table), rows)
            counts[table.name] = len(rows)
        _reset_sequences(session)
        session.commit()
    except BaseException:
        session.rollback()
        if manifest.get("media_included"):
            delete_objects(storage, [item["key"] for item in manifest["media"]])
        raise
    return BackupSummary(counts, media_count, media_bytes)
