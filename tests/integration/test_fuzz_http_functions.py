"""schemathesis on the OpenAPI document of every built HTTP function, in-process.

Each function is loaded as functions-framework builds it (Flask through WSGI, or the ASGI app
of an `aio` function) and fuzzed with generated valid and invalid input, as a signed-in user
holding every role, so the guarded routes run too: no answer may be a server error, and every
answer to valid input must match the documented schema. reservations and workspace_api have
their own, deeper runs (test_reservations_server.py, test_workspace_api_schemathesis.py).
Bounded (few examples per operation) and derandomized, so a run is repeatable and short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from a2wsgi import WSGIMiddleware
from convonet.agent import turn as turn_module
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.localstack import http_function_app
from convonet.manifest import FunctionSpec, by_name, http_functions
from flask.testing import FlaskClient
from schemathesis import GenerationMode

from tests.fixtures.fuzzing import fuzz
from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "local_bus", "clock")

MAX_EXAMPLES = 15
FUZZED_ELSEWHERE = {"reservations", "workspace_api"}
ALL_ROLES = ("user", "agent", "supervisor", "staff", "admin")
FUNCTIONS = sorted(f.name for f in http_functions() if f.built and f.name not in FUZZED_ELSEWHERE)


@pytest.fixture(params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    """Input handling is what is fuzzed; the database backend is covered elsewhere."""
    backend: str = request.param
    return backend


@pytest.fixture(autouse=True)
def short_streams(configure: Callable[..., Any]) -> None:
    """The monitor's live feed would hold each generated request open for 55 s."""
    configure(MONITOR_STREAM_MAX_S=0.2, MONITOR_STREAM_POLL_S=0.05)


@pytest.fixture(autouse=True)
def scripted_model() -> Iterator[None]:
    """agent_turn answers from a script, never a vendor."""
    model = ScriptedChatModel([say("Sure.")], cycle=True)
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", model))
    yield
    turn_module.set_model_factory(previous)


def _schema(spec: FunctionSpec, client: Callable[[str], FlaskClient]) -> Any:
    """The function's own document, served by the function as deployed (WSGI or ASGI)."""
    path = f"{spec.primary_path}/openapi.json"
    app = http_function_app(spec)
    if isinstance(app, WSGIMiddleware):
        return schemathesis.openapi.from_wsgi(path, client(spec.name).application)
    return schemathesis.openapi.from_asgi(path, app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_server_error_or_schema_violation(
    name: str,
    mode: GenerationMode,
    function_client: Callable[[str], FlaskClient],
    make_user: Callable[..., WorkspaceUser],
) -> None:
    spec = by_name(name)
    schema = _schema(spec, function_client)
    user = make_user("fuzz", roles=list(ALL_ROLES))
    headers = {"Authorization": f"Bearer {_token(user.id)}"}
    failures, statuses = fuzz(schema, mode, headers, max_examples=MAX_EXAMPLES)
    assert failures == []
    assert statuses, f"schemathesis sent nothing to {name}"


def _token(user_id: str) -> str:
    from convonet.auth.tokens import issue_user_token

    return issue_user_token(user_id, list(ALL_ROLES), [], "access").token
