"""PHONE_TTS=play: replies synthesised by the offline TTS and answered with `<Play>` of a signed,
expiring URL that twilio_webhook serves as 8 kHz WAV; altered or expired links are refused; a
voice that fails falls back to `<Say>`. The Cloud Storage adapter uploads to a loopback GCS
and signs a V4 URL whose RSA signature is checked here.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from convonet.agent import turn as turn_module
from convonet.clock import FakeClock
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.speech import reset_engines
from convonet.telephony.audio_store import (
    MAX_CLIP_BYTES,
    AudioTooLarge,
    GcsAudioStore,
    StateAudioStore,
    get_audio_store,
    url_signature,
)
from convonet.telephony.simulator import CallSimulator
from convonet.voice.audio import read_wav, rms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fixtures.twilio import PUBLIC, Caller

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_PHONE = "+14155550101"
GREETING = "Hi Ana, this is Convonet. How can I help you today?"


@pytest.fixture(autouse=True)
def play(configure: Callable[..., Any]) -> Iterator[None]:
    configure(PHONE_TTS="play", TTS_PROVIDER="offline")
    reset_engines()
    yield
    reset_engines()


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller("ana", phone=ANA_PHONE, pin="2468")


def fetch(http: httpx.Client, url: str) -> httpx.Response:
    assert url.startswith(PUBLIC + "/twilio/voice/audio/"), url
    return http.get(url.removeprefix(PUBLIC))


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.scheme}://{parts.netloc}{parts.path}?" + "&".join(
        f"{k}={v}" for k, v in query.items()
    )


def test_greeting_and_answers_are_played_in_the_configured_voice(
    make_call: Callable[..., CallSimulator],
    phone_http: httpx.Client,
    ana: Caller,
    model: ScriptedChatModel,
) -> None:
    call = make_call(ANA_PHONE)
    greeting = call.start()
    assert greeting.says == [] and len(greeting.plays) == 1
    gather = greeting.gather
    assert gather is not None and gather.find("Play") is not None, "played while listening"

    audio = fetch(phone_http, greeting.plays[0])
    assert audio.status_code == 200
    assert audio.headers["content-type"] in ("audio/wav", "audio/x-wav")
    pcm, rate = read_wav(audio.content)
    assert rate == 8000
    assert len(pcm) / 2 / rate > 1.0, "a whole sentence, not a blip"
    assert rms(pcm) > 500, "speech, not silence"

    model.responses = [say("Your table for 4 is booked at 7:30 pm.")]
    answer = call.say("Book a table for four at seven thirty")
    assert answer.says == [] and len(answer.plays) == 1
    assert answer.plays[0] != greeting.plays[0]
    reply, _ = read_wav(fetch(phone_http, answer.plays[0]).content)
    assert rms(reply) > 500


def test_a_retried_webhook_plays_the_same_clip(
    make_call: Callable[..., CallSimulator], ana: Caller
) -> None:
    call = make_call(ANA_PHONE)
    first = call.start()
    again = call.retry()
    assert again.plays == first.plays


def test_altered_or_expired_links_are_refused(
    make_call: Callable[..., CallSimulator],
    phone_http: httpx.Client,
    ana: Caller,
    clock: FakeClock,
    configure: Callable[..., Any],
) -> None:
    configure(TTS_AUDIO_TTL_S=60)
    url = make_call(ANA_PHONE).start().plays[0]
    exp = parse_qs(urlsplit(url).query)["exp"][0]
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    audio_id = urlsplit(url).path.rsplit("/", 1)[1]
    refused = {
        "tampered signature": with_query(url, sig=("0" if sig[0] != "0" else "1") + sig[1:]),
        "later expiry": with_query(url, exp=str(int(exp) + 3600)),
        "another clip": url.replace(audio_id, "f" * 32),
    }
    for name, link in refused.items():
        response = fetch(phone_http, link)
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "invalid_signature", name

    assert fetch(phone_http, url).status_code == 200
    clock.advance(61)
    expired = fetch(phone_http, url)
    assert expired.status_code == 403
    assert expired.json()["error"]["code"] == "link_expired"


def test_malformed_links_and_unknown_clips(
    make_call: Callable[..., CallSimulator], phone_http: httpx.Client, ana: Caller, clock: FakeClock
) -> None:
    url = make_call(ANA_PHONE).start().plays[0]
    path = urlsplit(url).path
    for query in (
        "",
        "?exp=1",
        "?exp=soon&sig=" + "0" * 64,
        "?exp=1&sig=xyz",
        "?exp=-1&sig=" + "0" * 64,
    ):
        response = phone_http.get(path + query)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_error"
    assert phone_http.post(path, data={"x": "1"}).status_code == 405

    expires = int(clock.now().timestamp()) + 60
    gone = f"/twilio/voice/audio/{'a' * 32}?exp={expires}&sig={url_signature('a' * 32, expires)}"
    missing = phone_http.get(gone)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "audio_not_found"


def test_a_voice_that_fails_falls_back_to_say(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., Any]
) -> None:
    configure(TTS_PROVIDER="no-such-voice")
    greeting = make_call(ANA_PHONE).start()
    assert greeting.plays == []
    assert greeting.spoken == GREETING


def test_say_stays_the_default(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., Any]
) -> None:
    configure(PHONE_TTS="say")
    greeting = make_call(ANA_PHONE).start()
    assert (greeting.plays, greeting.spoken) == ([], GREETING)


def test_stream_mode_greets_with_the_same_voice(
    make_call: Callable[..., CallSimulator], ana: Caller, configure: Callable[..., Any]
) -> None:
    configure(TWILIO_MODE="stream")
    handed = make_call(ANA_PHONE).start()
    assert len(handed.plays) == 1 and handed.stream is not None


def test_a_clip_too_long_to_keep_is_refused() -> None:
    with pytest.raises(AudioTooLarge):
        StateAudioStore().put(b"\0" * (MAX_CLIP_BYTES + 1), 1.0)


# Cloud Storage ------------------------------------------------------------------------------

OBJECT_INSERTED = {
    "kind": "storage#object",
    "id": "convonet-tts/phone-tts/clip.wav/1767632400000000",
    "selfLink": "https://www.googleapis.com/storage/v1/b/convonet-tts/o/phone-tts%2Fclip.wav",
    "name": "phone-tts/clip.wav",
    "bucket": "convonet-tts",
    "generation": "1767632400000000",
    "metageneration": "1",
    "contentType": "audio/wav",
    "storageClass": "STANDARD",
    "size": "44",
    "md5Hash": "1B2M2Y8AsgTpgAmY7PhCfg==",
    "crc32c": "AAAAAA==",
    "etag": "CICw4NqG7ZEDEAE=",
    "timeCreated": "2026-01-05T17:00:00.000Z",
    "updated": "2026-01-05T17:00:00.000Z",
    "timeStorageClassUpdated": "2026-01-05T17:00:00.000Z",
}


@pytest.fixture
def loopback_gcs() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A loopback Cloud Storage JSON API answering uploads with a recorded object resource."""
    uploads: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            uploads.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps(OBJECT_INSERTED).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", uploads
    httpd.shutdown()
    httpd.server_close()


