"""crm_api: Patients, meetings, cases and notes in SuiteCRM. Not built yet: answers 501."""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("crm_api")


@functions_framework.http
def crm_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
