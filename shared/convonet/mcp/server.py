"""The tool registry as an MCP server, with the official `mcp` SDK's low-level Server.

One server serves both transports: stateless streamable HTTP with JSON responses (the
`mcp_server` function; any instance answers any request) and stdio (`python -m convonet.mcp`,
for desktop clients). Every call runs as the user of a verified access token, re-checked on
each tool call so an expired token stops working mid-session; tools never take a user id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.types import Receive, Scope, Send

from convonet.auth.tokens import TokenError, decode_user_token
from convonet.config import get_settings
from convonet.tools import ToolContext, ToolRegistry, get_registry

SERVER_NAME = "convonet"
INSTRUCTIONS = (
    "Convonet's assistant tools: todos, reminders, calendar, teams, mortgage applications, "
    "health plan benefits and claims, patient intake, Hanok restaurant reservations, the "
    "knowledge base and call transfer. Every tool acts for the signed-in user."
)

_access_token: ContextVar[str] = ContextVar("convonet_mcp_access_token")


def tool_context(access_token: str) -> ToolContext:
    """The caller of an MCP request, from their access token (TokenError if it is not valid)."""
    claims = decode_user_token(access_token, "access")
    return ToolContext(
        user_id=claims.sub,
        roles=frozenset(claims.roles),
        team_ids=claims.team_ids,
        channel="mcp",
    )


@contextmanager
def acting_as(access_token: str) -> Iterator[None]:
    """Serve what runs inside (and the tasks it starts) for the token's user."""
    reset = _access_token.set(access_token)
    try:
        yield
    finally:
        _access_token.reset(reset)


def build_server(registry: ToolRegistry | None = None) -> Server[Any]:
    tools = registry or get_registry()

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_describe(tool) for tool in tools.tools()])

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            caller = tool_context(_access_token.get(""))
        except TokenError as exc:
            return _result({"ok": False, "error": {"kind": "unauthorized", "message": exc.message}})
        arguments = params.arguments or {}
        outcome = await anyio.to_thread.run_sync(tools.call, caller, params.name, arguments)
        return _result(outcome.for_model())

    return Server(
        SERVER_NAME,
        version="1.0.0",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_http(server: Server[Any], scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one streamable-HTTP request statelessly (JSON, no session to keep)."""
    manager = StreamableHTTPSessionManager(
        app=server,
        json_response=True,
        stateless=True,
        max_request_body_size=get_settings().max_body_bytes,
    )
    async with manager.run():
        await manager.handle_request(scope, receive, send)


def _describe(tool: Any) -> types.Tool:
    return types.Tool(
        name=tool.name,
        description=tool.description,
        input_schema=tool.json_schema(),
        annotations=types.ToolAnnotations(
            read_only_hint=not tool.side_effects, idempotent_hint=True
        ),
    )


def _result(payload: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(payload, default=str))],
        structured_content=payload,
        is_error=not payload["ok"],
    )
