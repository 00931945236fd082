"""The exception tree every service raises; views, the API and the CLI translate it."""

from __future__ import annotations


class PodcastError(Exception):
    """Root of every error the service layer raises on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(PodcastError):
    """Input that breaks a rule; `fields` maps each field name to its message."""

    code = "invalid"
    status = 422


class AudioError(ValidationError):
    """An upload that is not audio we can publish (not audio, wrong format, truncated)."""

    code = "bad_audio"


class TruncatedAudioError(AudioError):
    """Audio whose header promises more than the file holds."""

    code = "truncated_audio"


class NotFoundError(PodcastError):
    """The thing asked for does not exist (or is not visible to the asker)."""

    code = "not_found"
    status = 404


class ConflictError(PodcastError):
    """The change would break a rule that involves other records."""

    code = "conflict"
    status = 409


class TooLargeError(PodcastError):
    """An upload over the configured limit."""

    code = "too_large"
    status = 413


class StorageUnavailableError(PodcastError):
    """Object storage could not be reached or refused the operation."""

    code = "storage_unavailable"
    status = 503


class ConfigError(PodcastError):
    """A setting that cannot be used; the message names the variable."""

    code = "bad_config"
    status = 500


class UnauthorizedError(PodcastError):
    """A credential that does not (or no longer) open the door: the message says which."""

    code = "unauthorized"
    status = 401


class ForbiddenError(PodcastError):
    """The caller is known but may not do this; the message names what needs an admin."""

    code = "forbidden"
    status = 403
