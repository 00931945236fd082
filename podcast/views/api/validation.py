"""Request bodies read against the OpenAPI schemas: JSON or multipart, typed, an error per field."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.datastructures import FileStorage

from podcast.errors import PodcastError, ValidationError
from podcast.services import jsontext
from podcast.services.episode_input import TRANSCRIPT_LANGUAGE_SENTENCE, chapter_start_error
from podcast.services.fields import LANGUAGE_SENTENCE
from podcast.services.uploads import Upload
from podcast.views.api import openapi, schemas

JSON_TYPE = "application/json"
MULTIPART_TYPE = "multipart/form-data"


class BadRequestError(PodcastError):
    """A body the API cannot read at all (malformed JSON, not an object)."""

    code = "bad_request"
    status = 400


class UnsupportedMediaTypeError(PodcastError):
    """A body of a content type the operation does not take."""

    code = "unsupported_media_type"
    status = 415


@dataclass
class Body:
    """A request body: its fields (typed as JSON values) and any uploaded files."""

    fields: dict[str, Any]
    files: dict[str, FileStorage] = field(default_factory=dict)
    is_json: bool = True

    def upload(self, name: str) -> Upload | None:
        """The named file part as an Upload, or None when it was not sent."""
        part = self.files.get(name)
        if part is None:
            return None
        return Upload(part.stream, part.filename or "")


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_formats = FormatChecker(formats=())


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 with an offset, and a real date (2026-02-30 is not)."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@lru_cache(maxsize=64)
def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    # In ECMA-262, as in the schema, "$" is the very end; in Python it also matches before "\n".
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _ecma_pattern(pattern).search(instance):
        yield SchemaError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@lru_cache(maxsize=16)
def _validator(schema_name: str) -> Any:
    document = openapi.document()
    registry: Registry = Registry().with_resource(
        "urn:podcast:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return _Validator(
        {"$ref": f"urn:podcast:openapi#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=_formats,
    )


_PATTERN_MESSAGES = {
    schemas.ONE_LINE: "One line, without control characters.",
    schemas.ONE_LINE_REQUIRED: "Required: one line, without control characters.",
    schemas.NO_NUL: "Remove the NUL characters.",
    schemas.NOT_BLANK: "Required (and without NUL characters).",
    schemas.HTTP_URL: "Must be a full URL starting with https:// or http://.",
    schemas.EMAIL: "A valid email address.",
    schemas.LANGUAGE: LANGUAGE_SENTENCE,
    schemas.LANGUAGE_OR_EMPTY: TRANSCRIPT_LANGUAGE_SENTENCE,
}


def _message(error: Any) -> str:
    keyword, value = error.validator, error.validator_value
    if isinstance(error.instance, NonFinite):
        if error.absolute_path and error.absolute_path[-1] == "start":
            return str(chapter_start_error(math.inf, None))
        return f"{error.instance.text} is not a finite number."
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else value
        names = {"integer": "a whole number", "null": "null", "array": "a list"}
        return "Must be " + " or ".join(names.get(k, f"a {k}") for k in kinds) + "."
    if keyword == "enum":
        return "Choose one of: " + ", ".join(str(v) for v in value) + "."
    if keyword == "minimum":
        return f"Must be {value} or more."
    if keyword == "maximum":
        return f"Must be {value} or less."
    if keyword == "maxLength":
        return f"At most {value} characters."
    if keyword == "minLength":
        return "Required." if value == 1 else f"At least {value} characters."
    if keyword == "required":
        return "Required."
    if keyword == "minItems":
        return f"Give at least {value}."
    if keyword == "format":
        return "Give a date and time with its offset, e.g. 2026-12-01T09:00:00+01:00."
    if keyword == "pattern":
        return _PATTERN_MESSAGES.get(value, "Not in the expected form.")
    if keyword == "anyOf":
        # A nullable field: report what is wrong against the non-null branch.
        causes = [e for e in error.context or [] if e.validator_value != "null"]
        return _message(causes[0]) if causes else "Not valid."
    return error.message[:200]


def check_schema(fields: dict[str, Any], schema_name: str) -> None:
    """Raise ValidationError naming every field that breaks the documented schema."""
    errors: dict[str, str] = {}
    for error in _validator(schema_name).iter_errors(fields):
        path = list(error.absolute_path)
        if error.validator == "required":
            name = str(error.message.split("'")[1]) if "'" in error.message else "body"
        else:
            name = str(path[0]) if path else "body"
        errors.setdefault(name, _message(error))
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)


@dataclass(frozen=True)
class NonFinite:
    """NaN, Infinity or a number past a float's range, as a JSON body wrote it: no JSON number
    and no value the schemas accept, kept only where a field's own check names it (chapters)."""

    text: str


