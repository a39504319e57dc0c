"""Observability: Cloud Logging JSON with the request's trace, secret redaction, and a
Sentry that starts only with a DSN and never ships PII or credentials."""

from __future__ import annotations

import gzip
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from convonet.config import DEV_JWT_SECRET, Settings
from convonet.observability import (
    SPAN_FIELD,
    TRACE_FIELD,
    CloudLoggingFormatter,
    SecretRedactionFilter,
    bind_trace_from_headers,
    configure_logging,
    init_sentry,
    parse_trace_headers,
    redact_secrets,
    reset_trace,
    scrub_event,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJyb2xlcyI6WyJ1c2VyIl19.c2lnbmF0dXJlLWJ5dGVz"


def _record(
    msg: str, *args: object, level: int = logging.INFO, **extra: object
) -> logging.LogRecord:
    record = logging.LogRecord(
        "convonet.test", level, __file__, 42, msg, args, None, func="handler"
    )
    record.__dict__.update(extra)
    return record


@pytest.fixture
def traced() -> Iterator[None]:
    token = bind_trace_from_headers({"X-Cloud-Trace-Context": f"{TRACE_ID}/123456789;o=1"})
    yield
    reset_trace(token)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
            (TRACE_ID, "00f067aa0ba902b7", True),
        ),
        (
            {"X-Cloud-Trace-Context": f"{TRACE_ID.upper()}/123456789;o=0"},
            (TRACE_ID, f"{123456789:016x}", False),
        ),
        ({"x-cloud-trace-context": TRACE_ID}, (TRACE_ID, None, False)),
        (
            {
                "traceparent": f"00-{'1' * 32}-00f067aa0ba902b7-00",
                "X-Cloud-Trace-Context": f"{TRACE_ID}/1",
            },
            ("1" * 32, "00f067aa0ba902b7", False),
        ),
    ],
)
def test_trace_headers_are_parsed(headers: dict[str, str], expected: tuple[object, ...]) -> None:
    trace = parse_trace_headers(headers)
    assert trace is not None
    assert (trace.trace_id, trace.span_id, trace.sampled) == expected


@pytest.mark.parametrize(
    "headers",
    [{}, {"traceparent": "garbage"}, {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}],
)
def test_no_usable_trace_header_means_no_trace(headers: dict[str, str]) -> None:
    assert parse_trace_headers(headers) is None


def test_json_lines_carry_severity_time_source_trace_and_extras(traced: None) -> None:
    line = CloudLoggingFormatter("acme-prod").format(
        _record("booked %s", "HNK-42", level=logging.WARNING, reservation_id="r-1")
    )
    entry = json.loads(line)
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "booked HNK-42"
    assert entry["time"].endswith("Z")
    assert entry["logger"] == "convonet.test"
    assert entry["reservation_id"] == "r-1"
    assert entry[TRACE_FIELD] == f"projects/acme-prod/traces/{TRACE_ID}"
    assert entry[SPAN_FIELD] == f"{123456789:016x}"
    assert entry["logging.googleapis.com/trace_sampled"] is True
    assert entry["logging.googleapis.com/sourceLocation"] == {
        "file": __file__,
        "line": "42",
        "function": "handler",
    }


def test_a_request_without_trace_headers_clears_the_previous_trace(traced: None) -> None:
    token = bind_trace_from_headers({})
    try:
        entry = json.loads(CloudLoggingFormatter("p").format(_record("next request")))
    finally:
        reset_trace(token)
    assert TRACE_FIELD not in entry


def test_exceptions_go_into_the_message_for_error_reporting() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys_exc_info())
    entry = json.loads(CloudLoggingFormatter().format(record))
    assert entry["severity"] == "ERROR"
    assert entry["message"].startswith("failed\nTraceback")
    assert "ValueError: boom" in entry["message"]


def sys_exc_info():  # type: ignore[no-untyped-def]
    import sys

    return sys.exc_info()


