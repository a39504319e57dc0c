"""A scenario function for the HTTP layer's tests: one route of each kind."""

from __future__ import annotations

import flask
import functions_framework
from convonet.http import ApiError, ApiRequest, ApiResult, HttpApi
from convonet.state import get_state_store
from pydantic import BaseModel, ConfigDict, Field

api = HttpApi("scenario_api", title="Scenario", prefixes=("/scenario", "/alias"))


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=20)
    secret: str = Field(min_length=8)
    quantity: int = Field(ge=1, le=10)


class Page(BaseModel):
    limit: int = Field(default=10, ge=1, le=50)


@api.post("/items", body=Item, status=201, idempotent=True)
def create_item(req: ApiRequest) -> dict[str, object]:
    """Creates an item; counts its runs in the state store so tests see side effects."""
    runs = get_state_store().increment("scenario", "runs", "count")
    if req.body.name == "explode":
        raise RuntimeError("database password is hunter2")
    if req.body.name == "taken":
        raise ApiError(409, "taken", "That name is taken.")
    return {"name": req.body.name, "quantity": req.body.quantity, "run": runs}


@api.get("/items/{item_id}", query=Page)
def get_item(req: ApiRequest) -> ApiResult:
    """Echoes the path and query parameters."""
    return ApiResult(
        {"id": req.path_params["item_id"], "limit": req.query.limit}, 200, {"X-Seen": "1"}
    )


@api.delete("/items/{item_id}", status=204, prefix="/alias")
def delete_item(req: ApiRequest) -> None:
    """Deletes nothing; answers 204 under the second prefix."""


@functions_framework.http
def scenario_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
