"""mcp_server: The tool registry over MCP streamable HTTP. Not built yet: answers 501."""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("mcp_server")


@functions_framework.http
def mcp_server(request: flask.Request) -> flask.Response:
    return api.handle(request)
