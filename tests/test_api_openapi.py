"""The OpenAPI document: valid 3.1, complete, and true to what the API answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PREFIX = "/api/v1"


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    """The document as the API serves it."""
    return client.get(f"{PREFIX}/openapi.json").get_json()


def _response_validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    registry: Registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"urn:doc#/components/schemas/{name}"}, registry=registry)


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `podcast create-token EMAIL`.",
    }
    assert document["security"] == [{"bearerAuth": []}]
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_document_lists_every_route_and_method_the_blueprint_registers(app, document):
    registered = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            assert path.startswith(PREFIX)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                registered.add((path[len(PREFIX) :], method.lower()))
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert registered == documented
    assert len(documented) == 32


def test_every_operation_documents_auth_errors_and_bodies(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if path != "/openapi.json":
                assert "401" in responses, (path, method)
                assert "WWW-Authenticate" in responses["401"]["headers"]
                error = responses["401"]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/Error"}
            if method in ("post", "patch"):
                content = operation["requestBody"]["content"]
                assert "application/json" in content, (path, method)
                assert {"400", "415", "422"} <= set(responses), (path, method)
    episode_create = document["paths"]["/episodes"]["post"]
    assert "multipart/form-data" in episode_create["requestBody"]["content"]
    assert {"201", "413", "503"} <= set(episode_create["responses"])
    assert "Location" in episode_create["responses"]["201"]["headers"]


def test_responses_match_the_documented_schemas(
    client, document, api_token, make_episode, make_guest
):
    guest = make_guest("Ann", bio="*Bio*", links=[{"label": "Site", "url": "https://a.org"}])
    episode = make_episode("Schema check", guests=[guest.id])
    make_episode("A draft", audio=None, status="draft")
    headers = api_token("producer")
    from podcast.extensions import db
    from podcast.jobs import enqueue, run_queued

    job = enqueue(db.session, "ping", {})
    db.session.commit()
    run_queued()
    checks = [
        ("/jobs", "JobList"),
        (f"/jobs/{job.id}", "Job"),
        ("/episodes", "EpisodeList"),
        (f"/episodes/{episode.id}", "Episode"),
        ("/guests", "GuestList"),
        (f"/guests/{guest.id}", "Guest"),
        ("/show", "Show"),
        ("/shows", "ShowList"),
        ("/shows/majlis", "Show"),
        ("/shows/majlis/episodes", "EpisodeList"),
        ("/shows/majlis/downloads", "Downloads"),
        (f"/episodes/{episode.id}/downloads?from=2026-01-01&to=2026-01-31", "Downloads"),
    ]
    for path, schema in checks:
        response = client.get(PREFIX + path, headers=headers)
        assert response.status_code == 200
        errors = list(_response_validator(document, schema).iter_errors(response.get_json()))
        assert errors == [], (path, [e.message for e in errors])
    failure = client.get(f"{PREFIX}/episodes/999", headers=headers).get_json()
    assert list(_response_validator(document, "Error").iter_errors(failure)) == []
