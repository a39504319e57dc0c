"""hypothesis on the parsers that take outside input: WebSocket frames, Twilio form bodies and
their signatures, Twilio media-stream frames, mu-law and PCM framing, and booking inputs.

Each property says what the parser promises for any input: a typed value or its own typed
refusal, never another exception, and lossless framing. (Dates and times the offline model
extracts are fuzzed in test_offline_parsing.py.)
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from convonet.config import get_settings
from convonet.domain.reservations import BookingRequest
from convonet.telephony.signature import is_valid_signature
from convonet.voice.audio import (
    PHONE_RATE,
    FrameBuffer,
    frame_bytes,
    frames,
    mulaw_decode,
    mulaw_encode,
)
from convonet.voice.protocol import (
    CLIENT_TYPES,
    AudioChunkOut,
    ProtocolError,
    parse_client_frame,
)
from convonet.voice.twilio_media import (
    KNOWN_EVENTS,
    MediaEvent,
    MediaStreamError,
    StartEvent,
    UnknownEvent,
    parse_media_message,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from twilio.request_validator import RequestValidator

FAST = settings(max_examples=150, deadline=None, derandomize=True)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
FRAME_FIELDS = st.dictionaries(
    st.sampled_from(
        ["session_id", "pin", "token", "resume_token", "mode", "encoding", "sample_rate"]
        + ["seq", "data_b64", "text", "stt", "tts", "language"]
    ),
    JSON_VALUES,
    max_size=4,
)
WEBHOOK_URL = "https://voice.example.com/twilio/voice?step=pin"


# WebSocket frames ----------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_bytes_are_a_frame_or_a_protocol_error(raw: bytes | str) -> None:
    try:
        frame = parse_client_frame(raw)
    except ProtocolError as exc:
        assert exc.code in {"invalid_json", "invalid_message", "unknown_type"}
    else:
        assert frame.type in CLIENT_TYPES


@FAST
@given(st.binary(max_size=3000), st.text(max_size=40), st.text(max_size=64) | st.none())
def test_an_audio_frame_is_written_as_pydantic_writes_it(
    pcm: bytes, turn_id: str, session_id: str | None
) -> None:
    """The audio put into a serialised frame gives the JSON pydantic gives for the whole frame,
    whatever the other fields hold (quotes and escapes included)."""
    data = base64.b64encode(pcm).decode()
    fields: dict[str, Any] = {
        "seq": 7,
        "mime_type": "audio/L16;rate=24000",
        "sample_rate": 24000,
        "is_final": False,
        "turn_id": turn_id,
        "session_id": session_id,
    }
    written = AudioChunkOut(data_b64="", **fields).json_with_audio(data)
    assert written == AudioChunkOut(data_b64=data, **fields).model_dump_json()


@FAST
@given(st.integers(min_value=1, max_value=20_000), st.sampled_from("[{"))
def test_deeply_nested_json_is_a_protocol_error(depth: int, opener: str) -> None:
    raw = opener * depth if opener == "[" else '{"a":' * depth
    with pytest.raises(ProtocolError) as refused:
        parse_client_frame(raw)
    assert refused.value.code in {"invalid_json", "invalid_message"}


@FAST
@given(st.sampled_from(sorted(CLIENT_TYPES)) | st.text(max_size=20), FRAME_FIELDS)
def test_typed_json_objects_parse_or_are_refused_with_a_code(
    kind: str, fields: dict[str, Any]
) -> None:
    raw = json.dumps({**fields, "type": kind})
    try:
        frame = parse_client_frame(raw)
    except ProtocolError as exc:
        assert exc.code == ("unknown_type" if kind not in CLIENT_TYPES else "invalid_message")
    else:
        assert frame.type == kind


# Twilio form bodies --------------------------------------------------------------------------

FORM = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=20),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60),
    max_size=8,
)


def _twilio_signature(url: str, form: dict[str, str]) -> str:
    """What Twilio sends: computed by the twilio library with the account's auth token."""
    token = get_settings().secret("twilio_auth_token")
    return str(RequestValidator(token).compute_signature(url, form))


@FAST
@given(FORM)
def test_a_form_signed_by_twilio_is_accepted(form: dict[str, str]) -> None:
    assert is_valid_signature(WEBHOOK_URL, form, _twilio_signature(WEBHOOK_URL, form))


