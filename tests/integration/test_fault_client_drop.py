"""Fault: the client drops mid-turn while a booking tool is running, then the turn is resumed.

The consumer closes the turn's stream while `create_reservation` is inside its handler (a
gate around the real handler holds it there). Closing must leave no task behind on the event
loop; the booking itself finishes on its worker thread and lands in the ledger, so the resumed
turn, repeating the model's tool-call id, gets the stored result: one booking, not two.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

from convonet.agent.checkpointer import StateStoreCheckpointer
from convonet.agent.graph import Agent
from convonet.agent.turn import TurnRequest, TurnRunner
from convonet.db.engine import session_scope
from convonet.db.models import Reservation
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.tools import ToolContext, ToolRegistry
from convonet.tools import restaurant as restaurant_tools
from sqlalchemy import func, select

from tests.integration.test_reservations_fixtures import (
    SATURDAY,
    Hanok,
    hanok_fixture,  # noqa: F401
)

BOOKING = {"guest_name": "Alice Kim", "party_size": 4, "starts_at": f"{SATURDAY}T19:00"}
CONFIRMED = "You're booked for Saturday at seven."


class GatedBooking:
    """The real restaurant tools; `create_reservation` signals entry and waits for release."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.runs = 0

    def registry(self) -> ToolRegistry:
        real = ToolRegistry()
        restaurant_tools.register(real)
        registry = ToolRegistry()
        for tool in real.tools():
            if tool.name == "create_reservation":
                tool = dataclasses.replace(tool, handler=self._gate(tool.handler))
            registry.add(tool)
        return registry

    def _gate(self, handler: Any) -> Any:
        def gated(ctx: ToolContext, args: Any) -> Any:
            self.runs += 1
            self.entered.set()
            self.release.wait(10)
            try:
                return handler(ctx, args)
            finally:
                self.finished.set()

        return gated


def _bookings() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(Reservation)) or 0)


async def _drop_mid_tool(runner: TurnRunner, request: TurnRequest, gate: GatedBooking) -> int:
    """Stream until the tool call, wait until the tool runs, then close the stream; returns
    how many tasks other than this one are left on the loop."""
    stream = runner.stream(request)
    async for name, _data in stream:
        if name == "tool_call":
            break
    assert await asyncio.to_thread(gate.entered.wait, 5)
    await stream.aclose()
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    gate.release.set()
    assert await asyncio.to_thread(gate.finished.wait, 5)
    return len(leftover)


def _booking_script() -> ScriptedChatModel:
    return ScriptedChatModel([call_tool("create_reservation", BOOKING, "toolu_1"), say(CONFIRMED)])


def test_dropped_turn_leaks_no_task_and_the_resumed_turn_books_once(hanok: Hanok) -> None:
    gate = GatedBooking()
    models = [_booking_script()]
    runner = TurnRunner(
        Agent(StateStoreCheckpointer(), gate.registry()),
        models=lambda _requested, _user: ("scripted", models[-1]),
    )
    request = TurnRequest(
        user_id=hanok.alice, session_id="call-1", prompt="book a table for four", provider="x"
    )
    assert asyncio.run(_drop_mid_tool(runner, request, gate)) == 0
    assert _bookings() == 1

    models.append(_booking_script())  # the resumed turn: the model repeats its tool-call id
    final = runner.run_sync(dataclasses.replace(request, interaction_id="resumed"))
    assert final["response"] == CONFIRMED
    assert [c["status"] for c in final["tool_calls"]] == ["success"]
    assert final["tool_calls"][0]["result"]["confirmation_code"].startswith("HNK-")
    assert gate.runs == 1 and _bookings() == 1
