"""Logging for Cloud Logging and error reporting to Sentry, without leaking secrets or PII.

`configure_logging()` writes one JSON object per line to stderr, the structured form Cloud
Logging parses on Cloud Run and Cloud Functions: `severity`, `message`, `time`, the source
location and, when the request carried a trace header, `logging.googleapis.com/trace` and
`spanId`, so a request's lines group under its trace. HTTP handlers call
`bind_trace_from_headers(request.headers)` first. `log_format=text` gives plain lines for a
terminal. A filter on the handler redacts secret setting values, bearer tokens and JWTs.

`init_sentry(component)` starts sentry-sdk only when `SENTRY_DSN` is set, never sends default
PII, local variables or request bodies, and passes every event through `scrub_event`.
(`send_default_pii` is left unset: sentry-sdk 2.75 deprecates it, and unset means False
while keeping the SDK's own EventScrubber on as a second layer.)
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from convonet.config import SECRET_REF, Settings, get_settings

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

REDACTED = "[REDACTED]"
FILTERED = "[Filtered]"
TRACE_FIELD = "logging.googleapis.com/trace"
SPAN_FIELD = "logging.googleapis.com/spanId"
SAMPLED_FIELD = "logging.googleapis.com/trace_sampled"
SOURCE_FIELD = "logging.googleapis.com/sourceLocation"

# Shorter secret values would redact innocent text; real secrets are far longer.
_MIN_SECRET_LEN = 6

_TRACEPARENT = re.compile(
    r"^[0-9a-f]{2}-(?P<trace>[0-9a-f]{32})-(?P<span>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})$"
)
_CLOUD_TRACE = re.compile(r"^(?P<trace>[0-9a-fA-F]{32})(?:/(?P<span>\d+))?(?:;o=(?P<o>[01]))?$")

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_SENSITIVE_NAME = r"(?:password|passwd|secret|token|api[_-]?key|credential|authorization|pin)"
# `access_token=...`, `"password": "..."`: the name must end in the sensitive word, so
# `input_tokens=42` stays readable.
_SENSITIVE_ASSIGNMENT = re.compile(
    r"(?i)(\b[a-z_]*" + _SENSITIVE_NAME + r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_E164 = re.compile(r"(?<![\w+])\+[1-9]\d{7,14}\b")
_PIN_IN_TEXT = re.compile(r"(?i)\b(pin\b\D{0,12})\d{4,8}\b")
_SENSITIVE_KEY = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|credential|authorization|cookie|jwt|dsn"
    r"|signature|(?:^|[^a-z])pin(?:[^a-z]|$)|^pin)"
)
_DROPPED_REQUEST_FIELDS = ("data", "cookies", "env")

_STANDARD_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


class _Headers(Protocol):
    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True)
class TraceContext:
    trace_id: str
    span_id: str | None = None
    sampled: bool = False


_trace: ContextVar[TraceContext | None] = ContextVar("convonet_trace", default=None)


def parse_trace_headers(headers: _Headers) -> TraceContext | None:
    """The trace of a request from W3C `traceparent`, else `X-Cloud-Trace-Context`."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    w3c = _TRACEPARENT.match(lowered.get("traceparent", ""))
    if w3c and w3c["trace"] != "0" * 32:
        return TraceContext(w3c["trace"], w3c["span"], bool(int(w3c["flags"], 16) & 1))
    cloud = _CLOUD_TRACE.match(lowered.get("x-cloud-trace-context", ""))
    if cloud:
        span = int(cloud["span"]) if cloud["span"] else 0
        span_id = f"{span:016x}" if 0 < span < 2**64 else None
        return TraceContext(cloud["trace"].lower(), span_id, cloud["o"] == "1")
    return None


def bind_trace_from_headers(headers: _Headers) -> Token[TraceContext | None]:
    """Make this request's trace the one log lines carry (cleared when there is none).

    Worker threads serve many requests, so every request binds, even without a header.
    """
    return _trace.set(parse_trace_headers(headers))


def current_trace() -> TraceContext | None:
    return _trace.get()


def reset_trace(token: Token[TraceContext | None]) -> None:
    _trace.reset(token)


