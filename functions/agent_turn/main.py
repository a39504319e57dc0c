"""agent_turn: One assistant turn (JSON or server-sent events) and barge-in trimming. Not built
yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("agent_turn")


@functions_framework.http
def agent_turn(request: flask.Request) -> flask.Response:
    return api.handle(request)
