"""workspace_api: Todos, teams, reminders, calendar, mortgage and settings for signed-in users. Not
built yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("workspace_api")


@functions_framework.http
def workspace_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
