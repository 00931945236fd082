"""Object storage for media: a Storage protocol with local-disk and S3 (boto3) backends."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from podcast.errors import ConfigError
from podcast.storage.base import (
    CHUNK_SIZE,
    IMMUTABLE_CACHE,
    ObjectInfo,
    Storage,
    new_media_key,
    validate_key,
)
from podcast.storage.local import LocalStorage
from podcast.storage.s3 import S3Storage

__all__ = [
    "CHUNK_SIZE",
    "IMMUTABLE_CACHE",
    "LocalStorage",
    "ObjectInfo",
    "S3Storage",
    "Storage",
    "from_url",
    "new_media_key",
    "validate_key",
]


def from_url(
    url: str, *, endpoint_url: str | None = None, media_base_url: str | None = None
) -> Storage:
    """Build the storage named by PODCAST_STORAGE_URL (file:///abs/path or s3://bucket/prefix)."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ConfigError("PODCAST_STORAGE_URL must not contain credentials; use AWS_* variables.")
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ConfigError("PODCAST_STORAGE_URL must give an absolute path: file:///abs/path.")
        return LocalStorage(Path(path), media_base_url=media_base_url)
    if parts.scheme == "s3" and parts.netloc:
        try:
            return S3Storage(
                parts.netloc,
                unquote(parts.path),
                endpoint_url=endpoint_url,
                media_base_url=media_base_url,
            )
        except ValueError as exc:
            raise ConfigError("PODCAST_STORAGE_URL has an invalid key prefix.") from exc
    raise ConfigError(
        "PODCAST_STORAGE_URL must be file:///absolute/path or s3://bucket[/prefix]; "
        f"got a {parts.scheme or 'schemeless'} URL."
    )