@FAST
@given(FORM, st.text(min_size=1, max_size=20), st.text(max_size=20))
def test_a_changed_form_is_refused(form: dict[str, str], key: str, value: str) -> None:
    signature = _twilio_signature(WEBHOOK_URL, form)
    tampered = {**form, key: value}
    if tampered != form:
        assert not is_valid_signature(WEBHOOK_URL, tampered, signature)


@FAST
@given(FORM, st.text(max_size=40))
def test_a_forged_signature_is_refused_without_error(form: dict[str, str], forged: str) -> None:
    if forged != _twilio_signature(WEBHOOK_URL, form):
        assert not is_valid_signature(WEBHOOK_URL, form, forged)


# Twilio media-stream frames ------------------------------------------------------------------

MEDIA_LIMIT = 4096
TWILIO_FIELDS = st.dictionaries(
    st.sampled_from(["sequenceNumber", "streamSid", "start", "media", "mark", "dtmf", "stop"]),
    JSON_VALUES
    | st.fixed_dictionaries(
        {},
        optional={
            "callSid": JSON_VALUES,
            "payload": JSON_VALUES
            | st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
            "track": JSON_VALUES,
            "name": JSON_VALUES,
            "digit": JSON_VALUES,
            "customParameters": JSON_VALUES,
            "mediaFormat": JSON_VALUES,
        },
    ),
    max_size=4,
)
SID = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40)
PARAMETERS = st.dictionaries(SID, st.text(max_size=40), max_size=4)


def _media_frame(mulaw: bytes, seq: int, track: str) -> str:
    """A media frame as Twilio sends one: string sequence numbers, base64 mu-law."""
    payload = base64.b64encode(mulaw).decode()
    media = {"track": track, "chunk": "1", "timestamp": "20", "payload": payload}
    return json.dumps(
        {"event": "media", "sequenceNumber": str(seq), "streamSid": "MZ1", "media": media}
    )


@FAST
@given(st.binary(max_size=300) | st.text(max_size=300) | JSON_VALUES.map(json.dumps))
def test_any_media_stream_frame_is_an_event_or_a_media_stream_error(raw: bytes | str) -> None:
    try:
        event = parse_media_message(raw, MEDIA_LIMIT)
    except MediaStreamError as exc:
        assert exc.close_code == (1008 if isinstance(raw, bytes) else None)
        assert exc.event is None or exc.event in KNOWN_EVENTS
    else:
        assert isinstance(raw, str)
        assert event.event in KNOWN_EVENTS or isinstance(event, UnknownEvent)


@FAST
@given(st.sampled_from(sorted(KNOWN_EVENTS)) | st.text(max_size=12), TWILIO_FIELDS)
def test_named_events_parse_or_are_refused_naming_the_event(
    kind: str, fields: dict[str, Any]
) -> None:
    try:
        event = parse_media_message(json.dumps({**fields, "event": kind}), 1 << 20)
    except MediaStreamError as exc:
        assert kind in KNOWN_EVENTS and exc.event == kind and exc.close_code is None
        assert exc.reason.startswith(kind)
    else:
        assert event.event == kind
        assert isinstance(event, UnknownEvent) == (kind not in KNOWN_EVENTS)


@FAST
@given(st.integers(1, 4 * MEDIA_LIMIT), st.sampled_from(["[", '{"a":', " "]))
def test_deep_or_oversized_frames_are_refused_not_raised(size: int, unit: str) -> None:
    raw = unit * size
    try:
        parse_media_message(raw, MEDIA_LIMIT)
    except MediaStreamError as exc:
        assert exc.close_code == (1009 if len(raw) > MEDIA_LIMIT else None)
    else:
        raise AssertionError("no event is made of brackets or spaces")


@FAST
@given(
    st.binary(max_size=1601),  # odd sizes too: mu-law is one byte a sample
    st.integers(1, 10**12),
    st.sampled_from(["inbound", "inbound_track", "outbound"]),
)
def test_media_frames_round_trip_to_their_mulaw_bytes(mulaw: bytes, seq: int, track: str) -> None:
    event = parse_media_message(_media_frame(mulaw, seq, track), 1 << 20)
    assert isinstance(event, MediaEvent)
    assert event.media.payload == mulaw and event.media.track == track
    assert event.sequenceNumber == seq
    assert len(mulaw_decode(event.media.payload)) == 2 * len(mulaw)


