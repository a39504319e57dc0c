"""The browser transport: /webrtc/ws as a Starlette WebSocket endpoint over a VoiceSession.

JSON text frames in and out (convonet.voice.protocol); audio goes out as `audio_chunk` frames of
base64 PCM16 with their mime type and rate, and a turn's audio ends with an empty chunk marked
`is_final`. A message over VOICE_MAX_MESSAGE_BYTES closes the socket with 1009; binary frames
are refused with an error (the protocol is JSON). Audio handed to the socket counts as heard.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from convonet.config import get_settings
from convonet.speech.base import pcm_mime_type
from convonet.voice import protocol as p
from convonet.voice.gateway import get_gateway
from convonet.voice.pipeline import SpokenAudio
from convonet.voice.session import CLOSE_RESTART, CLOSE_TOO_BIG, VoiceSession

log = logging.getLogger(__name__)


class BrowserSink:
    heard_on_send = True
    output_rate: int | None = None

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.session_id: str | None = None
        self._seq = 0
        self._lock = asyncio.Lock()
        self._open = True

    async def send(self, frame: p.ServerFrame) -> None:
        await self._send_text(frame.model_dump_json())

    async def play(self, turn_id: str, piece: SpokenAudio) -> None:
        if not piece.pcm16:
            return
        await self._audio(turn_id, base64.b64encode(piece.pcm16).decode(), piece.sample_rate, False)

    async def end_audio(self, turn_id: str) -> None:
        await self._audio(turn_id, "", 0, True)

    async def _audio(self, turn_id: str, data: str, rate: int, is_final: bool) -> None:
        self._seq += 1
        frame = p.AudioChunkOut(
            seq=self._seq,
            data_b64="",
            mime_type=pcm_mime_type(rate) if rate else "",
            sample_rate=rate,
            is_final=is_final,
            turn_id=turn_id,
            session_id=self.session_id,
        )
        await self._send_text(frame.json_with_audio(data))

    async def clear(self) -> None:
        """The browser drops its own queued audio on `cancel` / `status interrupted`."""

    async def close(self, code: int, reason: str) -> None:
        async with self._lock:
            if self._open:
                self._open = False
                with contextlib.suppress(Exception):
                    await self.websocket.close(code, reason)

    async def _send_text(self, text: str) -> None:
        async with self._lock:
            if self._open:
                try:
                    await self.websocket.send_text(text)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    self._open = False


async def browser_endpoint(websocket: WebSocket) -> None:
    gateway = get_gateway()
    await websocket.accept()
    sink = BrowserSink(websocket)
    if gateway.draining:
        await sink.send(p.ErrorFrame(code="draining", message="This server is restarting."))
        await sink.close(CLOSE_RESTART, "draining")
        return
    session = gateway.open(sink, peer=_peer(websocket), channel="voice")
    try:
        await _serve(websocket, session)
    finally:
        await gateway.release(session)


async def _serve(websocket: WebSocket, session: VoiceSession) -> None:
    limit = get_settings().voice_max_message_bytes
    while not session.closed:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text, data = message.get("text"), message.get("bytes")
        if _size(text, data) > limit:
            await session.close(CLOSE_TOO_BIG, "message too big")
            return
        if text is None:
            await session.refuse("binary_not_supported", "Send JSON text frames.")
            continue
        await session.receive(text)


def _size(text: str | None, data: bytes | None) -> int:
    """Bytes on the wire (a UTF-8 character is 1-4 bytes: encode only when it matters)."""
    if text is None:
        return len(data or b"")
    if len(text) * 4 <= get_settings().voice_max_message_bytes:
        return len(text)
    return len(text.encode())


def _peer(websocket: WebSocket) -> str:
    return websocket.client.host if websocket.client is not None else "unknown"
