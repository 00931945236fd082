"""The API's JSON Schemas (OpenAPI 3.1 components): what it answers and what it accepts."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from podcast.feed.categories import category_choices
from podcast.jobs.records import JobState
from podcast.models import EpisodeEvent, EpisodeStatus, EpisodeType, ShowType
from podcast.services.embeds import EMBED_ORIGINS_MAX
from podcast.services.episode_input import DESCRIPTION_MAX, NUMBER_MAX, SUMMARY_MAX, TITLE_MAX
from podcast.services.fields import (
    DATE_MAX,
    DATE_MIN,
    LANGUAGE_MAX,
    LANGUAGE_PATTERN,
    URL_MAX,
    values_of,
)
from podcast.services.guests import BIO_MAX, NAME_MAX
from podcast.services.processing import BITRATES, CHANNELS, TARGET_RANGE, TRUE_PEAK_RANGE
from podcast.services.shows import (
    DESCRIPTION_BYTES_MAX,
    DIRECTORIES,
    EMAIL_MAX,
    FEED_PAGE_MAX,
    FEED_PAGE_MIN,
    TEXT_FIELDS,
    URL_FIELDS,
)

MAX_ID = 2**31 - 1
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
STATUSES = values_of(EpisodeStatus)
EPISODE_TYPES = values_of(EpisodeType)
SHOW_TYPES = values_of(ShowType)
JOB_STATES = values_of(JobState)
EVENTS = values_of(EpisodeEvent)


def ref(name: str) -> dict[str, str]:
    """A JSON reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_STRING = {"type": "string"}
_URL_OR_NULL = {"type": ["string", "null"], "description": "An absolute URL, or null."}
_TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (Z)."}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_WHOLE = {"type": "integer", "minimum": 1, "maximum": NUMBER_MAX}
_BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}

# Patterns mirror the service's rules, so a value the schema allows is one the service accepts.
_CONTROL = "\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f\\ufffe\\uffff"
# Python's whitespace (what str.strip removes), spelled out: ECMA's \s is another set.
_SPACE = (
    "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
ONE_LINE = f"^[^{_CONTROL}]*$"
ONE_LINE_REQUIRED = f"^[^{_CONTROL}]*[^{_SPACE}{_CONTROL}][^{_CONTROL}]*$"
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = f"^[^\\u0000]*[^{_SPACE}\\u0000][^\\u0000]*$"
HTTP_URL = f"^(https?://[^{_SPACE}\\u0000]+)?$"
EMAIL = f"^[^@{_SPACE}\\u0000]+@[^@{_SPACE}\\u0000]+\\.[^@{_SPACE}\\u0000]+$"
LANGUAGE = LANGUAGE_PATTERN
LANGUAGE_OR_EMPTY = f"^({LANGUAGE_PATTERN[1:-1]})?$"


def _text(max_length: int | None = None, pattern: str = NO_NUL, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "pattern": pattern, **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


_PUBLISH_AT = {
    "type": "string",
    "format": "date-time",
    "description": (
        "RFC 3339 date and time with its offset, e.g. 2026-12-01T09:00:00+01:00, "
        f"from {DATE_MIN.year} to {DATE_MAX.year}."
    ),
}
_CHAPTER = {
    "type": "object",
    "required": ["start", "title"],
    "properties": {
        "start": {"type": "number", "minimum": 0, "description": "Seconds from the start."},
        "title": _text(pattern=NOT_BLANK),
    },
}
_LINK = {
    "type": "object",
    "required": ["url"],
    "properties": {
        "label": _text(),
        "url": _text(URL_MAX, HTTP_URL, description="https:// or http:// URL."),
    },
}
_HOST = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _text(pattern=NOT_BLANK),
        "role": _text(),
        "href": _text(),
        "img": _text(),
    },
}

