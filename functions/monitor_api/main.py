"""monitor_api: Agent monitor: interactions, statistics and the live feed for supervisors. Not
built yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("monitor_api")


@functions_framework.http
def monitor_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