def test_the_filter_redacts_secrets_bearer_tokens_and_jwts() -> None:
    secret = "s3cr3t-twilio-token-value"
    redaction = SecretRedactionFilter([secret])
    record = _record("auth %s header=%s", secret, f"Bearer {JWT}", note=f"jwt={JWT}", count=3)
    try:
        raise RuntimeError(f"upstream said {secret}")
    except RuntimeError:
        record.exc_info = sys_exc_info()
    assert redaction.filter(record)
    rendered = CloudLoggingFormatter().format(record)
    assert secret not in rendered and JWT not in rendered
    entry = json.loads(rendered)
    assert entry["message"].startswith("auth [REDACTED] header=Bearer [REDACTED]")
    assert "upstream said [REDACTED]" in entry["message"]
    assert entry["note"] == "jwt=[REDACTED]"
    assert entry["count"] == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("access_token=abc123&lang=ko", "access_token=[REDACTED]&lang=ko"),
        ('{"password": "hunter2"}', '{"password": "[REDACTED]"}'),
        ("pin=1234 pin_attempts=3", "pin=[REDACTED] pin_attempts=3"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer [REDACTED]"),
        ("usage input_tokens=42 output_tokens=7", "usage input_tokens=42 output_tokens=7"),
    ],
)
def test_credentials_in_free_text_are_redacted(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_configure_logging_installs_one_redacting_handler(
    fmt: str,
    configure: Callable[..., Settings],
) -> None:
    settings = configure(
        LOG_FORMAT=fmt, LOG_LEVEL="debug", TWILIO_AUTH_TOKEN="live-twilio-auth-token"
    )
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    stream = io.StringIO()
    try:
        configure_logging(settings, stream=io.StringIO())
        configure_logging(settings, stream=stream)
        # One of ours, whatever an entry point imported earlier in this process installed.
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1
        assert [h for h in root.handlers if h is not ours[0]] == [
            h for h in before if type(h) is not type(ours[0])
        ]
        logging.getLogger("convonet.demo").debug(
            "token live-twilio-auth-token and %s", DEV_JWT_SECRET
        )
    finally:
        root.handlers[:] = before
        root.setLevel(level)
    output = stream.getvalue()
    assert "live-twilio-auth-token" not in output and DEV_JWT_SECRET not in output
    assert output.count("[REDACTED]") == 2
    if fmt == "json":
        assert json.loads(output)["severity"] == "DEBUG"
    else:
        assert "DEBUG convonet.demo: token [REDACTED]" in output


def _sentry_event() -> dict[str, Any]:
    """What sentry-sdk's Flask integration builds for a failed request (abridged)."""
    return {
        "event_id": "fc6d8c0c43fc4630ad850ee518f1b9d0",
        "level": "error",
        "platform": "python",
        "logentry": {
            "message": "PIN check failed for %s",
            "params": ["+14155550123"],
            "formatted": "PIN check failed for +14155550123 (jane.doe@example.com), pin 4821",
        },
        "exception": {
            "values": [
                {
                    "type": "AuthError",
                    "value": f"bad token {JWT} for jane.doe@example.com",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "convonet/auth/pins.py",
                                "lineno": 88,
                                "vars": {"pin": "4821", "phone": "+14155550123", "attempt": 3},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://convonet.example/api/auth/pin",
            "method": "POST",
            "query_string": "token=abc123xyz&lang=ko",
            "headers": {
                "Authorization": f"Bearer {JWT}",
                "Cookie": "session=abc",
                "X-Twilio-Signature": "sig",
                "User-Agent": "curl/8",
            },
            "data": {"pin": "4821", "email": "jane.doe@example.com"},
            "cookies": {"session": "abc"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "u-1", "email": "jane.doe@example.com", "ip_address": "203.0.113.9"},
        "breadcrumbs": {"values": [{"category": "log", "message": "login jane.doe@example.com"}]},
        "extra": {"password": "hunter22", "jwt_secret": DEV_JWT_SECRET, "party_size": 4},
        "tags": {"component": "auth_api"},
    }


def test_before_send_scrubs_pii_and_credentials() -> None:
    scrubbed: dict[str, Any] = dict(scrub_event(_sentry_event(), {}))  # type: ignore[arg-type]
    text = json.dumps(scrubbed)
    for leak in (
        "jane.doe@example.com",
        "+14155550123",
        "4821",
        JWT,
        "hunter22",
        DEV_JWT_SECRET,
        "abc123xyz",
        "session=abc",
        "203.0.113.9",
    ):
        assert leak not in text, leak
    request = scrubbed["request"]
    assert "data" not in request and "cookies" not in request and "env" not in request
    assert request["headers"]["Authorization"] == "[Filtered]"
    assert request["headers"]["Cookie"] == "[Filtered]"
    assert request["headers"]["User-Agent"] == "curl/8"
    assert scrubbed["user"] == {"id": "u-1"}
    assert scrubbed["extra"]["party_size"] == 4
    assert scrubbed["tags"] == {"component": "auth_api"}
    assert (
        scrubbed["logentry"]["formatted"]
        == "PIN check failed for [phone] ([email]), pin [Filtered]"
    )
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"] == {"pin": "[Filtered]", "phone": "[phone]", "attempt": 3}
    assert frame["lineno"] == 88


@pytest.fixture
def sentry_reset() -> Iterator[None]:
    yield
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_without_a_dsn_sentry_stays_off(settings: Settings, sentry_reset: None) -> None:
    assert settings.sentry_dsn is None
    assert init_sentry("auth_api", settings) is False
    assert not sentry_sdk.is_initialized()


class _SentryIngest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps each item the SDK sends."""

    items: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                self.items.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_with_a_dsn_sentry_sends_scrubbed_events_once_configured(
    configure: Callable[..., Settings],
    sentry_reset: None,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SentryIngest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SentryIngest.items = []
    try:
        settings = configure(SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_port}/7")
        assert init_sentry("notify", settings) is True
        assert init_sentry("notify", settings) is True
        client = sentry_sdk.get_client()
        assert not client.options["send_default_pii"]
        assert client.options["data_collection"]["user_info"] is False
        assert client.options["event_scrubber"] is not None
        assert client.options["include_local_variables"] is False
        assert client.options["environment"] == "test"
        try:
            pin = "4821"  # noqa: F841 - a local a careless SDK would ship
            raise RuntimeError("SMS to +14155550123 failed for jane.doe@example.com")
        except RuntimeError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    [event] = _SentryIngest.items
    text = json.dumps(event)
    assert "+14155550123" not in text and "jane.doe@example.com" not in text
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert all("vars" not in frame for frame in frames)
    # Quoted: the bare digits can occur by chance inside a random trace id.
    assert "'4821'" not in text and '"4821"' not in text
    assert event["tags"]["component"] == "notify"
    assert event["exception"]["values"][0]["value"] == "SMS to [phone] failed for [email]"