_TRANSCRIPT_LANGUAGE = _text(
    LANGUAGE_MAX,
    LANGUAGE_OR_EMPTY,
    description="The transcript's language (BCP 47, such as ru or uz-Latn); empty or null: "
    "the show's.",
)
EPISODE_FIELDS_JSON: dict[str, Any] = {
    "title": _text(TITLE_MAX, ONE_LINE_REQUIRED, description="One line."),
    "summary": _nullable(_text(SUMMARY_MAX)),
    "description": _nullable(_text(DESCRIPTION_MAX, description="Show notes in Markdown.")),
    "status": {
        "enum": STATUSES,
        "description": "published or scheduled need audio; scheduled needs publish_at.",
    },
    "publish_at": _nullable(_PUBLISH_AT),
    "season": _nullable(_WHOLE),
    "number": _nullable(_WHOLE),
    "episode_type": {"enum": EPISODE_TYPES},
    "explicit": {"type": "boolean"},
    "guests": {"type": "array", "items": ID, "description": "Guest ids in speaking order."},
    "chapters": _nullable({"type": "array", "items": ref("Chapter")}),
    "transcript_language": _nullable(_TRANSCRIPT_LANGUAGE),
    "image": {"type": "null", "description": "null removes the episode's image."},
    "transcript": {"type": "null", "description": "null removes the transcript."},
}
FORM_NOTE = (
    "In multipart bodies, numbers and booleans are text, lists of ids are repeated parts (or "
    "one JSON list), and lists of objects are one JSON part."
)
EPISODE_FIELDS_MULTIPART: dict[str, Any] = {
    **{
        name: EPISODE_FIELDS_JSON[name]
        for name in ("title", "episode_type", "explicit", "guests", "status")
    },
    "summary": _text(SUMMARY_MAX),
    "description": _text(DESCRIPTION_MAX, description="Show notes in Markdown."),
    "publish_at": _PUBLISH_AT,
    "season": _WHOLE,
    "number": _WHOLE,
    "chapters": {"type": "array", "items": ref("Chapter"), "description": "One JSON part."},
    "transcript_language": _TRANSCRIPT_LANGUAGE,
    "audio": {**_BINARY, "description": "MP3 or M4A (AAC)."},
    "image": {**_BINARY, "description": "Square JPEG or PNG, 1400 to 3000 px."},
    "transcript": {**_BINARY, "description": "SRT or WebVTT."},
}

GUEST_FIELDS_JSON: dict[str, Any] = {
    "name": _text(NAME_MAX, ONE_LINE_REQUIRED),
    "bio": _nullable(_text(BIO_MAX, description="Markdown.")),
    "website": _nullable(_text(URL_MAX, HTTP_URL)),
    "links": _nullable({"type": "array", "items": ref("Link")}),
    "photo": {"type": "null", "description": "null removes the photo."},
}
GUEST_FIELDS_MULTIPART: dict[str, Any] = {
    "name": GUEST_FIELDS_JSON["name"],
    "bio": _text(BIO_MAX, description="Markdown."),
    "website": _text(URL_MAX, HTTP_URL),
    "links": {"type": "array", "items": ref("Link"), "description": "One JSON part."},
    "photo": {**_BINARY, "description": "JPEG or PNG, 100 to 6000 px a side."},
}

SHOW_FIELDS_JSON: dict[str, Any] = {
    **{name: _text(limit, ONE_LINE) for name, limit in TEXT_FIELDS.items()},
    "title": _text(TEXT_FIELDS["title"], ONE_LINE_REQUIRED),
    "description": _text(
        DESCRIPTION_BYTES_MAX,
        NOT_BLANK,
        description=f"Markdown; at most {DESCRIPTION_BYTES_MAX} bytes in UTF-8 (Apple's limit).",
    ),
    "owner_email": _text(EMAIL_MAX, EMAIL),
    "language": _text(LANGUAGE_MAX, LANGUAGE, description="ISO 639 code such as en or uz-Latn."),
    "timezone": {"enum": sorted(available_timezones()), "description": "IANA time zone."},
    "categories": {
        "type": "array",
        "minItems": 1,
        "items": {"enum": category_choices()},
        "description": "Apple Podcasts categories, 'Category' or 'Category > Subcategory'.",
    },
    **{name: _text(URL_MAX, HTTP_URL) for name in URL_FIELDS},
    "explicit": {"type": "boolean"},
    "locked": {"type": "boolean"},
    "complete": {"type": "boolean"},
    "show_type": {"enum": SHOW_TYPES},
    "directory_links": {
        "type": "object",
        "description": "Subscribe links by directory; other names are ignored.",
        "properties": {name: _text(URL_MAX, HTTP_URL) for name in DIRECTORIES},
        "additionalProperties": {"type": "string"},
    },
    "hosts": {"type": "array", "items": ref("Host")},
    "embed_origins": _text(
        EMBED_ORIGINS_MAX,
        description="Origins that may frame the episode player, separated by spaces "
        "(https://www.example.org, https://*.example.org); empty: any site.",
    ),
    "feed_page_size": {
        "type": ["integer", "null"],
        "minimum": FEED_PAGE_MIN,
        "maximum": FEED_PAGE_MAX,
        "description": "How many episodes the main feed carries, newest first; the older ones "
        "are on its RFC 5005 pages (?page=2, ...). null: every episode.",
    },
    "loudness_target": {
        "type": ["number", "null"],
        "minimum": TARGET_RANGE[0],
        "maximum": TARGET_RANGE[1],
        "description": "Integrated loudness masters are levelled to, in LUFS; null: -16 for "
        "stereo, -19 for mono.",
    },
    "true_peak_max": {
        "type": ["number", "null"],
        "minimum": TRUE_PEAK_RANGE[0],
        "maximum": TRUE_PEAK_RANGE[1],
        "description": "The highest true peak of a levelled file, in dBTP; null: -1.",
    },
    "mp3_bitrate": {
        "enum": [*BITRATES, None],
        "description": "kbps of the published MP3; null: 128 for stereo, 64 for mono.",
    },
    "channels": {"enum": list(CHANNELS), "description": "The published MP3's layout."},
    "normalize_lossy": {
        "type": "boolean",
        "description": "Level MP3 and M4A uploads too (re-encoding them); false: measured and "
        "published untouched.",
    },
}