def test_cloud_storage_clips_get_a_v4_signed_url(
    loopback_gcs: tuple[str, list[tuple[str, bytes]]], configure: Callable[..., Any]
) -> None:
    from google.cloud.storage import Client
    from google.oauth2 import service_account

    configure(TTS_AUDIO_TTL_S=300)
    endpoint, uploads = loopback_gcs
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    email = "twilio-webhook@convonet-test.iam.gserviceaccount.com"
    credentials = service_account.Credentials.from_service_account_info(
        {"client_email": email, "private_key": pem, "token_uri": endpoint + "/token"},
        scopes=list(Client.SCOPE),
    )
    credentials.token = "ya29.loopback"
    client = Client(
        project="convonet-test", credentials=credentials, client_options={"api_endpoint": endpoint}
    )
    wav = b"RIFF$\0\0\0WAVEfmt " + b"\0" * 28

    url = GcsAudioStore("convonet-tts", client).put(wav, 2.0)

    [(upload_path, upload_body)] = uploads
    assert upload_path == "/upload/storage/v1/b/convonet-tts/o?uploadType=multipart"
    assert wav in upload_body and b"audio/wav" in upload_body
    parts = urlsplit(url)
    assert parts.path.startswith("/convonet-tts/phone-tts/") and parts.path.endswith(".wav")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert query["X-Goog-Expires"] == "300"
    assert query["X-Goog-Credential"].startswith(email + "/")
    assert query["X-Goog-SignedHeaders"] == "host"
    _check_v4_signature(url, key.public_key())


def _check_v4_signature(url: str, public_key: rsa.RSAPublicKey) -> None:
    """Recompute the V4 string-to-sign from the URL and verify its RSA signature."""
    parts = urlsplit(url)
    signed_query, signature = parts.query.split("&X-Goog-Signature=")
    query = {k: v[0] for k, v in parse_qs(signed_query).items()}
    canonical = "\n".join(
        [
            "GET",
            parts.path,
            signed_query,
            f"host:{parts.netloc}\n",
            "host",
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            query["X-Goog-Date"],
            scope,
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    public_key.verify(
        bytes.fromhex(signature), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_the_bucket_setting_chooses_cloud_storage(configure: Callable[..., Any]) -> None:
    assert isinstance(get_audio_store(), StateAudioStore)
    configure(TTS_AUDIO_BUCKET="convonet-tts")
    store = get_audio_store()
    assert isinstance(store, GcsAudioStore) and store.bucket_name == "convonet-tts"
    assert get_audio_store() is store, "one client per bucket and process"
