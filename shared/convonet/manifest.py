"""The function manifest: the one list of everything Convonet deploys.

The dev server mounts from it, the benches time from it, the bundle build packs from it and
Terraform's map of functions is checked against it. `built=False` marks a function whose
endpoint answers 501 until its issue lands; nothing presents it as working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[2]

Kind = Literal["http", "event", "service"]
Weight = Literal["light", "heavy"]

COMMON_SETTINGS = (
    "CONVONET_ENV",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "GCP_PROJECT",
    "STATE_BACKEND",
    "STATE_NAMESPACE",
    "EVENT_BACKEND",
)
DB_SETTINGS = ("CLOUD_SQL_INSTANCE", "DB_USER", "DB_NAME", "DB_IAM_AUTH")
COMMON_SECRETS = ("SENTRY_DSN",)


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    kind: Kind
    summary: str
    weight: Weight = "light"
    paths: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    publishes: tuple[str, ...] = ()
    memory_mb: int = 256
    concurrency: int = 8
    timeout_s: int = 60
    min_instances: int = 0
    public: bool = True
    built: bool = False
    uses_db: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def entry_point(self) -> str:
        """The decorated Python function; unique across functions (functions-framework keys
        on it)."""
        return self.name

    @property
    def source(self) -> Path:
        if self.kind == "service":
            return REPO_ROOT / "functions" / self.name / "app.py"
        return REPO_ROOT / "functions" / self.name / "main.py"

    @property
    def primary_path(self) -> str:
        return self.paths[0] if self.paths else ""

    def all_settings(self) -> tuple[str, ...]:
        db = DB_SETTINGS if self.uses_db else ()
        return COMMON_SETTINGS + db + self.settings

    def all_secrets(self) -> tuple[str, ...]:
        db = ("DB_PASSWORD",) if self.uses_db else ()
        return COMMON_SECRETS + db + self.secrets


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "auth_api",
        "http",
        "Register, log in, refresh and revoke tokens, set the voice PIN.",
        paths=("/api/auth",),
        secrets=("JWT_SECRET", "PIN_HASH_SECRET"),
        settings=(
            "ACCESS_TOKEN_TTL_S",
            "REFRESH_TOKEN_TTL_S",
            "LOGIN_MAX_FAILURES",
            "LOGIN_LOCKOUT_WINDOW_S",
        ),
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "twilio_webhook",
        "http",
        "Twilio voice webhooks: incoming call, PIN, conversation turns, status.",
        paths=("/twilio/voice",),
        settings=(
            "PUBLIC_BASE_URL",
            "AGENT_URL",
            "WEBHOOK_BUDGET_S",
            "TWILIO_MODE",
            "CALL_RETENTION_DAYS",
            "CALL_RECORDING",
            "PIN_MAX_FAILURES",
            "PIN_LOCKOUT_WINDOW_S",
            "IDEMPOTENCY_TTL_S",
            "MAX_BODY_BYTES",
            "TRANSFER_EXTENSIONS",
            "FUSIONPBX_SIP_DOMAIN",
            "TRANSFER_CONTEXT_TTL_S",
            "TRANSFER_DIAL_TIMEOUT_S",
            "MEDIA_STREAM_TOKEN_TTL_S",
            "PHONE_TTS",
            "TTS_PROVIDER",
            "SPEECH_TIMEOUT_S",
            "TTS_AUDIO_BUCKET",
            "TTS_AUDIO_TTL_S",
        ),
        secrets=(
            "TWILIO_AUTH_TOKEN",
            "SERVICE_TOKEN_SECRET",
            "PIN_HASH_SECRET",
            "DEEPGRAM_API_KEY",
            "ELEVENLABS_API_KEY",
            "CARTESIA_API_KEY",
        ),
        publishes=("transfer-events",),
        min_instances=1,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "transfer_callback",
        "http",
        "Twilio <Dial> action callback after a transfer to a human agent.",
        paths=("/twilio/transfer_callback",),
        settings=(
            "PUBLIC_BASE_URL",
            "WEBHOOK_BUDGET_S",
            "IDEMPOTENCY_TTL_S",
            "MAX_BODY_BYTES",
            "TRANSFER_EXTENSIONS",
            "CALLBACK_REQUEST_TTL_S",
        ),
        secrets=("TWILIO_AUTH_TOKEN",),
        publishes=("transfer-events",),
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "agent_turn",
        "http",
        "One assistant turn (JSON or server-sent events) and barge-in trimming.",
        weight="heavy",
        paths=("/agent",),
        settings=(
            "LLM_PROVIDER",
            "TOOL_TIMEOUT_S",
            "AGENT_TIMEOUT_S",
            "AGENT_MAX_TOOL_ROUNDS",
            "AGENT_MONTHLY_TOKEN_LIMIT",
            "AGENT_THREAD_TTL_S",
            "RESTAURANT_TIMEZONE",
            "TOOL_LEDGER_WINDOW_S",
            "TRANSFER_EXTENSIONS",
            "SENTRY_TRACES_SAMPLE_RATE",
        ),
        secrets=(
            "JWT_SECRET",
            "SERVICE_TOKEN_SECRET",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "GOOGLE_API_KEY",
        ),
        publishes=("agent-interactions",),
        memory_mb=1024,
        concurrency=16,
        min_instances=1,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "reservations",
        "http",
        "Hanok table reservations: menu, availability, bookings, staff admin.",
        paths=("/api/reservations", "/webhooks/hanok_table"),
        settings=("PUBLIC_BASE_URL", "VOICE_DEDUPE_WINDOW_S"),
        secrets=("JWT_SECRET", "TWILIO_AUTH_TOKEN"),
        publishes=("reservation-events",),
        concurrency=32,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "monitor_api",
        "http",
        "Agent monitor: interactions, statistics and the live feed for supervisors.",
        paths=("/agent-monitor/api",),
        settings=("MONITOR_STREAM_MAX_S", "MONITOR_STREAM_POLL_S"),
        secrets=("JWT_SECRET",),
        built=True,
    ),
    FunctionSpec(
        "call_center_api",
        "http",
        "Call-center agent states, call events, customer pop-up data.",
        paths=("/call-center/api",),
        settings=(
            "FUSIONPBX_SIP_DOMAIN",
            "TRANSFER_EXTENSIONS",
            "SIP_WS_URL",
            "SIP_CREDENTIAL_TTL_S",
            "TURN_URLS",
            "TURN_CREDENTIAL_TTL_S",
            "CALL_CENTER_RETENTION_S",
            "SUITECRM_URL",
        ),
        secrets=("JWT_SECRET", "SIP_SECRET", "TURN_SECRET"),
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "workspace_api",
        "http",
        "Todos, teams, reminders, calendar, mortgage and settings for signed-in users.",
        paths=("/convonet_todo/api",),
        settings=(
            "PUBLIC_BASE_URL",
            "LLM_PROVIDER",
            "GOOGLE_CALENDAR_API_URL",
            "GOOGLE_OAUTH_AUTH_URL",
            "GOOGLE_OAUTH_TOKEN_URL",
            "GOOGLE_OAUTH_REVOKE_URL",
            "GOOGLE_OAUTH_CLIENT_ID",
            "CALENDAR_TIMEOUT_S",
            "CALENDAR_OAUTH_STATE_TTL_S",
            "CALENDAR_SYNC_DAYS",
        ),
        secrets=(
            "JWT_SECRET",
            "CALENDAR_TOKEN_KEY",
            "GOOGLE_OAUTH_CLIENT_SECRET",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "GOOGLE_API_KEY",
        ),
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "crm_api",
        "http",
        "Patients, meetings, cases and notes in SuiteCRM.",
        paths=("/patient", "/meeting/create", "/case/create", "/note/create"),
        settings=("SUITECRM_URL", "SUITECRM_CLIENT_ID", "SUITECRM_TIMEOUT_S", "MAX_BODY_BYTES"),
        secrets=("JWT_SECRET", "SUITECRM_CLIENT_SECRET"),
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "mcp_server",
        "http",
        "The tool registry over MCP streamable HTTP.",
        weight="heavy",
        paths=("/mcp",),
        settings=(
            "MAX_BODY_BYTES",
            "TOOL_LEDGER_WINDOW_S",
            "TRANSFER_EXTENSIONS",
            "SUITECRM_URL",
        ),
        secrets=("JWT_SECRET",),
        publishes=("crm-sync",),
        memory_mb=512,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "record_interaction",
        "event",
        "Stores each agent interaction and transfer outcome and keeps the monitor's counters.",
        topics=("agent-interactions", "transfer-events"),
        settings=("MONITOR_RETENTION_S", "MONITOR_COUNTER_SHARDS"),
        public=False,
        built=True,
    ),
    FunctionSpec(
        "notify",
        "event",
        "SMS for reservation changes and missed transfers.",
        topics=("reservation-events", "transfer-events"),
        settings=("TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER", "TWILIO_API_TIMEOUT_S"),
        secrets=("TWILIO_AUTH_TOKEN",),
        public=False,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "crm_sync",
        "event",
        "Pushes recorded CRM work to SuiteCRM.",
        topics=("crm-sync",),
        settings=("SUITECRM_URL", "SUITECRM_CLIENT_ID", "SUITECRM_TIMEOUT_S"),
        secrets=("SUITECRM_CLIENT_SECRET",),
        public=False,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "dispatch_reminders",
        "event",
        "Sends reminders that have fallen due (Cloud Scheduler -> reminders-due).",
        topics=("reminders-due",),
        settings=(
            "TWILIO_ACCOUNT_SID",
            "TWILIO_FROM_NUMBER",
            "TWILIO_API_TIMEOUT_S",
            "RESERVATION_REMINDER_HOUR",
        ),
        secrets=("TWILIO_AUTH_TOKEN",),
        public=False,
        built=True,
        uses_db=True,
    ),
    FunctionSpec(
        "voice_gateway",
        "service",
        "Cloud Run service: browser voice and Twilio media-stream WebSockets.",
        weight="heavy",
        paths=("/webrtc/ws", "/twilio/media"),
        settings=(
            "AGENT_URL",
            "PUBLIC_BASE_URL",
            "LLM_PROVIDER",
            "AGENT_TIMEOUT_S",
            "STT_PROVIDER",
            "TTS_PROVIDER",
            "VAD_SILENCE_MS",
            "PIN_MAX_FAILURES",
            "PIN_LOCKOUT_WINDOW_S",
            "VOICE_MAX_MESSAGE_BYTES",
            "VOICE_MAX_UTTERANCE_S",
            "VOICE_MAX_MESSAGES_PER_S",
            "VOICE_MAX_PROTOCOL_ERRORS",
            "VOICE_IDLE_TIMEOUT_S",
            "VOICE_STILL_THERE_S",
            "VOICE_SILENCE_HANGUP_S",
            "VOICE_TICK_S",
            "VOICE_BARGE_IN_MIN_WORDS",
            "VOICE_RESUME_TTL_S",
            "VOICE_SESSION_TTL_S",
            "VOICE_DRAIN_TIMEOUT_S",
            "VOICE_TRANSFER_CLOSE_S",
            "VOICE_PLAYBACK_GRACE_S",
            "VOICE_PLAYBACK_LEAD_S",
            "MEDIA_STREAM_TOKEN_TTL_S",
            "TRANSFER_EXTENSIONS",
            "FUSIONPBX_SIP_DOMAIN",
            "SIP_WS_URL",
        ),
        secrets=(
            "SERVICE_TOKEN_SECRET",
            "PIN_HASH_SECRET",
            "JWT_SECRET",
            "DEEPGRAM_API_KEY",
            "SIP_SECRET",
        ),
        memory_mb=2048,
        concurrency=80,
        timeout_s=3600,
        min_instances=1,
        uses_db=True,
        built=True,
    ),
)

TOPICS: tuple[str, ...] = tuple(
    sorted({t for f in FUNCTIONS for t in f.topics} | {t for f in FUNCTIONS for t in f.publishes})
)


def by_name(name: str) -> FunctionSpec:
    for spec in FUNCTIONS:
        if spec.name == name:
            return spec
    raise KeyError(name)


def http_functions() -> list[FunctionSpec]:
    return [f for f in FUNCTIONS if f.kind == "http"]


def event_functions() -> list[FunctionSpec]:
    return [f for f in FUNCTIONS if f.kind == "event"]
