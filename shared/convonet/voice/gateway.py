"""The voice gateway process: its live sessions, their timers, and draining on shutdown.

One `VoiceGateway` per process holds every connection (browser and phone). It ticks each
session's silence and idle timers every VOICE_TICK_S while any connection is open, makes sure a
resumed session lives on one connection only (the older one is closed with 4001), and drains:
Cloud Run sends SIGTERM before it stops an instance, so the gateway stops accepting sessions,
lets running turns finish (up to VOICE_DRAIN_TIMEOUT_S), then hands every client a fresh
resume token and closes with 1012 so it reconnects to another instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any

from convonet.config import get_settings
from convonet.process import freeze_startup_heap
from convonet.voice.pipeline import AgentPort, build_agent
from convonet.voice.session import CLOSE_REPLACED, Channel, VoiceSession, VoiceSink

log = logging.getLogger(__name__)

UVICORN_OPTIONS: dict[str, Any] = {
    # Browsers offer permessage-deflate and uvicorn accepts it by default, but base64 audio
    # barely compresses: deflate cost a turn about 2.6 ms of CPU and doubled a session's memory
    # (bench/voice_load.py). The Dockerfile's CMD passes the same as a flag.
    "ws_per_message_deflate": False,
    # libuv's event loop: every await, task and socket write of a turn costs less than on
    # asyncio's own loop (an interleaved A/B of the agent turn: p95 about 12% lower).
    "loop": "uvloop",
}
"""What every process serving the gateway (the dev server, tests, benches) hands uvicorn."""


class VoiceGateway:
    def __init__(self, agent: AgentPort | None = None) -> None:
        self._agent = agent
        self.connections: set[VoiceSession] = set()
        self.sessions: dict[str, VoiceSession] = {}
        self.draining = False
        self._ticker: asyncio.Task[None] | None = None

    @property
    def agent(self) -> AgentPort:
        if self._agent is None:
            self._agent = build_agent()
        return self._agent

    def open(self, sink: VoiceSink, *, peer: str, channel: Channel) -> VoiceSession:
        session = VoiceSession(
            sink, self.agent, peer=peer, channel=channel, on_authenticated=self._claim
        )
        self.connections.add(session)
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.ensure_future(self._tick())
        return session

    async def release(self, session: VoiceSession) -> None:
        """The connection ended (hang-up, socket closed): stop everything it started."""
        await session.shutdown()
        self.connections.discard(session)
        if session.session_id and self.sessions.get(session.session_id) is session:
            del self.sessions[session.session_id]

    async def _claim(self, session: VoiceSession) -> None:
        assert session.session_id is not None
        previous = self.sessions.get(session.session_id)
        self.sessions[session.session_id] = session
        if previous is not None and previous is not session:
            await previous.close(CLOSE_REPLACED, "resumed on another connection")

    async def _tick(self) -> None:
        while self.connections:
            await asyncio.sleep(get_settings().voice_tick_s)
            for session in list(self.connections):
                try:
                    session.tick()
                except Exception:
                    log.exception("voice session tick failed")

    async def drain(self, timeout_s: float | None = None) -> None:
        """Stop taking sessions, let running turns finish, tell every client to resume."""
        self.draining = True
        budget = get_settings().voice_drain_timeout_s if timeout_s is None else timeout_s
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(budget):
                while running := self._running_turns():
                    await asyncio.wait(running)
        for session in list(self.connections):
            await session.drain()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker

    def _running_turns(self) -> list[asyncio.Task[Any]]:
        return [t for t in (s.running_turn() for s in self.connections) if t is not None]

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """ASGI lifespan: drain on SIGTERM (before the server closes sockets) and at shutdown.
        Starting, the loaded app's heap is frozen (convonet.process); an in-process agent
        freezes what it builds on first use."""
        freeze_startup_heap()
        restore = _chain_sigterm(self._on_sigterm)
        try:
            yield
        finally:
            restore()
            await self.drain()

    def _on_sigterm(self, loop: asyncio.AbstractEventLoop, then: Callable[[], None]) -> None:
        async def drain_then_stop() -> None:
            try:
                await self.drain()
            finally:
                then()

        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(drain_then_stop()))


def _chain_sigterm(
    handler: Callable[[asyncio.AbstractEventLoop, Callable[[], None]], None],
) -> Callable[[], None]:
    """Run `handler` on SIGTERM, then the previous handler (the server's own shutdown)."""
    loop = asyncio.get_running_loop()
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:  # not the main thread: nothing to chain
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        def then() -> None:
            if callable(previous):
                previous(signum, frame)

        handler(loop, then)

    try:
        signal.signal(signal.SIGTERM, on_signal)
    except ValueError:
        return lambda: None

    def restore() -> None:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)

    return restore


_gateway: VoiceGateway | None = None


def get_gateway() -> VoiceGateway:
    global _gateway
    if _gateway is None:
        _gateway = VoiceGateway()
    return _gateway


def set_gateway(gateway: VoiceGateway | None) -> VoiceGateway | None:
    """Install a gateway (tests, benches); returns the previous one."""
    global _gateway
    previous, _gateway = _gateway, gateway
    return previous
