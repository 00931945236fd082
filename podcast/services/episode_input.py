"""Turn raw episode fields (form strings or JSON values) into a checked, frozen EpisodeInput.

The one parser for the form, the API and the seed folder. A new episode field: its attribute
on EpisodeInput, its parsing in parse_episode_input and its name in PLAIN_FIELDS here; its
column in models.py (and a migration); its JSON Schema in views/api/schemas.py; the admin form
field (views/admin/forms.py and the template). README's Layout section lists them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from podcast.errors import ValidationError
from podcast.models import CHAPTER_START_MAX, EpisodeStatus, EpisodeType
from podcast.services import jsontext
from podcast.services.fields import (
    DATE_RANGE_SENTENCE,
    UNSET,
    choose_sentence,
    date_in_range,
    is_language,
    parse_bool,
)
from podcast.services.guests import GuestData
from podcast.services.markup import has_control_characters, xml_safe
from podcast.wording import please_correct, say

TITLE_MAX = 255
SUMMARY_MAX = 4000
DESCRIPTION_MAX = 100_000
NUMBER_MAX = 100_000  # season and episode numbers run from 1 to this
CHAPTER_TITLE_MAX = 255
CHAPTERS_FORMAT = say(
    'Give chapters one a line ("0:00 Intro", "12:30 The report") or as JSON: '
    '[{"start": 0, "title": "Intro"}].'
)
TRANSCRIPT_LANGUAGE_SENTENCE = say(
    "An ISO 639 code such as en, ru or uz-Latn, or empty for the show's."
)
# A line's start, its title and, last, an optional link ("12:30 The report https://…").
_CHAPTER_LINE = re.compile(r"((?:\d+:){0,2}\d+(?:\.\d+)?)\s+(\S.*?)(?:\s+(https?://\S+))?")
_CHAPTER_URL = re.compile(r"https?://\S{1,2000}")
CHAPTER_LINE_FORMAT = say(
    'Write the start, then the title, then an optional link: "12:30 The report https://…".'
)


@dataclass(frozen=True)
class EpisodeInput:
    """An episode's checked fields, from parse_episode_input; UNSET: leave as it is (PATCH).

    A new episode field is declared here and parsed below; episodes._apply_fields copies it
    onto the column of its name, and the API's JSON Schema takes its limits from this module.
    """

    title: Any = UNSET
    summary: Any = UNSET
    description: Any = UNSET
    season: Any = UNSET
    number: Any = UNSET
    episode_type: Any = UNSET
    explicit: Any = UNSET
    status: Any = UNSET
    publish_at: Any = UNSET
    guest_ids: Any = UNSET
    chapters: Any = UNSET
    transcript_language: Any = UNSET
    new_guests: tuple[GuestData, ...] = ()

    def given(self, name: str) -> bool:
        """True when the field was supplied."""
        return getattr(self, name) is not UNSET


# Fields the admin form and the API pass through as they are, by name (text, whole numbers,
# flags, codes): the form fills and reads them, the API returns them. The other fields have rules
# of their own (status and publish_at, guests, chapters, episode_type).
PLAIN_FIELDS = (
    "title", "summary", "description", "season", "number", "explicit", "transcript_language",
)  # fmt: skip


def _text(value: Any, name: str, limit: int, *, required: bool, errors: dict[str, str]) -> Any:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = say("Must be text.")
        return UNSET
    value = value.replace("\r\n", "\n").strip()
    if name != "title":
        # NUL and other characters XML forbids can't be stored by PostgreSQL nor fed to a feed.
        value = xml_safe(value)
    if required and not value:
        errors[name] = say("Required.")
    elif len(value) > limit:
        errors[name] = say(
            "At most %(count)s characters (this has %(length)s).", count=limit, length=len(value)
        )
    elif name == "title" and has_control_characters(value):
        errors[name] = say("Remove the invisible control characters from the title.")
    elif name == "title" and "\n" in value:
        errors[name] = say("A title is one line.")
    return value


def _positive_int(value: Any, name: str, errors: dict[str, str]) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[name] = say("Must be a whole number of 1 or more.")
        return UNSET
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[name] = say("Must be a whole number of 1 or more.")
        return UNSET
    if not 1 <= number <= NUMBER_MAX:
        errors[name] = say("Must be a whole number of 1 or more.")
        return UNSET
    return number


def parse_datetime(value: Any, timezone: str) -> datetime:
    """ISO 8601; a time without a zone is read in the show's time zone. Raises ValueError."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if not text:
            raise ValueError("empty")
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _id_list(value: Any, errors: dict[str, str]) -> Any:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = jsontext.loads(value)
        except ValueError:
            value = [part for part in value.replace(",", " ").split()]
    if not isinstance(value, list):
        errors["guests"] = say("Give a list of guest ids.")
        return UNSET
    ids: list[int] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("id")
        try:
            guest_id = int(item)
        except (TypeError, ValueError):
            errors["guests"] = say("%(item)r is not a guest id.", item=item)
            return UNSET
        if guest_id not in ids:
            ids.append(guest_id)
    return ids