@FAST
@given(SID, SID, PARAMETERS, st.integers(1, 10**6))
def test_start_metadata_round_trips(
    call_sid: str, stream_sid: str, parameters: dict[str, str], seq: int
) -> None:
    start = {
        "accountSid": "AC1",
        "callSid": call_sid,
        "streamSid": stream_sid,
        "tracks": ["inbound"],
        "customParameters": parameters,
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": PHONE_RATE, "channels": 1},
    }
    raw = json.dumps(
        {"event": "start", "sequenceNumber": str(seq), "streamSid": stream_sid, "start": start}
    )
    event = parse_media_message(raw, 1 << 20)
    assert isinstance(event, StartEvent)
    assert (event.streamSid, event.start.callSid, event.start.streamSid) == (
        stream_sid,
        call_sid,
        stream_sid,
    )
    assert event.start.customParameters == parameters and event.sequenceNumber == seq
    assert event.start.mediaFormat.sampleRate == PHONE_RATE


# mu-law and PCM framing ----------------------------------------------------------------------


@FAST
@given(st.binary(max_size=2000))
def test_mulaw_decode_then_encode_is_lossless(mulaw: bytes) -> None:
    pcm = mulaw_decode(mulaw)
    assert len(pcm) == 2 * len(mulaw)
    # mu-law has two codes for zero (0x7F, 0xFF); every other byte survives exactly.
    again = mulaw_encode(pcm)
    assert [b | 0x80 if b & 0x7F == 0x7F else b for b in again] == [
        b | 0x80 if b & 0x7F == 0x7F else b for b in mulaw
    ]


@FAST
@given(st.binary(max_size=4000).map(lambda b: b[: len(b) // 2 * 2]))
def test_mulaw_encode_takes_any_pcm16(pcm: bytes) -> None:
    assert len(mulaw_encode(pcm)) == len(pcm) // 2


@FAST
@given(st.lists(st.binary(max_size=900), max_size=12), st.sampled_from([8000, 16000, 48000]))
def test_frame_buffer_is_lossless_whatever_the_chunking(chunks: list[bytes], rate: int) -> None:
    buffer = FrameBuffer(rate)
    size = frame_bytes(rate)
    out = [frame for chunk in chunks for frame in buffer.feed(chunk)]
    tail = buffer.flush()
    data = b"".join(chunks)
    assert all(len(frame) == size for frame in out) and len(tail) in (0, size)
    assert (b"".join(out) + tail)[: len(data)] == data
    assert b"".join(out) + tail == b"".join(frames(data, rate))


@FAST
@given(st.binary(max_size=3000))
def test_phone_frames_are_whole_20ms_frames(pcm: bytes) -> None:
    chunks = list(frames(pcm, PHONE_RATE))
    assert all(len(c) == frame_bytes(PHONE_RATE) for c in chunks)
    assert b"".join(chunks).rstrip(b"\0") == pcm.rstrip(b"\0")


# Booking inputs ------------------------------------------------------------------------------

BOOKING_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "guest_name": JSON_VALUES,
        "guest_phone": JSON_VALUES | st.from_regex(r"\+?1?[ (]?415\)? ?555-?0\d{3}"),
        "party_size": JSON_VALUES | st.integers(-5, 40),
        "starts_at": JSON_VALUES | st.datetimes().map(str),
        "duration_minutes": JSON_VALUES,
        "special_requests": JSON_VALUES,
        "preorder": JSON_VALUES,
        "source_channel": JSON_VALUES,
        "preferred_locale": JSON_VALUES,
    },
)


@FAST
@given(BOOKING_FIELDS)
def test_booking_input_validates_or_is_refused(fields: dict[str, Any]) -> None:
    try:
        booking = BookingRequest.model_validate(fields)
    except ValidationError:
        return
    assert booking.guest_phone.startswith("+") and 1 <= booking.party_size <= 20
    assert booking.guest_name == booking.guest_name.strip() and booking.guest_name
    assert 2000 <= booking.starts_at.year <= 2200
