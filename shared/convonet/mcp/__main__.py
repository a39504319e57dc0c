"""`python -m convonet.mcp`: the tool registry over stdio, for desktop MCP clients.

The client passes the user's access token in CONVONET_TOKEN (get one from /api/auth/login);
every tool call runs as that user and stops working when the token expires.
"""

from __future__ import annotations

import os
import sys

import anyio
from mcp.server.stdio import stdio_server

from convonet.auth.tokens import TokenError
from convonet.mcp.server import acting_as, build_server, tool_context


async def _serve(access_token: str) -> None:
    server = build_server()
    with acting_as(access_token):
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def main() -> int:
    access_token = os.environ.get("CONVONET_TOKEN", "").strip()
    try:
        tool_context(access_token)
    except TokenError as exc:
        print(
            f"convonet.mcp: CONVONET_TOKEN is not a valid access token ({exc.message})",
            file=sys.stderr,
        )
        return 2
    anyio.run(_serve, access_token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
