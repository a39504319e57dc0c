"""A function whose issue has not landed, the way its main.py looks until then (every function
of the manifest is built now, so the 501 path is exercised here)."""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("crm_api")


@functions_framework.http
def unbuilt_scenario(request: flask.Request) -> flask.Response:
    return api.handle(request)
