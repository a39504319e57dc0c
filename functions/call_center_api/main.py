"""call_center_api: Call-center agent states, call events, customer pop-up data. Not built yet:
answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("call_center_api")


@functions_framework.http
def call_center_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