# No pattern: the service says what is wrong with a handle (taken, reserved, not ASCII,
# retired) in a sentence on the field.
HANDLE: dict[str, Any] = {
    "type": "string",
    "maxLength": 80,
    "description": "The show's address, /shows/<handle>/: 2 to 40 lowercase ASCII letters, "
    "digits and hyphens, starting with a letter; never changes nor is given twice. Left out: "
    "made from the title.",
}


def _show_multipart() -> dict[str, Any]:
    fields = {name: dict(schema) for name, schema in SHOW_FIELDS_JSON.items()}
    fields["artwork"] = {**_BINARY, "description": "Square JPEG or PNG, 1400 to 3000 px."}
    return fields


def _object(
    properties: dict[str, Any], required: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


def _output(properties: dict[str, Any]) -> dict[str, Any]:
    return _object(properties, list(properties))


SCHEMAS: dict[str, Any] = {
    "Error": _output(
        {
            "error": _output(
                {
                    "code": _STRING,
                    "message": _STRING,
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Field name to what is wrong with it.",
                    },
                }
            )
        }
    ),
    "Chapter": _CHAPTER,
    "ChapterOut": _output({"start": {"type": "number"}, "title": _STRING}),
    "Link": _LINK,
    "Host": _HOST,
    "Audio": _output(
        {
            "url": _STRING,
            "size_bytes": {"type": "integer", "minimum": 0},
            "mime_type": {"enum": ["audio/mpeg", "audio/x-m4a"]},
        }
    ),
    "Guest": _output(
        {
            "id": ID,
            "slug": _STRING,
            "name": _STRING,
            "bio": _STRING,
            "bio_html": _STRING,
            "website": _STRING,
            "links": {
                "type": "array",
                "items": _output({"label": _STRING, "url": _STRING}),
            },
            "photo": _URL_OR_NULL,
            "url": {"type": "string", "description": "The guest's public page."},
        }
    ),
    "Episode": _output(
        {
            "id": ID,
            "show": {"type": "string", "description": "The handle of the episode's show."},
            "slug": _STRING,
            "guid": {"type": "string", "description": "Minted once; never changes."},
            "title": _STRING,
            "summary": _STRING,
            "description": _STRING,
            "description_html": {"type": "string", "description": "Sanitized HTML."},
            "status": {"enum": STATUSES},
            "publish_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
            "season": {"type": ["integer", "null"]},
            "number": {"type": ["integer", "null"]},
            "episode_type": {"enum": EPISODE_TYPES},
            "explicit": {"type": "boolean"},
            "duration_seconds": {"type": ["number", "null"]},
            "audio": _nullable(ref("Audio")),
            "image": _URL_OR_NULL,
            "transcript": {**_URL_OR_NULL, "description": "WebVTT URL, or null."},
            "transcript_language": {
                "type": ["string", "null"],
                "description": "The transcript's language (BCP 47); null: the show's.",
            },
            "chapters": {"type": "array", "items": ref("ChapterOut")},
            "guests": {"type": "array", "items": ref("Guest")},
            "url": {"type": "string", "description": "The episode's public page."},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
            "loudness": {
                "anyOf": [ref("Loudness"), {"type": "null"}],
                "description": "EBU R128 figures of the published file; null until measured.",
            },
            "source": {
                "anyOf": [ref("Source"), {"type": "null"}],
                "description": "What was uploaded (a master, or the MP3/M4A published as is).",
            },
            "processing": {
                "anyOf": [ref("Job"), {"type": "null"}],
                "description": "The job making or measuring the published file, while it runs "
                "(or when it failed); null once done. A master is published once it is done.",
            },
        }
    ),
    "Loudness": _output(
        {
            "integrated_lufs": {"type": ["number", "null"], "description": "null: silence."},
            "true_peak_dbtp": {"type": ["number", "null"]},
            "range_lu": {"type": ["number", "null"]},
        }
    ),
    "Source": _output(
        {
            "format": {"enum": ["wav", "aiff", "flac", "mp3", "m4a"]},
            "duration_seconds": {"type": ["number", "null"]},
            "integrated_lufs": {"type": ["number", "null"]},
        }
    ),
    "EpisodeSaved": {
        "allOf": [
            ref("Episode"),
            _object(
                {
                    "warnings": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Sentences for the producer; the save succeeded (for "
                        "instance: another episode has the same season and episode number).",
                    }
                },
                ["warnings"],
            ),
        ]
    },
    "Show": _output(
        {
            "id": ID,
            "handle": {"type": "string", "description": "Chosen at creation; never changes."},
            "archived": {
                "type": "boolean",
                "description": "Archived: no new episodes; the feed says it is complete.",
            },
            **{name: _STRING for name in TEXT_FIELDS},
            "description": _STRING,
            "description_html": _STRING,
            "owner_email": _STRING,
            "language": _STRING,
            "timezone": _STRING,
            "categories": {"type": "array", "items": _STRING},
            "explicit": {"type": "boolean"},
            "show_type": {"enum": SHOW_TYPES},
            "artwork": _URL_OR_NULL,
            **{name: _STRING for name in URL_FIELDS},
            "directory_links": {"type": "object", "additionalProperties": _STRING},
            "hosts": {"type": "array", "items": {"type": "object"}},
            "locked": {"type": "boolean"},
            "complete": {"type": "boolean"},
            "embed_origins": {
                "type": "string",
                "description": "Origins that may frame the episode player; empty: any site.",
            },
            "feed_page_size": {"type": ["integer", "null"]},
            "loudness_target": {"type": "number", "description": "LUFS, default filled in."},
            "true_peak_max": {"type": "number", "description": "dBTP, default filled in."},
            "mp3_bitrate": {"type": "integer", "description": "kbps, default filled in."},
            "channels": {"enum": list(CHANNELS)},
            "normalize_lossy": {"type": "boolean"},
            "podcast_guid": _STRING,
            "feed_url": _STRING,
            "url": _STRING,
            "updated_at": _TIMESTAMP,
        }
    ),
    "Job": _output(
        {
            "id": ID,
            "kind": {"type": "string", "description": "What the job does, e.g. storage_check."},
            "state": {"enum": JOB_STATES},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "message": {"type": "string", "description": "How it is going, in a sentence."},
            "result": {"type": ["object", "null"], "description": "What it produced, once done."},
            "error": {"type": ["string", "null"], "description": "The last failure's sentence."},
            "show_id": {"type": ["integer", "null"]},
            "attempts": {"type": "integer", "minimum": 0},
            "max_attempts": {"type": "integer", "minimum": 1},
            "created_at": _TIMESTAMP,
            "started_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
            "finished_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
        }
    ),
    "JobList": _output({"items": {"type": "array", "items": ref("Job")}, "next": _URL_OR_NULL}),
    "Token": _output(
        {
            "id": ID,
            "label": _STRING,
            "state": {"enum": ["active", "expired", "revoked"]},
            "created_at": _TIMESTAMP,
            "last_used_at": {
                "anyOf": [_TIMESTAMP, {"type": "null"}],
                "description": "Written at most once a minute; null if never used.",
            },
            "expires_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
            "revoked_at": {"anyOf": [_TIMESTAMP, {"type": "null"}]},
            "current": {"type": "boolean", "description": "The token of this request."},
        }
    ),
    "TokenList": _output({"items": {"type": "array", "items": ref("Token")}, "next": _URL_OR_NULL}),
    "EpisodeList": _output(
        {"items": {"type": "array", "items": ref("Episode")}, "next": _URL_OR_NULL}
    ),
    "GuestList": _output({"items": {"type": "array", "items": ref("Guest")}, "next": _URL_OR_NULL}),
    "EpisodeCreate": _object(EPISODE_FIELDS_JSON, ["title"]),
    "EpisodePatch": _object(EPISODE_FIELDS_JSON),
    "EpisodeNormalize": _object({}, additionalProperties=False),
    "EpisodeProcessing": {
        "allOf": [ref("Episode"), _object({"job": ref("Job")}, ["job"])],
    },
    "EpisodeCreateForm": _object(EPISODE_FIELDS_MULTIPART, ["title"]),
    "EpisodePatchForm": _object(EPISODE_FIELDS_MULTIPART, minProperties=1),
    "GuestCreate": _object(GUEST_FIELDS_JSON, ["name"]),
    "GuestPatch": _object(GUEST_FIELDS_JSON),
    "GuestPatchForm": _object(GUEST_FIELDS_MULTIPART, minProperties=1),
    "ShowPatch": _object(SHOW_FIELDS_JSON),
    "ShowCreate": _object({"handle": HANDLE, **SHOW_FIELDS_JSON}, ["title"]),
    "ShowList": _output({"items": {"type": "array", "items": ref("Show")}, "next": _URL_OR_NULL}),
    "ImportCreate": _object(
        {
            "url": _text(URL_MAX, HTTP_URL, description="The source feed's address."),
            "show": {
                "type": "string",
                "maxLength": 80,
                "description": "The handle of the show to import into (a new show takes it "
                "when none has it); left out: a new show, or the one an earlier import of this "
                "feed made (a sync).",
            },
            "override_email": {
                "type": "string",
                "maxLength": 255,
                "description": "For a feed marked podcast:locked: the owner email it declares, "
                "typed by an admin to import it anyway (recorded).",
            },
        },
        ["url"],
    ),
    "WebhookCreate": _object(
        {
            "url": _text(
                URL_MAX,
                HTTP_URL,
                description="Receives a POST per event; must resolve to a public address.",
            ),
            "show": {
                "type": "string",
                "maxLength": 80,
                "description": "The handle of the show whose events it receives; left out: "
                "the primary show.",
            },
        },
        ["url"],
    ),
    "Webhook": _output(
        {
            "id": ID,
            "show_id": ID,
            "url": _STRING,
            "secret": {
                "type": "string",
                "description": "HMAC-SHA256 key (its UTF-8 bytes) of X-Podcast-Signature.",
            },
            "created_at": _TIMESTAMP,
            "deliveries": {"type": "string", "description": "This webhook's delivery log."},
        }
    ),
    "WebhookList": _output(
        {"items": {"type": "array", "items": ref("Webhook")}, "next": _URL_OR_NULL}
    ),
    "WebhookDelivery": _output(
        {
            "id": ID,
            "delivery_id": {"type": "string", "description": "X-Podcast-Delivery, every attempt."},
            "event": {"enum": EVENTS},
            "attempt": {"type": "integer", "minimum": 1},
            "status_code": {"type": ["integer", "null"], "description": "null: no answer."},
            "error": {"type": ["string", "null"], "description": "Why the attempt failed."},
            "created_at": _TIMESTAMP,
        }
    ),
    "WebhookDeliveryList": _output(
        {"items": {"type": "array", "items": ref("WebhookDelivery")}, "next": _URL_OR_NULL}
    ),
    "WebhookEvent": _output(
        {
            "event": {"enum": EVENTS},
            "delivery_id": {"type": "string", "description": "The same on every retry."},
            "occurred_at": _TIMESTAMP,
            "episode": {
                "description": "The episode as the API shows it; for episode.deleted, only "
                "id, guid, slug and title.",
                "anyOf": [
                    ref("Episode"),
                    _output({"id": ID, "guid": _STRING, "slug": _STRING, "title": _STRING}),
                ],
            },
            "show": ref("Show"),
        }
    ),
    "ShowPatchForm": _object(_show_multipart(), minProperties=1),
    "ShowCreateForm": _object({"handle": HANDLE, **_show_multipart()}, ["title"]),
}
