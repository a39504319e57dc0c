"""voice_gateway: the Cloud Run WebSocket service (browser voice at /webrtc/ws, Twilio media
at /twilio/media). Not built yet: each socket is told so and closed with 1011.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

NOT_BUILT = {"code": "not_implemented", "message": "The voice gateway is not built yet."}


async def _not_built_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"type": "error", **NOT_BUILT})
    await websocket.close(code=1011, reason="not implemented")


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"error": NOT_BUILT}, status_code=501)


routes = [
    WebSocketRoute("/webrtc/ws", _not_built_socket),
    WebSocketRoute("/twilio/media", _not_built_socket),
    Route("/voice/healthz", _health),
]

app = Starlette(routes=routes)
