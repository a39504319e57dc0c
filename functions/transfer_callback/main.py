"""transfer_callback: Twilio <Dial> action callback after a transfer to a human agent. Not built
yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("transfer_callback")


@functions_framework.http
def transfer_callback(request: flask.Request) -> flask.Response:
    return api.handle(request)
