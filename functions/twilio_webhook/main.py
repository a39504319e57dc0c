"""twilio_webhook: Twilio voice webhooks: incoming call, PIN, conversation turns, status. Not built
yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("twilio_webhook")


@functions_framework.http
def twilio_webhook(request: flask.Request) -> flask.Response:
    return api.handle(request)
