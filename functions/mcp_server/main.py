"""mcp_server: the tool registry over MCP streamable HTTP at /mcp (stateless, JSON responses).

An ASGI function (`functions_framework.aio`): the MCP transport is ASGI, so the request is
handed to it as is. A bearer access token is required (401 otherwise) and every tool call runs
as its user. /mcp/healthz and /mcp/openapi.json describe the function like every other.
"""

from __future__ import annotations

from typing import Any

import functions_framework.aio
from convonet.auth.tokens import TokenError
from convonet.mcp.server import acting_as, build_server, serve_http, tool_context
from convonet.observability import start_component
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

start_component("mcp_server")

PREFIX = "/mcp"
server = build_server()


class McpExchange(Response):
    """Hands the request to the MCP transport, which writes the response itself."""

    def __init__(self, access_token: str) -> None:
        super().__init__()
        self.access_token = access_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with acting_as(self.access_token):
            await serve_http(server, scope, receive, send)


@functions_framework.aio.http
async def mcp_server(request: Request) -> Response:
    path = request.url.path.rstrip("/")
    if request.method == "GET" and path == f"{PREFIX}/healthz":
        return JSONResponse({"status": "ok", "function": "mcp_server"})
    if request.method == "GET" and path == f"{PREFIX}/openapi.json":
        return JSONResponse(_openapi())
    if path != PREFIX:
        return _error(404, "not_found", f"No endpoint at {request.url.path}.")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "unauthorized", "Send an access token: Authorization: Bearer <token>.")
    try:
        tool_context(token.strip())
    except TokenError as exc:
        return _error(401, exc.code, exc.message)
    return McpExchange(token.strip())


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="convonet"'} if status == 401 else None
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _openapi() -> dict[str, Any]:
    jsonrpc = {"type": "object", "description": "A JSON-RPC 2.0 message of the MCP protocol."}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Convonet MCP server", "version": "1.0.0"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            PREFIX: {
                "post": {
                    "summary": "MCP streamable HTTP: tools/list, tools/call (stateless, JSON).",
                    "security": [{"bearer": []}],
                    "requestBody": {"content": {"application/json": {"schema": jsonrpc}}},
                    "responses": {
                        "200": {"description": "JSON-RPC response"},
                        "401": {"description": "Missing or invalid access token"},
                    },
                }
            },
            f"{PREFIX}/healthz": {"get": {"responses": {"200": {"description": "Alive"}}}},
        },
    }