def redact_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """Text with secret values, bearer/basic credentials, JWTs and `token=...` values hidden."""
    for value in secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _BEARER.sub(lambda m: f"{m[1]} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _SENSITIVE_ASSIGNMENT.sub(_redact_assignment, text)


def _redact_assignment(match: re.Match[str]) -> str:
    """`name=value` -> `name=[REDACTED]`, leaving an already redacted `Bearer` scheme alone."""
    if match[2].lower() in ("bearer", "basic"):
        return match[0]
    return match[1] + REDACTED


def known_secret_values(settings: Settings) -> frozenset[str]:
    """Values of every secret setting that is set (a Secret Manager reference is no secret)."""
    values = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            raw = value.get_secret_value()
            if len(raw) >= _MIN_SECRET_LEN and not SECRET_REF.match(raw):
                values.add(raw)
    return frozenset(values)


class SecretRedactionFilter(logging.Filter):
    """Redacts secrets in the message, the traceback and string extra fields of each record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(sorted(set(secrets), key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secrets(message, self._secrets)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text, self._secrets)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, redact_secrets(value, self._secrets))
        return True


def _rfc3339(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(timestamp, UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per record, in Cloud Logging's structured-logging field names."""

    def __init__(self, project: str | None = None) -> None:
        super().__init__()
        self._project = project

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            message = f"{message}\n{record.exc_text}"
        if record.stack_info:
            message = f"{message}\n{self.formatStack(record.stack_info)}"
        entry: dict[str, Any] = {
            key: value
            for key, value in record.__dict__.items()
            if key not in _STANDARD_RECORD_FIELDS and not key.startswith("_")
        }
        entry.update(
            {
                "severity": record.levelname if record.levelno else "DEFAULT",
                "message": message,
                "time": _rfc3339(record.created),
                "logger": record.name,
                SOURCE_FIELD: {
                    "file": record.pathname,
                    "line": str(record.lineno),
                    "function": record.funcName,
                },
            }
        )
        trace = current_trace()
        if trace is not None:
            entry[TRACE_FIELD] = (
                f"projects/{self._project}/traces/{trace.trace_id}"
                if self._project
                else trace.trace_id
            )
            if trace.span_id:
                entry[SPAN_FIELD] = trace.span_id
            entry[SAMPLED_FIELD] = trace.sampled
        return json.dumps(entry, default=str, ensure_ascii=False)


class _ConvonetHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(settings: Settings | None = None, *, stream: IO[str] | None = None) -> None:
    """Install the root handler for the configured format and level (idempotent)."""
    settings = settings or get_settings()
    handler = _ConvonetHandler(stream or sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(CloudLoggingFormatter(settings.gcp_project))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretRedactionFilter(known_secret_values(settings)))
    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _ConvonetHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Secrets, emails, E.164 numbers and PINs out of free text bound for a third party."""
    text = redact_secrets(text, secrets)
    text = _EMAIL.sub("[email]", text)
    text = _E164.sub("[phone]", text)
    return _PIN_IN_TEXT.sub(lambda m: m[1] + FILTERED, text)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, dict):
        return {
            key: FILTERED if _SENSITIVE_KEY.search(str(key)) else _scrub(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value


def scrub_event(event: Event, hint: Hint | None = None) -> Event:
    """Sentry `before_send`: no request body, cookies or credentials, no user but its id,
    and secrets, emails, phone numbers and PINs masked everywhere else."""
    secrets = tuple(sorted(known_secret_values(get_settings()), key=len, reverse=True))
    request = event.get("request")
    if isinstance(request, dict):
        for name in _DROPPED_REQUEST_FIELDS:
            request.pop(name, None)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return cast("Event", _scrub(event, secrets))


def _scrub_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint | None = None) -> Breadcrumb:
    return cast("Breadcrumb", _scrub(crumb, tuple(known_secret_values(get_settings()))))


_sentry_lock = threading.Lock()


def start_component(component: str) -> None:
    """What every entry point (each function's main.py, the gateway's app) calls once as it
    loads: structured, secret-redacted logs, and Sentry when SENTRY_DSN is set. Without it a
    deployed function logs through Python's last-resort handler: plain text, warnings only,
    and no redaction."""
    configure_logging()
    init_sentry(component)


def init_sentry(component: str, settings: Settings | None = None) -> bool:
    """Start Sentry for this function or service when a DSN is set; True when it is running.

    Safe to call on every cold start path: a second call changes nothing.
    """
    settings = settings or get_settings()
    dsn = settings.secret("sentry_dsn")
    if not dsn:
        return False
    import sentry_sdk

    with _sentry_lock:
        if sentry_sdk.is_initialized():
            return True
        sentry_sdk.init(
            dsn=dsn,
            environment=settings.convonet_env,
            traces_sample_rate=settings.sentry_traces_sample_rate,
            include_local_variables=False,
            max_request_body_size="never",
            before_send=scrub_event,
            before_send_transaction=scrub_event,
            before_breadcrumb=_scrub_breadcrumb,
        )
        sentry_sdk.set_tag("component", component)
    return True
