"""Short-lived URLs for synthesised phone replies, which Twilio fetches to `<Play>` them.

`get_audio_store().put(wav, timeout_s)` keeps one clip for TTS_AUDIO_TTL_S and returns the URL
Twilio fetches. With TTS_AUDIO_BUCKET set the clip is a Cloud Storage object behind a V4 signed
URL (give the bucket a lifecycle rule that deletes `phone-tts/` objects after a day). Otherwise
it is a StateStore document (SQLite locally, Firestore when deployed without a bucket) that
twilio_webhook serves at `/twilio/voice/audio/<id>?exp=&sig=`: `sig` is an HMAC of the id and
the expiry under a key derived from SERVICE_TOKEN_SECRET, so a changed id or expiry, a forged
signature or a passed expiry is refused (403). A clip too large for one document raises
`AudioTooLarge`; the caller then hears `<Say>` instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Any, Protocol

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.domain.errors import Forbidden, NotFound
from convonet.state import get_state_store
from convonet.telephony import twiml

WAV_TYPE = "audio/wav"
CLIPS = "phone_tts_audio"
GCS_PREFIX = "phone-tts/"
# Base64 of this many bytes stays well inside Firestore's 1 MiB document limit (about 35 s
# of 8 kHz PCM16, far longer than one spoken reply).
MAX_CLIP_BYTES = 560_000
_KEY_LABEL = b"convonet phone tts audio url v1"


class AudioTooLarge(ValueError):
    """The clip is too long to keep; speak the reply with `<Say>` instead."""


class AudioStore(Protocol):
    def put(self, wav: bytes, timeout_s: float) -> str:
        """Keep a WAV clip within `timeout_s`; the URL Twilio can GET it from until it expires."""
        ...


class StateAudioStore:
    """Clips in the StateStore, served by twilio_webhook behind an HMAC-signed, expiring URL."""

    def put(self, wav: bytes, timeout_s: float) -> str:
        if len(wav) > MAX_CLIP_BYTES:
            raise AudioTooLarge(f"{len(wav)} bytes is more than {MAX_CLIP_BYTES}")
        ttl = get_settings().tts_audio_ttl_s
        audio_id = uuid.uuid4().hex
        expires = int(get_clock().now().timestamp()) + ttl
        clip = {"wav": base64.b64encode(wav).decode("ascii")}
        get_state_store().set(CLIPS, audio_id, clip, ttl_s=ttl)
        path = f"{twiml.AUDIO_PATH}/{audio_id}"
        return twiml.public(path, exp=str(expires), sig=url_signature(audio_id, expires))


def url_signature(audio_id: str, expires: int) -> str:
    secret = get_settings().secret("service_token_secret").encode()
    key = hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
    return hmac.new(key, f"{audio_id}|{expires}".encode(), hashlib.sha256).hexdigest()


def open_signed_clip(audio_id: str, expires: int, signature: str) -> bytes:
    """The clip a signed URL names: Forbidden when the URL was altered or has expired."""
    if not hmac.compare_digest(signature, url_signature(audio_id, expires)):
        raise Forbidden("The audio link is not valid.", "invalid_signature")
    if expires <= get_clock().now().timestamp():
        raise Forbidden("The audio link has expired.", "link_expired")
    clip = get_state_store().get(CLIPS, audio_id)
    if clip is None:
        raise NotFound("The audio is no longer available.", "audio_not_found")
    return base64.b64decode(clip["wav"])


class GcsAudioStore:
    """Clips as Cloud Storage objects behind V4 signed URLs (the SDK is imported on first use).

    Deployed functions have no private key: their URLs are signed by the IAM signBlob API for
    the function's own service account (it needs Token Creator on itself); credentials that
    can sign (a service-account key) sign locally.
    """

    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket_name = bucket
        self._client = client

    def put(self, wav: bytes, timeout_s: float) -> str:
        """Upload once (no retries: the caller is waiting) and sign a GET for the clip."""
        blob = self._storage().bucket(self.bucket_name).blob(f"{GCS_PREFIX}{uuid.uuid4().hex}.wav")
        blob.upload_from_string(wav, content_type=WAV_TYPE, timeout=timeout_s, retry=None)
        url: str = blob.generate_signed_url(
            version="v4",
            expiration=timedelta(seconds=get_settings().tts_audio_ttl_s),
            method="GET",
            **self._signer(),
        )
        return url

    def _storage(self) -> Any:
        if self._client is None:
            from google.cloud.storage import Client

            self._client = Client(project=get_settings().gcp_project)
        return self._client

    def _signer(self) -> dict[str, str]:
        """Nothing when the credentials sign themselves, else the IAM signBlob route."""
        from google.auth.credentials import Signing

        credentials = self._storage()._credentials
        if isinstance(credentials, Signing):
            return {}
        if not credentials.valid:
            from google.auth.transport.requests import Request

            credentials.refresh(Request())
        return {
            "service_account_email": credentials.service_account_email,
            "access_token": credentials.token,
        }


def get_audio_store() -> AudioStore:
    bucket = get_settings().tts_audio_bucket
    return _gcs_store(bucket) if bucket else StateAudioStore()


@lru_cache(maxsize=4)
def _gcs_store(bucket: str) -> GcsAudioStore:
    """One client per bucket and process: building it looks up credentials."""
    return GcsAudioStore(bucket)
