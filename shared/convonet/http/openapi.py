"""OpenAPI 3.1 documents generated from an HttpApi's routes and pydantic models.

Every route's models go through one `models_json_schema` call: a model several routes share,
and the models nested in others, are generated once (half the time of one call per model,
the bulk of a function's first `openapi.json`). Query models are listed among the components
too; their fields are also spelled out as the operation's query parameters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

if TYPE_CHECKING:
    from convonet.http.api import HttpApi, Route

ERROR_STATUSES = {
    "400": "Malformed request",
    "401": "Missing or invalid credentials",
    "403": "Not allowed",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict",
    "413": "Body too large",
    "415": "Wrong content type",
    "422": "Invalid input",
    "429": "Too many attempts",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


REF_TEMPLATE = "#/components/schemas/{model}"

# A model's schema as a route uses it: in a body or query (validation), or a response.
ModelUse = tuple[type[BaseModel], JsonSchemaMode]


class _Schemas:
    """The JSON schemas of every model the routes use, generated together."""

    def __init__(self, routes: list[Route]) -> None:
        uses = list(dict.fromkeys(use for route in routes for use in _model_uses(route)))
        refs, top = models_json_schema(uses, ref_template=REF_TEMPLATE) if uses else ({}, {})
        self.refs = refs
        self.definitions: dict[str, Any] = top.get("$defs", {})

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return self.refs[(model, mode)]

    def definition(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        name = self.ref(model, mode)["$ref"].removeprefix(REF_TEMPLATE.format(model=""))
        definition: dict[str, Any] = self.definitions[name]
        return definition


def _model_uses(route: Route) -> list[ModelUse]:
    uses: list[ModelUse] = []
    if route.body is not None:
        uses.append((route.body, "validation"))
    if route.query is not None:
        uses.append((route.query, "validation"))
    if route.response is not None:
        uses.append((route.response, "serialization"))
    return uses


def build_openapi(api: HttpApi) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for prefix in api.prefixes:
        paths[f"{prefix}/healthz"] = {"get": _health_operation(api, prefix)}
        paths[f"{prefix}/openapi.json"] = {"get": _openapi_operation(prefix)}
    schemas = _Schemas(api.routes if api.built else [])
    if api.built:
        for route in api.routes:
            paths.setdefault(route.full_path, {})[route.method.lower()] = _operation(route, schemas)
    components = {"Error": ERROR_SCHEMA, **schemas.definitions}
    description = api.description if api.built else f"{api.description} (not built yet: 501)"
    return {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": api.version, "description": description},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.full_path.strip('/').replace('/', '_')}",
        "summary": route.summary,
        "parameters": _parameters(route, schemas),
        "responses": _responses(route, schemas),
    }
    if route.auth:
        op["security"] = [{"bearerAuth": []}]
    if route.body is not None:
        media = (
            "application/x-www-form-urlencoded"
            if route.body_format == "form"
            else "application/json"
        )
        op["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schemas.ref(route.body, "validation")}},
        }
    if route.idempotent:
        op["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 200},
            }
        )
    return op


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in _path_names(route.full_path):
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if route.query is not None:
        schema = schemas.definition(route.query, "validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _responses(route: Route, schemas: _Schemas) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success"}
    if route.status != 204:
        schema = schemas.ref(route.response, "serialization") if route.response is not None else {}
        ok["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(route.status): ok}
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status, text in ERROR_STATUSES.items():
        responses.setdefault(status, {"description": text, "content": error_ref})
    return responses


def _path_names(path: str) -> list[str]:
    return re.findall(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}", path)


def _health_operation(api: HttpApi, prefix: str) -> dict[str, Any]:
    status = "200" if api.built else "501"
    return {
        "operationId": "healthz" + prefix.replace("/", "_").replace("-", "_"),
        "summary": "Liveness of this function",
        "responses": {
            status: {"description": "Health", "content": {"application/json": {"schema": {}}}}
        },
    }


def _openapi_operation(prefix: str) -> dict[str, Any]:
    return {
        "operationId": "openapi" + prefix.replace("/", "_").replace("-", "_"),
        "summary": "This document",
        "responses": {
            "200": {
                "description": "OpenAPI document",
                "content": {"application/json": {"schema": {}}},
            }
        },
    }