def chapter_start_error(start: float, duration: float | None) -> str | None:
    """Why a chapter start is refused (None if fine): finite, 0 or more, inside the audio."""
    if not math.isfinite(start) or start < 0:
        return say("Each chapter needs a start of 0 or more seconds.")
    if start > CHAPTER_START_MAX:
        return say(
            "A chapter cannot start after %(count)s seconds.", count=f"{CHAPTER_START_MAX:,}"
        )
    if duration is not None and start > 0 and start >= duration:
        return say(
            "A chapter starts at %(start)s s, after the end of the audio (%(duration)s s); "
            "change or remove it.",
            start=f"{start:g}",
            duration=f"{duration:.1f}",
        )
    return None


def split_chapter_line(line: str) -> tuple[str, str, str] | None:
    """A chapter line's start as written, its title and its link ("" if none); None if the
    line is not a chapter."""
    match = _CHAPTER_LINE.fullmatch(line.strip())
    if match is None:
        return None
    clock, title, url = match.groups()
    return clock, title, url or ""


def _chapter_line(line: str) -> dict[str, Any] | None:
    """'1:02:03 Title https://…' or '75.5 Title' as a chapter; None if it is not that."""
    parts = split_chapter_line(line)
    if parts is None:
        return None
    clock, title, url = parts
    seconds = 0.0
    for part in clock.split(":"):
        seconds = seconds * 60 + float(part)
    return {"start": seconds, "title": title, **({"url": url} if url else {})}


def _chapter_lines(text: str) -> list[dict[str, Any]] | None:
    """The form's chapters, one a line; None if a line is not a chapter."""
    chapters: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        chapter = _chapter_line(line)
        if chapter is None:
            return None
        chapters.append(chapter)
    return chapters


def chapter_row_problems(text: str, duration: float | None) -> list[tuple[int, str]]:
    """The form's chapter lines checked one by one, as (row from 1, why): each readable, its
    start inside the audio, the first at 0:00 and each after the one above. JSON is left to
    the field's own check."""
    rows = [line for line in (text or "").splitlines() if line.strip()]
    if not rows or rows[0].lstrip().startswith("["):
        return []
    problems: list[tuple[int, str]] = []
    previous: float | None = None
    for number, line in enumerate(rows, start=1):
        chapter = _chapter_line(line)
        if chapter is None:
            problems.append((number, CHAPTER_LINE_FORMAT))
            continue
        start = chapter["start"]
        problem = chapter_start_error(start, duration)
        if problem is None and number == 1 and start != 0:
            problem = say("The first chapter starts at 0:00.")
        elif problem is None and previous is not None and start <= previous:
            problem = say("Starts no later than the chapter above it: put the chapters in order.")
        if problem is not None:
            problems.append((number, problem))
        previous = start
    return problems