# The fields whose non-finite numbers get that field's 422; anywhere else the body is a 400.
_FINITE_CHECKED = frozenset({"chapters"})


def _number(text: str) -> float | int | NonFinite:
    # 5.0 is the integer 5 to JSON Schema, so the services get it as one.
    value = float(text)
    if not math.isfinite(value):
        return NonFinite(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _non_finite(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, text) of every NonFinite inside a parsed value."""
    if isinstance(value, NonFinite):
        yield path, value.text
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _non_finite(item, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, (*path, index))


def _parse(text: str | bytes, field: str | None = None) -> Any:
    """JSON from the client: 5.0 as 5, nesting bounded, NaN and Infinity refused (ValueError)
    except inside a field of _FINITE_CHECKED, where the schema refuses them with that field."""
    value = jsontext.loads(text, parse_constant=NonFinite, parse_float=_number)
    for path, number in _non_finite(value):
        where = (field, *path) if field else path
        if not where or where[0] not in _FINITE_CHECKED:
            inside = f" (in {where[0]})" if where else ""
            raise ValueError(f"{number}{inside} is not a number JSON allows")
    return value


def _json_fields() -> dict[str, Any]:
    data = request.get_data(cache=True)
    try:
        value = _parse(data)
        # A lone surrogate (\\ud800) is valid JSON but not text any database can store.
        json.dumps(value, ensure_ascii=False, default=repr).encode()
    except jsontext.TooDeepError as exc:
        raise BadRequestError(f"The body {exc}.") from None
    except (ValueError, UnicodeError) as exc:
        raise BadRequestError(f"The body is not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise BadRequestError("The body must be a JSON object.")
    return value


_FALSE = {"false", "0", "off", "no", "n"}
_TRUE = {"true", "1", "on", "yes", "y"}


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    """A form field's text as the JSON value its schema describes (left as text if it is not)."""
    kind, text = schema.get("type"), value.strip()
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return value
    if kind == "boolean":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else value
    return value


def _form_value(name: str, schema: dict[str, Any]) -> Any:
    """One multipart field; arrays of objects are one JSON part, arrays of ids repeated parts."""
    if schema.get("type") == "object":
        return _json_part(name, request.form[name])
    if schema.get("type") != "array":
        return _coerce(request.form[name], schema)
    values = request.form.getlist(name)
    items = schema.get("items", {})
    if (
        "$ref" in items
        or items.get("type") == "object"
        or (len(values) == 1 and values[0].lstrip().startswith("["))
    ):
        return _json_part(name, values[-1])
    return [_coerce(value, items) for value in values]


def _json_part(name: str, text: str) -> Any:
    """A multipart part holding JSON; left as text (and refused by the schema) if it is not."""
    try:
        return _parse(text, name)
    except jsontext.TooDeepError as exc:
        message = f"This JSON {exc}."
        raise BadRequestError(f"The part '{name}' {exc}.", fields={name: message}) from None
    except ValueError:
        return text


def _form_fields(schema_name: str) -> tuple[dict[str, Any], dict[str, FileStorage]]:
    properties = schemas.SCHEMAS[schema_name]["properties"]
    is_file = {name for name, schema in properties.items() if schema.get("contentMediaType")}
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}
    for name in request.form:
        if name in is_file:
            if request.form[name] != "":
                errors[name] = "Send this as a file part (with a filename)."
        elif name in properties:
            fields[name] = _form_value(name, properties[name])
    files = {}
    for name in request.files:
        if name in is_file:
            files[name] = request.files[name]
        elif name in properties:
            errors[name] = "This field takes text, not a file."
    if errors:
        raise ValidationError(f"Please correct: {', '.join(sorted(errors))}.", fields=errors)
    if not request.form and not request.files:
        raise BadRequestError("The multipart body holds no fields.")
    return fields, files


def read_body(json_schema: str, form_schema: str | None = None) -> Body:
    """The request's JSON or multipart body, checked against the documented schema."""
    mimetype = request.mimetype
    if mimetype == JSON_TYPE:
        fields = _json_fields()
        check_schema(fields, json_schema)
        return Body(fields)
    if mimetype == MULTIPART_TYPE and form_schema is not None:
        fields, files = _form_fields(form_schema)
        check_schema({**fields, **dict.fromkeys(files, "")}, form_schema)
        return Body(fields, files, is_json=False)
    takes = JSON_TYPE + (f" or {MULTIPART_TYPE}" if form_schema else "")
    raise UnsupportedMediaTypeError(
        f"Send the body as {takes}, not {mimetype or 'an unnamed type'}."
    )
