"""Schemathesis against /api/v1/openapi.json: no generated request gets a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from podcast.extensions import db

EXAMPLES_PER_OPERATION = 12


def test_no_generated_request_gets_a_server_error(app, make_episode, make_guest, api_token):
    guest = make_guest("Janette Akhilgova", bio="Eurasia consultant at Equality Now.")
    make_episode(guests=[guest.id])
    db.session.commit()
    headers = api_token("admin")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12, "every API operation is documented"
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:200]}"
                )
            db.session.rollback()

        call()
    assert len(calls) >= len(operations) * 3, "schemathesis generated requests for every operation"
    assert not failures, "\n".join(failures[:10])
