"""Settings read once from PODCAST_* environment variables, each declared with type and default."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from argon2 import Parameters, profiles

from podcast.errors import ConfigError

# The repository: templates/, migrations/ and the seed folder episodes/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _parse_int(value: str) -> int:
    return int(value.strip())


def _parse_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


def _parse_optional_url(value: str) -> str | None:
    return _parse_url(value) if value.strip() else None


def _parse_database_url(value: str) -> str:
    value = value.strip()
    # Hosts hand out postgres:// (Heroku, Render, Fly); SQLAlchemy wants a driver name.
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    if not value.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ValueError("must start with sqlite://, postgres:// or postgresql://")
    return value


def _parse_storage_url(value: str) -> str:
    value = value.strip()
    if not (value.startswith("file:///") or value.startswith("s3://")) or value in {"s3://"}:
        raise ValueError("must be file:///absolute/path or s3://bucket/optional/prefix")
    return value


def _parse_positive_int(value: str) -> int:
    number = _parse_int(value)
    if number < 1:
        raise ValueError("must be a whole number of at least 1")
    return number


def _parse_non_negative_int(value: str) -> int:
    number = _parse_int(value)
    if number < 0:
        raise ValueError("must be a whole number, 0 or more")
    return number


def _parse_seconds(value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise ValueError("must be a number of seconds, 0 or more") from None
    if not 0 <= number <= 3600:
        raise ValueError("must be a number of seconds from 0 to 3600")
    return number


def _parse_redis_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a redis:// or rediss:// URL")
    return value


def _parse_queue_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value.startswith(("redis://", "rediss://", "unix://")):
        return value
    if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
        return value
    raise ValueError("must be sqlite:///path/to/queue.db or a redis:// URL")


def _parse_argon2_profile(value: str) -> str:
    name = value.strip().upper()
    if not isinstance(getattr(profiles, name, None), Parameters):
        raise ValueError(
            "must name an argon2 profile: RFC_9106_LOW_MEMORY (the default), "
            "RFC_9106_HIGH_MEMORY, or CHEAPEST (for tests only)"
        )
    return name


def _parse_handle(value: str) -> str:
    value = value.strip()
    if value and not re.fullmatch(r"[a-z][a-z0-9-]{0,38}[a-z0-9]", value):
        raise ValueError("must be a show's handle (lowercase ASCII letters, digits, hyphens)")
    return value


def _parse_smtp_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname or port == -1:
        raise ValueError("must be smtp://user:password@host:port or smtps://... (port optional)")
    return value


def _parse_mail_from(value: str) -> str:
    value = value.strip()
    _name, address = parseaddr(value)
    if value and ("@" not in address or any(ch in value for ch in "\r\n")):
        raise ValueError("must be an email address, optionally with a name: Podcast <a@b.org>")
    return value


def _parse_flag(value: str) -> bool:
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError("must be 1 or 0")


@dataclass(frozen=True)
class Setting:
    """One environment variable: its parser and a default (None: computed from the instance)."""

    env: str
    parse: Callable[[str], Any]
    default: str | None


SETTINGS: dict[str, Setting] = {
    "DATABASE_URL": Setting("PODCAST_DATABASE_URL", _parse_database_url, None),
    "STORAGE_URL": Setting("PODCAST_STORAGE_URL", _parse_storage_url, None),
    "S3_ENDPOINT_URL": Setting("PODCAST_S3_ENDPOINT_URL", _parse_optional_url, ""),
    "MEDIA_BASE_URL": Setting("PODCAST_MEDIA_BASE_URL", _parse_optional_url, ""),
    "SITE_URL": Setting("PODCAST_SITE_URL", _parse_url, "http://localhost:8000"),
    "SECRET_KEY": Setting("PODCAST_SECRET_KEY", str, None),
    "MAX_UPLOAD_MB": Setting("PODCAST_MAX_UPLOAD_MB", _parse_positive_int, "600"),
    "REDIS_URL": Setting("PODCAST_REDIS_URL", _parse_redis_url, ""),
    "TRUSTED_PROXIES": Setting("PODCAST_TRUSTED_PROXIES", _parse_non_negative_int, "0"),
    # Unset: Redis at PODCAST_REDIS_URL when that is set, else sqlite:///<instance>/queue.db.
    "QUEUE_URL": Setting("PODCAST_QUEUE_URL", _parse_queue_url, ""),
    # A running job whose worker has not reported for this long is taken as dead.
    "JOB_LEASE_SECONDS": Setting("PODCAST_JOB_LEASE_SECONDS", _parse_positive_int, "30"),
    # Replaced media stays served this long for apps holding the previous feed; 0: deleted at once.
    "REPLACED_MEDIA_GRACE_DAYS": Setting(
        "PODCAST_REPLACED_MEDIA_GRACE_DAYS", _parse_non_negative_int, "7"
    ),
    # The cost of hashing a password; tests pick CHEAPEST, as they test logins, not argon2.
    "PASSWORD_HASHING": Setting(
        "PODCAST_PASSWORD_HASHING", _parse_argon2_profile, "RFC_9106_LOW_MEMORY"
    ),
    "WEBSUB_HUB": Setting("PODCAST_WEBSUB_HUB", _parse_optional_url, ""),
    # How long a worker trusts the feed state it read (revision, next release) before asking
    # the database again; an edit in this process is seen at once. 0: ask on every request.
    "FEED_STATE_SECONDS": Setting("PODCAST_FEED_STATE_SECONDS", _parse_seconds, "1"),
    # The handle of the show that keeps the one-show URLs (/feed.xml, /episodes/<slug>);
    # unset: the first show created.
    "PRIMARY_SHOW": Setting("PODCAST_PRIMARY_SHOW", _parse_handle, ""),
    # Password-reset and invite mail; unset: no mail, admins pass invite links on themselves.
    "SMTP_URL": Setting("PODCAST_SMTP_URL", _parse_smtp_url, ""),
    # The mail's From; unset: podcast@<the host of PODCAST_SITE_URL>.
    "MAIL_FROM": Setting("PODCAST_MAIL_FROM", _parse_mail_from, ""),
    # Tests only: lets webhooks reach receivers on 127.0.0.1 and private networks.
    "WEBHOOK_ALLOW_PRIVATE": Setting("PODCAST_WEBHOOK_ALLOW_PRIVATE", _parse_flag, "0"),
    # Tests only: lets feed imports fetch from 127.0.0.1 and private networks (design.md 3.6).
    "IMPORT_ALLOW_PRIVATE": Setting("PODCAST_IMPORT_ALLOW_PRIVATE", _parse_flag, "0"),
    # Enclosures go through the counting route (design.md 3.7); off: the media URLs as before.
    "ANALYTICS": Setting("PODCAST_ANALYTICS", _parse_flag, "1"),
    # Days raw download hits are kept before only the daily rollups remain.
    "ANALYTICS_RETENTION_DAYS": Setting(
        "PODCAST_ANALYTICS_RETENTION_DAYS", _parse_positive_int, "30"
    ),
}


@dataclass(frozen=True)
class Settings:
    """The service's settings after parsing; built once by `load_settings`."""

    DATABASE_URL: str
    STORAGE_URL: str
    S3_ENDPOINT_URL: str | None
    MEDIA_BASE_URL: str | None
    SITE_URL: str
    SECRET_KEY: str
    MAX_UPLOAD_MB: int
    REDIS_URL: str | None
    TRUSTED_PROXIES: int
    QUEUE_URL: str
    JOB_LEASE_SECONDS: int
    REPLACED_MEDIA_GRACE_DAYS: int
    PASSWORD_HASHING: str
    WEBSUB_HUB: str | None
    FEED_STATE_SECONDS: float
    PRIMARY_SHOW: str
    SMTP_URL: str | None
    MAIL_FROM: str
    WEBHOOK_ALLOW_PRIVATE: bool
    IMPORT_ALLOW_PRIVATE: bool
    ANALYTICS: bool
    ANALYTICS_RETENTION_DAYS: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        """The largest accepted upload in bytes (PODCAST_MAX_UPLOAD_MB)."""
        return self.MAX_UPLOAD_MB * 1024 * 1024

    @property
    def replaced_media_grace(self) -> timedelta:
        """How long a replaced file stays served (PODCAST_REPLACED_MEDIA_GRACE_DAYS)."""
        return timedelta(days=self.REPLACED_MEDIA_GRACE_DAYS)

    def as_flask_config(self) -> dict[str, Any]:
        """The settings as Flask config keys (PODCAST_* plus the few Flask itself reads)."""
        config = {
            f"PODCAST_{f.name}": getattr(self, f.name) for f in fields(self) if f.name != "extra"
        }
        config.update(
            SECRET_KEY=self.SECRET_KEY,
            SQLALCHEMY_DATABASE_URI=self.DATABASE_URL,
            # Flask refuses larger bodies with 413 before any view runs; a little slack for the
            # other form fields so a file right at the limit is still accepted.
            MAX_CONTENT_LENGTH=self.max_upload_bytes + 1024 * 1024,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.SITE_URL.startswith("https://"),
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_SECURE=self.SITE_URL.startswith("https://"),
            PREFERRED_URL_SCHEME=urlsplit(self.SITE_URL).scheme,
            WTF_CSRF_TIME_LIMIT=None,
        )
        config.update(self.extra)
        return config


