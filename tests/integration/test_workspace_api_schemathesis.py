"""schemathesis against workspace_api's own OpenAPI document, in-process through WSGI with a
valid bearer token: generated valid and invalid input finds no server error, and every answer
to valid input matches the documented response schema. Bounded and derandomized.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from flask.testing import FlaskClient
from schemathesis import GenerationMode

from tests.fixtures.fuzzing import fuzz
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
    failures, statuses = fuzz(schema, mode, headers, max_examples=MAX_EXAMPLES)
    assert failures == []
    assert len(statuses) > 100, "schemathesis barely ran"
