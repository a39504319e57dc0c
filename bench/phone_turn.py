"""What the phone path adds per turn: the signed Twilio webhook around an agent turn.

twilio_webhook runs in-process (functions-framework's Flask app, the call simulator signing
each request with the real RequestValidator); the model answers instantly (a scripted stub),
the StateStore is the local SQLite adapter, the database a SQLite file. Prints p50/p95 of a
whole `/twilio/voice/turn` (signature check, replay claim, call state, agent turn, transcript,
TwiML) and of the same agent turn run directly, and their difference: the webhook's overhead.
Then the time from barge-in to `clear` on /twilio/media, once the voice gateway's media-stream
endpoint has landed. Figures only; nothing here asserts on time.

    .venv/bin/python bench/phone_turn.py [--turns 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _prepare(tmp: str) -> str:
    """A migrated SQLite database with one caller (PIN 2468); returns the caller's id."""
    os.environ.setdefault("DATA_DIR", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.db'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from convonet.auth.pins import pin_digest
    from convonet.config import get_settings
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.db.models import User
    from convonet.events import set_event_bus
    from convonet.events.local import LocalEventBus
    from convonet.state import set_state_store
    from convonet.state.local import LocalStateStore

    upgrade()
    set_state_store(LocalStateStore(Path(tmp) / "state.db"))
    set_event_bus(LocalEventBus())
    with session_scope() as session:
        user = User(
            email="bench@example.com",
            password_hash="not-a-hash: this account never signs in",  # noqa: S106
            display_name="Bench Caller",
            phone_e164="+14155550101",
            voice_pin_hash=pin_digest("2468", get_settings().secret("pin_hash_secret")),
        )
        session.add(user)
        session.flush()
        return user.id


def _webhook_turns(turns: int, warmup: int) -> list[float]:
    import httpx
    from convonet.manifest import by_name
    from convonet.telephony.simulator import CallSimulator
    from functions_framework import create_app

    spec = by_name("twilio_webhook")
    app = create_app(target=spec.entry_point, source=str(spec.source))
    samples: list[float] = []
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://bench") as http:
        call = CallSimulator("http://bench", http, caller="+14155550101")
        call.start()
        for n in range(warmup + turns):
            started = time.perf_counter()
            answer = call.say("hello there")
            elapsed = (time.perf_counter() - started) * 1000
            if answer.gather is None:
                raise SystemExit(f"unexpected answer: {answer.text}")
            if n >= warmup:
                samples.append(elapsed)
    return samples


def _direct_turns(user_id: str, turns: int, warmup: int) -> list[float]:
    from convonet.agent.turn import TurnRequest, get_runner

    runner = get_runner()
    samples: list[float] = []
    for n in range(warmup + turns):
        request = TurnRequest(
            user_id=user_id, session_id="CAdirect", prompt="hello there", channel="phone"
        )
        started = time.perf_counter()
        runner.run_sync(request)
        if n >= warmup:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _barge_in_to_clear() -> str:
    from convonet.manifest import by_name

    if not by_name("voice_gateway").built:
        return "pending (the voice gateway's /twilio/media endpoint has not landed)"
    return "pending (measured by the voice gateway's own bench until this one drives the stream)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        user_id = _prepare(tmp)
        from convonet.agent import turn as turn_module
        from convonet.llm.scripted import ScriptedChatModel, say

        model = ScriptedChatModel([say("Hello. How can I help?")], cycle=True)
        turn_module.set_model_factory(lambda _req, _user: ("scripted", model))
        webhook = _webhook_turns(args.turns, args.warmup)
        direct = _direct_turns(user_id, args.turns, args.warmup)
    w50, w95 = _percentiles(webhook)
    d50, d95 = _percentiles(direct)
    print(f"webhook turn : p50 {w50:6.2f} ms  p95 {w95:6.2f} ms")
    print(f"agent turn   : p50 {d50:6.2f} ms  p95 {d95:6.2f} ms")
    print(f"overhead     : p50 {w50 - d50:6.2f} ms  p95 {w95 - d95:6.2f} ms")
    clear = _barge_in_to_clear()
    print(f"barge-in -> clear: {clear}")
    figures = {"webhook_p50": w50, "webhook_p95": w95, "agent_p50": d50, "agent_p95": d95}
    print(json.dumps({"turns": args.turns, "figures": figures, "barge_in_to_clear": clear}))


if __name__ == "__main__":
    main()