def _chapters(value: Any, errors: dict[str, str]) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        lines = None if value.lstrip().startswith("[") else _chapter_lines(value)
        if lines is not None:
            value = lines
        else:
            try:
                value = jsontext.loads(value)
            except ValueError:
                errors["chapters"] = CHAPTERS_FORMAT
                return UNSET
    if not isinstance(value, list):
        errors["chapters"] = say("Give a list of chapters.")
        return UNSET
    chapters = []
    for item in value:
        try:
            start, title = float(item["start"]), str(item["title"]).strip()
        except (TypeError, KeyError, ValueError, OverflowError):
            errors["chapters"] = say("Each chapter needs a start (seconds) and a title.")
            return UNSET
        problem = chapter_start_error(start, None)
        if problem or not title:
            errors["chapters"] = problem or say("Each chapter needs a title.")
            return UNSET
        chapter = {"start": start, "title": xml_safe(title)[:CHAPTER_TITLE_MAX]}
        url = item.get("url") if isinstance(item, dict) else None
        if url not in (None, ""):
            if not isinstance(url, str) or not _CHAPTER_URL.fullmatch(url.strip()):
                errors["chapters"] = say("A chapter's link is a web address (https://…).")
                return UNSET
            chapter["url"] = url.strip()
        chapters.append(chapter)
    return sorted(chapters, key=lambda c: c["start"])


def _language(value: Any, errors: dict[str, str]) -> Any:
    """A transcript language: a BCP 47 tag, or None (empty) for the show's."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors["transcript_language"] = say("Must be text.")
        return UNSET
    value = value.strip()
    if value and not is_language(value):
        errors["transcript_language"] = TRANSCRIPT_LANGUAGE_SENTENCE
        return UNSET
    return value or None


def parse_episode_input(raw: Mapping[str, Any], *, partial: bool, timezone: str) -> EpisodeInput:
    """Check the raw fields; raises ValidationError naming every bad field at once."""
    data, errors = read_episode_input(raw, partial=partial, timezone=timezone)
    if errors:
        raise ValidationError(please_correct(errors), fields=errors)
    return data


# The error key of a field when it is not the field's own name.
_ERROR_KEYS = {"guest_ids": "guests"}


def read_episode_input(
    raw: Mapping[str, Any], *, partial: bool, timezone: str
) -> tuple[EpisodeInput, dict[str, str]]:
    """The fields that are valid (the others left UNSET) and every bad field's message."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    def present(name: str) -> bool:
        return name in raw or not partial

    if present("title"):
        values["title"] = _text(raw.get("title"), "title", TITLE_MAX, required=True, errors=errors)
    if present("summary"):
        values["summary"] = _text(
            raw.get("summary"), "summary", SUMMARY_MAX, required=False, errors=errors
        )
    if present("description"):
        values["description"] = _text(
            raw.get("description"), "description", DESCRIPTION_MAX, required=False, errors=errors
        )
    for name in ("season", "number"):
        if present(name):
            values[name] = _positive_int(raw.get(name), name, errors)
    if present("episode_type"):
        value = str(raw.get("episode_type") or "full").strip().lower()
        if value in {t.value for t in EpisodeType}:
            values["episode_type"] = EpisodeType(value)
        else:
            errors["episode_type"] = choose_sentence(EpisodeType)
    if present("explicit"):
        values["explicit"] = parse_bool(raw.get("explicit", False))
    if present("status"):
        value = str(raw.get("status") or "draft").strip().lower()
        if value in {s.value for s in EpisodeStatus}:
            values["status"] = EpisodeStatus(value)
        else:
            errors["status"] = choose_sentence(EpisodeStatus)
    if present("publish_at"):
        when = raw.get("publish_at")
        if when in (None, ""):
            values["publish_at"] = None
        else:
            try:
                moment = parse_datetime(when, timezone)
            except OverflowError:  # a moment the time zone moves past year 1 or 9999
                errors["publish_at"] = DATE_RANGE_SENTENCE
            except (ValueError, TypeError):
                errors["publish_at"] = say("Not a date and time; use a form like 2026-12-01T09:00.")
            else:
                if date_in_range(moment):
                    values["publish_at"] = moment
                else:
                    errors["publish_at"] = DATE_RANGE_SENTENCE
    if "guests" in raw or not partial:
        values["guest_ids"] = _id_list(raw.get("guests"), errors)
    if "chapters" in raw:
        values["chapters"] = _chapters(raw.get("chapters"), errors)
    if present("transcript_language"):
        values["transcript_language"] = _language(raw.get("transcript_language"), errors)
    valid = {name: v for name, v in values.items() if _ERROR_KEYS.get(name, name) not in errors}
    return EpisodeInput(**valid), errors
