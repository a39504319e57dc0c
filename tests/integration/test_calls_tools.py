"""Call tools through the registry: a user's own calls only, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from convonet.clock import FakeClock
from convonet.db.models import CallRecord, CallTranscriptLine, User
from convonet.tools import ToolContext, get_registry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

pytestmark = pytest.mark.usefixtures("use_local_state")


def _user(session: Session, email: str) -> User:
    user = User(email=email, password_hash="argon2-precomputed", display_name=email.split("@")[0])
    session.add(user)
    session.flush()
    return user


def _call(
    session: Session, owner: User, sid: str, started_hours_ago: float, clock: FakeClock
) -> CallRecord:
    started = clock.now() - timedelta(hours=started_hours_ago)
    call = CallRecord(
        owner_id=owner.id,
        call_sid=sid,
        channel="phone",
        from_e164="+14155550100",
        started_at=started,
        ended_at=started + timedelta(seconds=95),
        status="completed",
        summary=f"Summary of {sid}.",
        recording_url=f"https://api.twilio.com/recordings/{sid}.mp3",
        lines=[
            CallTranscriptLine(seq=i, speaker=s, text=t, at=started + timedelta(seconds=5 * i))
            for i, (s, t) in enumerate(
                [("assistant", "Hi, how can I help?"), ("user", "Add a todo to buy milk.")]
            )
        ],
    )
    session.add(call)
    session.flush()
    return call


@pytest.fixture
def calls(db_session: Session, clock: FakeClock) -> dict[str, str]:
    alice = _user(db_session, "alice@example.com")
    bob = _user(db_session, "bob@example.com")
    old = _call(db_session, alice, "CA-alice-old", 30, clock)
    new = _call(db_session, alice, "CA-alice-new", 2, clock)
    bobs = _call(db_session, bob, "CA-bob", 1, clock)
    db_session.commit()
    return {"alice": alice.id, "bob": bob.id, "old": old.id, "new": new.id, "bobs": bobs.id}


def _call_tool(user_id: str, name: str, args: dict[str, object]) -> dict:  # type: ignore[type-arg]
    result = get_registry().call(ToolContext(user_id=user_id), name, args)
    return {"status": result.status, "result": result.result, "error": result.error}


def test_list_transcript_and_summary_of_own_calls(calls: dict[str, str]) -> None:
    listed = _call_tool(calls["alice"], "list_recent_calls", {})
    assert listed["status"] == "ok"
    assert [c["call_id"] for c in listed["result"]["calls"]] == [calls["new"], calls["old"]]
    first = listed["result"]["calls"][0]
    assert first["duration_s"] == 95 and first["transcript_lines"] == 2 and first["has_recording"]
    assert first["started_at"].endswith("+00:00")

    limited = _call_tool(calls["alice"], "list_recent_calls", {"limit": 1})
    assert len(limited["result"]["calls"]) == 1

    transcript = _call_tool(calls["alice"], "get_call_transcript", {"call_id": calls["new"]})
    assert [line["speaker"] for line in transcript["result"]["lines"]] == ["assistant", "user"]
    assert transcript["result"]["truncated"] is False
    short = _call_tool(calls["alice"], "get_call_transcript", {"call_id": calls["new"], "limit": 1})
    assert short["result"]["truncated"] is True and short["result"]["total_lines"] == 2

    summary = _call_tool(calls["alice"], "get_call_summary", {"call_id": calls["old"]})
    assert summary["result"]["summary"] == "Summary of CA-alice-old."


def test_other_users_calls_are_invisible_and_undeletable(
    calls: dict[str, str], db_session: Session
) -> None:
    listed = _call_tool(calls["bob"], "list_recent_calls", {})
    assert [c["call_id"] for c in listed["result"]["calls"]] == [calls["bobs"]]
    for name in ("get_call_transcript", "get_call_summary", "delete_call_recording"):
        foreign = _call_tool(calls["bob"], name, {"call_id": calls["new"]})
        missing = _call_tool(calls["bob"], name, {"call_id": "no-such-call"})
        assert foreign["status"] == "error" and foreign["error"]["kind"] == "not_found"
        assert foreign["error"] == missing["error"], "a foreign id must look like a missing one"
    lines = db_session.scalar(
        select(func.count()).where(CallTranscriptLine.call_id == calls["new"])
    )
    assert lines == 2


def test_delete_recording_erases_transcript_once(
    calls: dict[str, str], db_session: Session
) -> None:
    args = {"call_id": calls["new"]}
    deleted = _call_tool(calls["alice"], "delete_call_recording", args)
    assert deleted["result"] == {
        "call_id": calls["new"],
        "transcript_lines_deleted": 2,
        "recording_deleted": True,
    }
    replayed = get_registry().call(
        ToolContext(user_id=calls["alice"]), "delete_call_recording", args
    )
    assert replayed.replayed and replayed.result == deleted["result"]

    db_session.expire_all()
    call = db_session.get(CallRecord, calls["new"])
    assert call is not None and call.summary is None and call.recording_url is None
    assert call.status == "completed", "the call itself is kept"
    db_session.rollback()  # end the read so the tools' sessions can write (SQLite)
    transcript = _call_tool(calls["alice"], "get_call_transcript", args)
    assert transcript["result"]["lines"] == []
    other = _call_tool(calls["alice"], "get_call_transcript", {"call_id": calls["old"]})
    assert len(other["result"]["lines"]) == 2


def test_bad_arguments_are_refused(calls: dict[str, str]) -> None:
    for name, args in [
        ("list_recent_calls", {"limit": 0}),
        ("get_call_transcript", {}),
        ("get_call_summary", {"call_id": "x" * 65}),
        ("delete_call_recording", {"call_id": calls["new"], "owner_id": calls["alice"]}),
    ]:
        outcome = _call_tool(calls["bob"], name, args)
        assert outcome["status"] == "error" and outcome["error"]["kind"] == "invalid", name
