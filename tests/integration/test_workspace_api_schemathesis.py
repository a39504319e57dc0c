"""schemathesis against workspace_api's own OpenAPI document, in-process through WSGI with a
valid bearer token: generated valid and invalid input finds no server error, and every answer
to valid input matches the documented response schema. Bounded and derandomized.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
import schemathesis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fixtures.google_calendar import FakeGoogle, WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state")

MAX_EXAMPLES = 8


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_server_error_or_schema_violation(
    function_client: Callable[[str], FlaskClient],
    make_user: Callable[..., WorkspaceUser],
    google_calendar: FakeGoogle,
    mode: GenerationMode,
) -> None:
    app = function_client("workspace_api").application
    schema = schemathesis.openapi.from_wsgi("/convonet_todo/api/openapi.json", app)
    headers = make_user("ana").headers
    checks = [not_a_server_error]
    if mode is GenerationMode.POSITIVE:
        checks.append(response_schema_conformance)
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            try:
                response = case.call_and_validate(headers=headers, checks=checks)
            except (AssertionError, FailureGroup) as exc:
                failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:600]}")
                return
            statuses.append(response.status_code)

        with contextlib.suppress(Unsatisfiable):  # no invalid input exists for some routes
            check()
    assert failures == []
    assert len(statuses) > 100, "schemathesis barely ran"
