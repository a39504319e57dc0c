"""OpenAPI 3.1 documents generated from an HttpApi's routes and pydantic models."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

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


def build_openapi(api: HttpApi) -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for prefix in api.prefixes:
        paths[f"{prefix}/healthz"] = {"get": _health_operation(api, prefix)}
        paths[f"{prefix}/openapi.json"] = {"get": _openapi_operation(prefix)}
    if api.built:
        for route in api.routes:
            paths.setdefault(route.full_path, {})[route.method.lower()] = _operation(
                route, components
            )
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


def _schema_ref(model: type[BaseModel], components: dict[str, Any], mode: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.full_path.strip('/').replace('/', '_')}",
        "summary": route.summary,
        "parameters": _parameters(route, components),
        "responses": _responses(route, components),
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
            "content": {media: {"schema": _schema_ref(route.body, components, "validation")}},
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


def _parameters(route: Route, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in _path_names(route.full_path):
        params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if route.query is not None:
        schema = route.query.model_json_schema(mode="validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    return params


def _responses(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success"}
    if route.status != 204:
        schema = (
            _schema_ref(route.response, components, "serialization")
            if route.response is not None
            else {}
        )
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
