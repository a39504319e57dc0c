"""Typed settings for every function and the voice gateway.

Values come from the environment (and `.env` in dev). Any string setting may instead hold a
Secret Manager reference (`projects/P/secrets/S/versions/V`); `Settings.secret()` resolves it
lazily, once, with google-cloud-secret-manager. Budgets, windows and TTLs are settings so tests
can shrink them. docs/CONFIG.md documents every field (a test keeps the two in step).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_REF = re.compile(r"^projects/[^/]+/secrets/[^/]+/versions/[^/]+$")

DEV_JWT_SECRET = "dev-only-jwt-secret-not-for-production"  # noqa: S105
DEV_SERVICE_TOKEN_SECRET = "dev-only-service-secret-not-for-production"  # noqa: S105
DEV_PIN_HASH_SECRET = "dev-only-pin-hash-secret-not-for-production"  # noqa: S105
DEV_TWILIO_AUTH_TOKEN = "dev-only-twilio-auth-token"  # noqa: S105
DEV_CALENDAR_TOKEN_KEY = "dev-only-calendar-token-key-not-for-production"  # noqa: S105
DEV_SIP_SECRET = "dev-only-sip-secret-not-for-production"  # noqa: S105

_DEV_DEFAULT_SECRETS = {
    "jwt_secret": DEV_JWT_SECRET,
    "service_token_secret": DEV_SERVICE_TOKEN_SECRET,
    "pin_hash_secret": DEV_PIN_HASH_SECRET,
    "twilio_auth_token": DEV_TWILIO_AUTH_TOKEN,
    "calendar_token_key": DEV_CALENDAR_TOKEN_KEY,
}


class ConfigError(RuntimeError):
    """The configuration cannot run in this environment (e.g. dev defaults in production)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Environment and process
    convonet_env: Literal["dev", "test", "prod"] = "dev"
    port: int = 8080
    data_dir: str = ".convonet"
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    sentry_dsn: SecretStr | None = None
    sentry_traces_sample_rate: float = 0.0
    public_base_url: str | None = None
    gc_serving_thresholds: tuple[int, int, int] = (700, 10, 100)

    # Relational database
    database_url: str | None = None
    cloud_sql_instance: str | None = None
    db_user: str = "convonet"
    db_name: str = "convonet"
    db_password: SecretStr | None = None
    db_iam_auth: bool = False
    db_pool_size: int = 15
    db_max_overflow: int = 0

    # Operational state and events
    state_backend: Literal["local", "firestore"] = "local"
    state_namespace: str = ""
    firestore_database: str = "(default)"
    event_backend: Literal["local", "pubsub"] = "local"
    gcp_project: str | None = None
    outbox_retry_s: float = 30.0

    # Identity
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    service_token_secret: SecretStr = SecretStr(DEV_SERVICE_TOKEN_SECRET)
    pin_hash_secret: SecretStr = SecretStr(DEV_PIN_HASH_SECRET)
    access_token_ttl_s: int = 30 * 60
    refresh_token_ttl_s: int = 7 * 24 * 3600
    service_token_ttl_s: int = 60
    login_max_failures: int = 5
    login_lockout_window_s: int = 15 * 60
    pin_max_failures: int = 5
    pin_lockout_window_s: int = 15 * 60

    # HTTP
    max_body_bytes: int = 64 * 1024
    idempotency_ttl_s: int = 24 * 3600

    # Agent, voice and telephony (used by later layers; named here so config is in one place)
    llm_provider: str = "offline"
    agent_url: str | None = None
    tool_timeout_s: float = 8.0
    agent_timeout_s: float = 10.0
    webhook_budget_s: float = 12.0
    voice_dedupe_window_s: float = 120.0
    tool_ledger_window_s: float = 120.0
    twilio_auth_token: SecretStr = SecretStr(DEV_TWILIO_AUTH_TOKEN)
    transfer_extensions: dict[str, str] = Field(default_factory=lambda: {"support": "2001"})
    fusionpbx_sip_domain: str = "pbx.convonet.local"
    agent_max_tool_rounds: int = 4
    agent_early_request: bool = True
    agent_monthly_token_limit: int = 0
    agent_thread_ttl_s: float = 7 * 24 * 3600
    restaurant_timezone: str = "America/Los_Angeles"
    vad_silence_ms: int = 700
    vad_min_speech_ms: int = 200
    vad_aggressiveness: Annotated[int, Field(ge=0, le=3)] = 2

    # Phone: Twilio webhooks, transfers to humans, SMS and reminder calls
    twilio_mode: Literal["gather", "stream"] = "gather"
    phone_tts: Literal["say", "play"] = "say"
    tts_audio_bucket: str | None = None
    tts_audio_ttl_s: int = 300
    twilio_account_sid: str | None = None
    twilio_from_number: str | None = None
    twilio_api_base_url: str | None = None
    twilio_api_timeout_s: float = 10.0
    call_retention_days: int = 90
    call_recording: bool = False
    transfer_context_ttl_s: float = 3600.0
    transfer_dial_timeout_s: int = 30
    callback_request_ttl_s: float = 7 * 24 * 3600
    reservation_reminder_hour: int = 10

    # Voice gateway (browser /webrtc/ws and Twilio /twilio/media)
    voice_max_message_bytes: int = 256 * 1024
    voice_max_utterance_s: float = 30.0
    voice_max_messages_per_s: int = 100
    voice_max_protocol_errors: int = 20
    voice_idle_timeout_s: float = 120.0
    voice_still_there_s: float = 30.0
    voice_silence_hangup_s: float = 90.0
    voice_tick_s: float = 1.0
    voice_barge_in_min_words: int = 2
    voice_resume_ttl_s: float = 300.0
    voice_session_ttl_s: float = 3600.0
    voice_drain_timeout_s: float = 8.0
    voice_transfer_close_s: float = 15.0
    voice_playback_grace_s: float = 2.0
    voice_playback_lead_s: float = 0.5
    media_stream_token_ttl_s: int = 120

    # Call center (softphone credentials follow the TURN REST scheme; see callcenter/credentials)
    sip_ws_url: str = "wss://pbx.convonet.local:7443"
    sip_secret: SecretStr = SecretStr(DEV_SIP_SECRET)
    sip_credential_ttl_s: int = 12 * 3600
    turn_urls: list[str] = Field(default_factory=list)
    turn_secret: SecretStr | None = None
    turn_credential_ttl_s: int = 12 * 3600
    call_center_retention_s: float = 30 * 24 * 3600

    # Agent monitor
    monitor_retention_s: float = 7 * 24 * 3600
    monitor_counter_shards: int = 8
    monitor_stream_max_s: float = 55.0
    monitor_stream_poll_s: float = 1.0

    # Third-party providers (absent means the embedded/offline engine is used)
    anthropic_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    google_api_key: SecretStr | None = None
    anthropic_model: str = "claude-sonnet-5-5"
    openai_model: str = "gpt-4.1-mini"
    gemini_model: str = "gemini-3.8-flash"
    anthropic_base_url: str | None = None
    openai_base_url: str | None = None
    gemini_base_url: str | None = None
    llm_attempt_timeout_s: float = 4.0
    stt_provider: str = "offline"
    tts_provider: str = "offline"
    speech_timeout_s: float = 10.0
    deepgram_api_key: SecretStr | None = None
    deepgram_base_url: str | None = None
    deepgram_stt_model: str = "nova-3"
    deepgram_tts_model: str = "aura-2-thalia-en"
    elevenlabs_api_key: SecretStr | None = None
    elevenlabs_base_url: str | None = None
    elevenlabs_voice_id: str = "21m00Tcm4TlvDq8ikWAM"
    elevenlabs_model: str = "eleven_flash_v2_5"
    cartesia_api_key: SecretStr | None = None
    cartesia_base_url: str | None = None
    cartesia_voice_id: str = "f786b574-daa5-4673-aa0c-cbe3e8534c02"
    cartesia_model: str = "sonic-2"
    suitecrm_url: str | None = None
    suitecrm_client_id: str | None = None
    suitecrm_client_secret: SecretStr | None = None
    suitecrm_timeout_s: float = 15.0

    # Google Calendar (no client id: events stay in our database, marked not synced)
    google_calendar_api_url: str = "https://www.googleapis.com/calendar/v3"
    google_oauth_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105
    google_oauth_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    google_oauth_client_id: str | None = None
    google_oauth_client_secret: SecretStr | None = None
    calendar_token_key: SecretStr = SecretStr(DEV_CALENDAR_TOKEN_KEY)
    calendar_timeout_s: float = 10.0
    calendar_oauth_state_ttl_s: int = 600
    calendar_sync_days: int = 30

    @property
    def is_prod(self) -> bool:
        return self.convonet_env == "prod"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir}/convonet.db"

    def secret(self, name: str) -> str:
        """The plain value of a secret setting, resolving a Secret Manager reference once."""
        value = getattr(self, name)
        if value is None:
            return ""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        return resolve_secret(raw)

    def check_production_ready(self) -> None:
        """Refuse to run production on dev defaults or without the services it needs."""
        if not self.is_prod:
            return
        problems = [
            f"{name.upper()} is the dev default"
            for name, default in _DEV_DEFAULT_SECRETS.items()
            if getattr(self, name).get_secret_value() == default
        ]
        if not (self.database_url or self.cloud_sql_instance):
            problems.append("neither DATABASE_URL nor CLOUD_SQL_INSTANCE is set")
        if not self.public_base_url:
            problems.append("PUBLIC_BASE_URL is not set")
        if problems:
            raise ConfigError("production configuration refused: " + "; ".join(problems))


_secret_cache: dict[str, str] = {}
_secret_lock = threading.Lock()


def resolve_secret(value: str) -> str:
    """Return `value`, or the payload of the Secret Manager version it references."""
    if not SECRET_REF.match(value):
        return value
    with _secret_lock:
        if value not in _secret_cache:
            from google.cloud import secretmanager

            client = secretmanager.SecretManagerServiceClient()
            response = client.access_secret_version(request={"name": value})
            _secret_cache[value] = response.payload.data.decode("utf-8")
        return _secret_cache[value]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    settings = Settings()
    settings.check_production_ready()
    return settings


def reset_settings() -> None:
    """Forget cached settings (tests change the environment, then call this)."""
    get_settings.cache_clear()
