"""reservations: Hanok table reservations: menu, availability, bookings, staff admin. Not built
yet: answers 501.
"""

from __future__ import annotations

import flask
import functions_framework
from convonet.http.unbuilt import unbuilt_api

api = unbuilt_api("reservations")


@functions_framework.http
def reservations(request: flask.Request) -> flask.Response:
    return api.handle(request)
