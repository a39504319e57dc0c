"""The HTTP layer every function uses: errors, limits, validation, OpenAPI, idempotency."""

from __future__ import annotations

import json
import re

import pytest
from convonet.http.errors import ApiError
from convonet.state import get_state_store
from flask.testing import FlaskClient

pytestmark = pytest.mark.usefixtures("use_local_state")

GOOD = {"name": "kimchi", "secret": "s3cret-value", "quantity": 2}


@pytest.fixture
def client(scenario_client) -> FlaskClient:  # type: ignore[no-untyped-def]
    return scenario_client("http_api", "scenario_api")


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


def _runs() -> int:
    doc = get_state_store().get("scenario", "runs")
    return int(doc["count"]) if doc else 0


def test_healthz_and_openapi_on_every_prefix(client: FlaskClient) -> None:
    for prefix in ("/scenario", "/alias"):
        assert client.get(f"{prefix}/healthz").get_json()["status"] == "ok"
        doc = client.get(f"{prefix}/openapi.json").get_json()
        assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "/scenario/items" in paths and "/alias/items/{item_id}" in paths
    post = paths["/scenario/items"]["post"]
    schema_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref == "#/components/schemas/Item"
    assert "Item" in doc["components"]["schemas"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    limit = [
        p for p in paths["/scenario/items/{item_id}"]["get"]["parameters"] if p["name"] == "limit"
    ]
    assert limit and limit[0]["in"] == "query"
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))
    assert refs and all(name in schemas for name in refs)


def test_valid_request_runs_handler(client: FlaskClient) -> None:
    response = client.post("/scenario/items", json=GOOD)
    assert response.status_code == 201
    assert response.get_json() == {"name": "kimchi", "quantity": 2, "run": 1}
    assert response.headers["X-Request-Id"]


def test_path_query_and_result_headers(client: FlaskClient) -> None:
    response = client.get("/scenario/items/abc?limit=5")
    assert response.get_json() == {"id": "abc", "limit": 5}
    assert response.headers["X-Seen"] == "1"
    assert client.delete("/alias/items/abc").status_code == 204
    assert client.delete("/scenario/items/abc").status_code == 405


def test_unknown_path_and_method(client: FlaskClient) -> None:
    assert _error(client.get("/scenario/nothing"))["code"] == "not_found"
    response = client.put("/scenario/items", json=GOOD)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert _error(response)["code"] == "method_not_allowed"


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/scenario/items", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_json"
    assert _runs() == 0


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post(
        "/scenario/items", data="name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "quantity": 0}, "quantity"),
        ({**GOOD, "quantity": "many"}, "quantity"),
        ({"name": "x", "quantity": 1}, "secret"),
        ({**GOOD, "extra": True}, "extra"),
    ],
)
def test_invalid_fields_are_422_with_a_reason(client: FlaskClient, body: dict, field: str) -> None:
    response = client.post("/scenario/items", json=body)
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error"
    assert any(d["field"] == field for d in error["details"])
    assert "s3cret-value" not in response.get_data(as_text=True)


def test_non_object_body_is_422(client: FlaskClient) -> None:
    assert client.post("/scenario/items", json=[GOOD]).status_code == 422


def test_oversized_body_is_413(client: FlaskClient, configure) -> None:  # type: ignore[no-untyped-def]
    configure(MAX_BODY_BYTES=200)
    big = {**GOOD, "secret": "x" * 500}
    response = client.post("/scenario/items", data=json.dumps(big), content_type="application/json")
    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"
    assert _runs() == 0


def test_unexpected_error_is_500_without_details(client: FlaskClient) -> None:
    response = client.post("/scenario/items", json={**GOOD, "name": "explode"})
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert _error(response)["code"] == "internal"


