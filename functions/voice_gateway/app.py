"""voice_gateway: the Cloud Run WebSocket service — browser voice at /webrtc/ws, Twilio media
streams at /twilio/media, health at /voice/healthz.

Thin: the sessions, transports and drain live in convonet.voice. On SIGTERM (and at lifespan
shutdown) the gateway drains: no new sessions, running turns finish, clients get a resume token.
"""

from __future__ import annotations

from convonet.observability import start_component
from convonet.voice.browser import browser_endpoint
from convonet.voice.gateway import get_gateway
from convonet.voice.twilio_media import media_endpoint
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

start_component("voice_gateway")


async def _health(request: Request) -> JSONResponse:
    gateway = get_gateway()
    status = 503 if gateway.draining else 200
    body = {
        "status": "draining" if gateway.draining else "ok",
        "sessions": len(gateway.connections),
    }
    return JSONResponse(body, status_code=status)


routes = [
    WebSocketRoute("/webrtc/ws", browser_endpoint),
    WebSocketRoute("/twilio/media", media_endpoint),
    Route("/voice/healthz", _health),
]

app = Starlette(routes=routes, lifespan=lambda app: get_gateway().lifespan(app))
