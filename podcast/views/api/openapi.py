"""The API's OpenAPI 3.1 document; its JSON request schemas also validate what clients send."""

from __future__ import annotations

from copy import deepcopy
from functools import lru_cache
from typing import Any

from podcast.views.api import downloads_spec
from podcast.views.api.schemas import (
    FORM_NOTE,
    ID,
    JOB_STATES,
    MAX_ID,
    MAX_LIMIT,
    SCHEMAS,
    STATUSES,
    ref,
)

_ERRORS = {
    "400": "Malformed JSON, or a body that is not a JSON object.",
    "401": "No bearer token, or one that is unknown, revoked or expired (the message says which).",
    "404": "No such resource.",
    "409": "The change conflicts with other records.",
    "413": "The upload is larger than the limit.",
    "415": "The body's content type is not one this operation takes.",
    "403": "Only admins may do this.",
    "422": "Invalid fields; `error.fields` names each one.",
    "503": "Media storage is unavailable; nothing was saved.",
}


def _error(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERRORS[status],
        "content": {"application/json": {"schema": ref("Error")}},
    }
    if status == "401":
        response["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }
    return response


def _ok(status: str, schema: str, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ref(schema)}},
    }
    if status == "201":
        response["headers"] = {
            "Location": {"schema": {"type": "string"}, "description": "The new resource's URL."}
        }
    return {status: response}


def _operation(
    op_id: str,
    summary: str,
    ok: dict[str, Any],
    errors: str,
    body: dict[str, str] | None = None,
    parameters: list[dict[str, Any]] | None = None,
    tag: str = "",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**ok, **{s: _error(s) for s in errors.split()}},
    }
    if parameters:
        operation["parameters"] = parameters
    if body:
        content: dict[str, Any] = {}
        for media_type, schema in body.items():
            content[media_type] = {"schema": ref(schema)}
            if media_type == "multipart/form-data":
                content[media_type]["encoding"] = {
                    name: {"contentType": "application/octet-stream"}
                    for name in ("audio", "image", "transcript", "photo", "artwork")
                    if name in SCHEMAS[schema]["properties"]
                }
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