def test_idempotency_key_replays_first_answer(client: FlaskClient) -> None:
    headers = {"Idempotency-Key": "order-1"}
    first = client.post("/scenario/items", json=GOOD, headers=headers)
    second = client.post("/scenario/items", json=GOOD, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _runs() == 1
    other = client.post("/scenario/items", json=GOOD, headers={"Idempotency-Key": "order-2"})
    assert other.get_json()["run"] == 2


def test_idempotency_key_reused_with_other_body_is_422(client: FlaskClient) -> None:
    headers = {"Idempotency-Key": "order-3"}
    client.post("/scenario/items", json=GOOD, headers=headers)
    response = client.post("/scenario/items", json={**GOOD, "quantity": 3}, headers=headers)
    assert response.status_code == 422
    assert _error(response)["code"] == "idempotency_key_reused"


def test_idempotency_replays_client_errors_and_retries_server_errors(client: FlaskClient) -> None:
    taken = {**GOOD, "name": "taken"}
    assert (
        client.post("/scenario/items", json=taken, headers={"Idempotency-Key": "k1"}).status_code
        == 409
    )
    assert (
        client.post("/scenario/items", json=taken, headers={"Idempotency-Key": "k1"}).status_code
        == 409
    )
    assert _runs() == 1
    boom = {**GOOD, "name": "explode"}
    assert (
        client.post("/scenario/items", json=boom, headers={"Idempotency-Key": "k2"}).status_code
        == 500
    )
    assert (
        client.post("/scenario/items", json=boom, headers={"Idempotency-Key": "k2"}).status_code
        == 500
    )
    assert _runs() == 3


def test_idempotency_keys_are_per_caller(client: FlaskClient) -> None:
    key = {"Idempotency-Key": "same"}
    a = client.post("/scenario/items", json=GOOD, headers={**key, "Authorization": "Bearer a"})
    b = client.post("/scenario/items", json=GOOD, headers={**key, "Authorization": "Bearer b"})
    assert a.get_json()["run"] == 1 and b.get_json()["run"] == 2


def test_invalid_idempotency_key_is_400(client: FlaskClient) -> None:
    response = client.post("/scenario/items", json=GOOD, headers={"Idempotency-Key": "bad key!"})
    assert response.status_code == 400
    assert _runs() == 0


def test_unbuilt_functions_answer_501(scenario_client) -> None:  # type: ignore[no-untyped-def]
    from convonet.manifest import by_name

    client = scenario_client("unbuilt", "unbuilt_scenario")
    for path in by_name("crm_api").paths:
        assert client.get(f"{path}/healthz").status_code == 501
        response = client.post(f"{path}/anything", json={})
        assert response.status_code == 501
        assert _error(response)["code"] == "not_implemented"
        doc = client.get(f"{path}/openapi.json").get_json()
        assert "not built" in doc["info"]["description"]


def test_concurrent_first_requests_share_one_url_map() -> None:
    """A threaded server's first requests arrive together: one thread builds the URL map.

    Building it compiles every rule with `ast.parse`, which CPython 3.11 does not make safe on
    several threads at once; a CI run once answered 500 to one of 64 first requests for that.
    """
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from convonet.http.api import HttpApi

    api = HttpApi("many_routes", title="Many routes", prefixes=["/many"])
    for n in range(40):
        api.get(f"/items{n}/{{item_id}}/parts/{{part_id}}")(lambda request: {})
    threads = 16
    barrier = Barrier(threads)

    def first_match(n: int) -> tuple[int, dict[str, str]]:
        barrier.wait()
        _route, params = api._match(f"/many/items{n}/a{n}/parts/b{n}", "GET")
        return id(api._map()), params

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(first_match, range(threads)))
    assert len({map_id for map_id, _ in results}) == 1
    assert [params for _, params in results] == [
        {"item_id": f"a{n}", "part_id": f"b{n}"} for n in range(threads)
    ]


def test_the_url_map_matches_without_compiling_url_builders() -> None:
    """The API's rules skip werkzeug's URL builders (their cost is a cold start's first request).

    If a werkzeug release stops calling `_compile_builder`, the rule's builder is werkzeug's
    own again and this fails, so the pin can be revisited rather than the saving silently lost.
    """
    from convonet.http.api import HttpApi

    api = HttpApi("match_only", title="Match only", prefixes=["/m"])
    api.get("/items/{item_id}")(lambda request: {})
    api.post("/items")(lambda request: {})
    route, params = api._match("/m/items/42", "GET")
    assert (route.method, params) == ("GET", {"item_id": "42"})
    with pytest.raises(ApiError) as not_allowed:
        api._match("/m/items/42", "DELETE")
    assert not_allowed.value.status == 405
    rule = next(iter(api._map().iter_rules()))
    assert rule._build.__func__.__name__ == "_never_built"
    with pytest.raises(NotImplementedError):
        api._map().bind("localhost").build("0", {"item_id": "1"})