def _secret_key_file(instance_path: Path) -> str:
    """Read the instance's generated secret key, creating it once (0600) if missing."""
    path = instance_path / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _without_password(raw: str) -> str:
    """The value as an error may show it: a URL's password (SMTP, database) masked."""
    return re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", raw)


def load_settings(
    instance_path: Path,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Parse every PODCAST_* variable; a bad value raises ConfigError naming the variable."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        if name in overrides:
            raw = overrides.pop(name)
            if not isinstance(raw, str):
                values[name] = raw
                continue
        else:
            raw = environ.get(setting.env, setting.default)
        if raw is None:
            values[name] = None
            continue
        try:
            values[name] = setting.parse(raw)
        except ValueError as exc:
            reason = str(exc) if str(exc) and not str(exc).startswith("invalid literal") else ""
            raise ConfigError(
                f"{setting.env}={_without_password(raw)!r} is not valid"
                + (f": it {reason}." if reason else ": it must be a whole number.")
            ) from None
    if values["DATABASE_URL"] is None:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'podcast.db'}"
    if values["STORAGE_URL"] is None:
        values["STORAGE_URL"] = f"file://{instance_path / 'media'}"
    if values["QUEUE_URL"] is None:
        values["QUEUE_URL"] = values["REDIS_URL"] or f"sqlite:///{instance_path / 'queue.db'}"
    if not values["MAIL_FROM"]:
        values["MAIL_FROM"] = f"podcast@{urlsplit(values['SITE_URL']).hostname or 'localhost'}"
    if values["SECRET_KEY"] is None:
        values["SECRET_KEY"] = _secret_key_file(instance_path)
    return Settings(**values, extra=overrides)