_LIST_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20},
    },
    {
        "name": "cursor",
        "in": "query",
        "description": "Opaque; take it from the previous page's `next`.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    },
]
_JOB_FILTERS = [
    {
        "name": "show",
        "in": "query",
        "description": "A show's handle (or its id); one you may not act on is a 404.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    },
    {"name": "state", "in": "query", "schema": {"enum": JOB_STATES}},
]
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: for 24 hours, the same key with the same body gets the first "
        "answer again (with `Idempotent-Replayed: true`) instead of a second resource; the same "
        "key with another body is a 422 (`idempotency_key_reused`), and one saved by a request "
        "running at the same time a 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
_CREATED = "Created (or, for a known Idempotency-Key, the first answer again)."
_NO_CONTENT = {"204": {"description": "Deleted."}}


def _paths() -> dict[str, Any]:
    episode_id, guest_id = [_path_id("episode_id")], [_path_id("guest_id")]
    token_id = [_path_id("token_id")]
    webhook_id = [_path_id("webhook_id")]
    episode_body = {"multipart/form-data": "EpisodePatchForm", "application/json": "EpisodePatch"}
    create_body = {"multipart/form-data": "EpisodeCreateForm", "application/json": "EpisodeCreate"}
    status_filter = {"name": "status", "in": "query", "schema": {"enum": STATUSES}}
    show_body = {"multipart/form-data": "ShowPatchForm", "application/json": "ShowPatch"}
    show_filter = {
        "name": "show",
        "in": "query",
        "description": "A show's handle; left out: the primary show.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    }
    handle = {
        "name": "handle",
        "in": "path",
        "required": True,
        "description": "The show's handle; a show you are not a member of is a 404.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 80},
    }
    return {
        "/episodes": {
            "get": _operation(
                "listEpisodes", "The primary show's episodes, newest first (drafts included).",
                _ok("200", "EpisodeList", "A page of episodes."), "401 404 422",
                parameters=[*_LIST_PARAMETERS, status_filter], tag="episodes",
            ),
            "post": _operation(
                "createEpisode",
                "Create an episode on the primary show: multipart with audio, or JSON for a draft.",
                _ok("201", "EpisodeSaved", _CREATED), "400 401 404 409 413 415 422 503",
                body=create_body, parameters=[_IDEMPOTENCY_KEY], tag="episodes",
            ),
        },
        "/shows/{handle}/episodes": {
            "get": _operation(
                "listShowEpisodes", "One show's episodes, newest first (drafts included).",
                _ok("200", "EpisodeList", "A page of episodes."), "401 404 422",
                parameters=[handle, *_LIST_PARAMETERS, status_filter], tag="episodes",
            ),
            "post": _operation(
                "createShowEpisode",
                "Create an episode on this show (refused with 409 while it is archived).",
                _ok("201", "EpisodeSaved", _CREATED), "400 401 404 409 413 415 422 503",
                body=create_body, parameters=[handle, _IDEMPOTENCY_KEY], tag="episodes",
            ),
        },
        "/episodes/{episode_id}": {
            "get": _operation(
                "getEpisode", "One episode.", _ok("200", "Episode", "The episode."), "401 404",
                parameters=episode_id, tag="episodes",
            ),
            "patch": _operation(
                "updateEpisode", "Change an episode; given fields only, a new `audio` replaces it.",
                _ok("200", "EpisodeSaved", "The changed episode."),
                "400 401 404 413 415 422 503",
                body=episode_body, parameters=episode_id, tag="episodes",
            ),
            "delete": _operation(
                "deleteEpisode", "Delete an episode and its files.", _NO_CONTENT, "401 404",
                parameters=episode_id, tag="episodes",
            ),
        },
        "/episodes/{episode_id}/normalize": {
            "post": _operation(
                "normalizeEpisode",
                "Level the episode's audio to the show's loudness and encode it again (from its "
                "master, or the MP3/M4A it was uploaded as), as a job: `{}` as the body.",
                _ok("202", "EpisodeProcessing", "The episode and the job now queued."),
                "400 401 404 409 415 422",
                body={"application/json": "EpisodeNormalize"}, parameters=episode_id,
                tag="episodes",
            ),
        },
        "/guests": {
            "get": _operation(
                "listGuests", "Guests, oldest first.", _ok("200", "GuestList", "A page of guests."),
                "401 422", parameters=_LIST_PARAMETERS, tag="guests",
            ),
            "post": _operation(
                "createGuest", "Create a guest.", _ok("201", "Guest", _CREATED),
                "400 401 409 415 422", body={"application/json": "GuestCreate"},
                parameters=[_IDEMPOTENCY_KEY], tag="guests",
            ),
        },
        "/guests/{guest_id}": {
            "get": _operation(
                "getGuest", "One guest.", _ok("200", "Guest", "The guest."), "401 404",
                parameters=guest_id, tag="guests",
            ),
            "patch": _operation(
                "updateGuest", "Change a guest; multipart also takes a `photo`.",
                _ok("200", "Guest", "The changed guest."), "400 401 404 413 415 422 503",
                body={"multipart/form-data": "GuestPatchForm", "application/json": "GuestPatch"},
                parameters=guest_id, tag="guests",
            ),
            "delete": _operation(
                "deleteGuest", "Delete a guest who is on no episode.", _NO_CONTENT, "401 404 409",
                parameters=guest_id, tag="guests",
            ),
        },
        "/show": {
            "get": _operation(
                "getShow", "The primary show's settings.", _ok("200", "Show", "The show."),
                "401 404", tag="show",
            ),
            "patch": _operation(
                "updateShow", "Change the primary show; multipart also takes `artwork`.",
                _ok("200", "Show", "The changed show."), "400 401 404 413 415 422 503",
                body=show_body, tag="show",
            ),
        },
        "/shows": {
            "get": _operation(
                "listShows", "The shows you may act on (an admin: every show), oldest first.",
                _ok("200", "ShowList", "Every show you are a member of."), "401", tag="show",
            ),
            "post": _operation(
                "createShow",
                "Create a show (admins); `error.fields.handle` says why a handle is refused "
                "(taken, reserved, not ASCII, or a deleted show's).",
                _ok("201", "Show", "Created."), "400 401 403 413 415 422 503",
                body={"multipart/form-data": "ShowCreateForm", "application/json": "ShowCreate"},
                tag="show",
            ),
        },
        "/shows/{handle}": {
            "get": _operation(
                "getShowByHandle", "One show's settings.", _ok("200", "Show", "The show."),
                "401 404", parameters=[handle], tag="show",
            ),
            "patch": _operation(
                "updateShowByHandle", "Change one show; multipart also takes `artwork`.",
                _ok("200", "Show", "The changed show."), "400 401 403 404 413 415 422 503",
                body=show_body, parameters=[handle], tag="show",
            ),
        },
        "/jobs": {
            "get": _operation(
                "listJobs", "Background jobs, newest first.",
                _ok("200", "JobList", "A page of jobs."), "401 422",
                parameters=[*_LIST_PARAMETERS, *_JOB_FILTERS], tag="jobs",
            ),
        },
        "/jobs/{job_id}": {
            "get": _operation(
                "getJob", "One job: state, progress (0-100), message and result.",
                _ok("200", "Job", "The job."), "401 404", parameters=[_path_id("job_id")],
                tag="jobs",
            ),
        },
        "/imports": {
            "post": {
                **_operation(
                    "createImport",
                    "Import (or sync) a show from its existing feed, as a job (admins); follow "
                    "it at /jobs/{id}.",
                    {"202": {
                        "description": "Accepted: the job that imports the feed.",
                        "content": {"application/json": {"schema": ref("Job")}},
                        "headers": {"Location": {"schema": {"type": "string"},
                                                 "description": "The job's URL."}},
                    }},
                    "400 401 403 404 409 415 422", body={"application/json": "ImportCreate"},
                    tag="imports",
                ),
            },
        },
        "/tokens": {
            "get": _operation(
                "listTokens", "Your API tokens, newest first, with their state and last use.",
                _ok("200", "TokenList", "A page of your tokens."), "401 422",
                parameters=_LIST_PARAMETERS, tag="tokens",
            ),
        },
        "/tokens/{token_id}": {
            "delete": _operation(
                "revokeToken",
                "Revoke one of your tokens (an admin: anyone's); it is refused from then on.",
                {"204": {"description": "Revoked."}}, "401 404", parameters=token_id,
                tag="tokens",
            ),
        },
        "/webhooks": {
            "get": _operation(
                "listWebhooks",
                "A show's webhooks (?show=<handle>, else the primary show's), with their "
                "secrets (admins).",
                _ok("200", "WebhookList", "Every webhook of the show."), "401 403 404",
                parameters=[show_filter], tag="webhooks",
            ),
            "post": _operation(
                "createWebhook", "Add a webhook; the answer carries its new signing secret.",
                _ok("201", "Webhook", "Created."), "400 401 403 404 415 422",
                body={"application/json": "WebhookCreate"}, tag="webhooks",
            ),
        },
        "/webhooks/{webhook_id}": {
            "get": _operation(
                "getWebhook", "One webhook.", _ok("200", "Webhook", "The webhook."),
                "401 403 404", parameters=webhook_id, tag="webhooks",
            ),
            "delete": _operation(
                "deleteWebhook", "Remove a webhook and its delivery log.", _NO_CONTENT,
                "401 403 404", parameters=webhook_id, tag="webhooks",
            ),
        },
        "/webhooks/{webhook_id}/deliveries": {
            "get": _operation(
                "listWebhookDeliveries", "The delivery log, newest first: one entry per attempt.",
                _ok("200", "WebhookDeliveryList", "A page of attempts."), "401 403 404 422",
                parameters=[*webhook_id, *_LIST_PARAMETERS], tag="webhooks",
            ),
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "tags": ["meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    }  # fmt: skip


def _webhooks() -> dict[str, Any]:
    """What the service POSTs to each webhook (OpenAPI 3.1 `webhooks`)."""
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "episodeEvent": {
            "post": {
                "operationId": "episodeEvent",
                "summary": "An episode was published, updated, unpublished or deleted.",
                "description": WEBHOOK_NOTE,
                "tags": ["webhooks"],
                "security": [],
                "parameters": [
                    {**header, "name": "X-Podcast-Signature",
                     "description": "sha256=<hex HMAC-SHA256 of the raw body>."},
                    {**header, "name": "X-Podcast-Delivery",
                     "description": "The delivery's id; the same on every retry."},
                    {**header, "name": "X-Podcast-Event", "description": "The event's name."},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("WebhookEvent")}},
                },
                "responses": {
                    "2XX": {"description": "Taken; any other answer (or none) is retried."}
                },
            }
        }
    }  # fmt: skip


WEBHOOK_NOTE = (
    "Verify the signature over the raw body before parsing it; drop a delivery id you have "
    "seen. A delivery that gets no 2xx within a few seconds is retried with growing delays."
)


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Podcast publishing API",
            "version": "1.0.0",
            "description": (
                "Episodes, guests, the show, its background jobs and downloads. Authenticate with "
                "`Authorization: Bearer <token>` (`podcast create-token EMAIL`). Errors are "
                '`{"error": {"code", "message", "fields"}}`. ' + FORM_NOTE
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": name}
            for name in (
                "episodes",
                "guests",
                "show",
                "jobs",
                "downloads",
                "imports",
                "tokens",
                "webhooks",
                "meta",
            )
        ],
        "paths": {**_paths(), **downloads_spec.paths(_operation, _ok)},
        "webhooks": _webhooks(),
        "components": {
            "schemas": {**SCHEMAS, **downloads_spec.SCHEMAS},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `podcast create-token EMAIL`.",
                }
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy; callers may change it)."""
    return deepcopy(_document())
