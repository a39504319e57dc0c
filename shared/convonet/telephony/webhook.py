"""What every Twilio webhook handler shares: the signature check, replay, and the budget.

`answer_twilio` refuses anything not signed by Twilio for our public URL (403), then claims
the request with a StateStore create-if-absent (like convonet.http.idempotency). The key is
Twilio's `I-Twilio-Idempotency-Token` when sent, else the signed URL and form themselves (the
TwiML's `t` nonces make two turns with the same words two requests). The winner runs the
handler and stores its TwiML; a retry of the same request gets that TwiML and runs nothing.
A handler that fails (or a first run that never finishes) still answers with the fallback
TwiML: the caller hears an apology, never silence and never an error page.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import flask

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.http import ApiError
from convonet.state import get_state_store
from convonet.telephony.signature import is_signed_by_twilio

log = logging.getLogger(__name__)

REPLIES = "twilio_replies"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# What our own answer still needs after the handler's work (write the reply, send it).
_RESERVE_S = 0.5
_WAIT_STEP_S = 0.05


@dataclass
class Budget:
    """WEBHOOK_BUDGET_S from the moment the request arrived, on the injectable clock."""

    seconds: float
    started: float = field(default_factory=lambda: get_clock().monotonic())

    def remaining(self) -> float:
        spent = get_clock().monotonic() - self.started
        return max(0.0, self.seconds - spent - min(_RESERVE_S, self.seconds / 4))


def twiml_response(xml: str, *, replayed: bool = False) -> flask.Response:
    response = flask.Response(xml, status=200, mimetype="text/xml")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def answer_twilio(
    request: flask.Request, handle: Callable[[Budget], str], *, fallback: Callable[[], str]
) -> flask.Response:
    """Verify, deduplicate and answer one Twilio webhook within WEBHOOK_BUDGET_S."""
    if not is_signed_by_twilio(request):
        raise ApiError(403, "invalid_signature", "The request is not signed by Twilio.")
    settings = get_settings()
    budget = Budget(settings.webhook_budget_s)
    store = get_state_store()
    key = replay_key(request)
    if not store.create(REPLIES, key, {"state": "running"}, ttl_s=settings.idempotency_ttl_s):
        return _replay(key, budget, fallback)
    try:
        xml = handle(budget)
    except Exception:
        log.exception("Twilio webhook %s failed", request.path)
        store.delete(REPLIES, key)
        return twiml_response(fallback())
    store.set(REPLIES, key, {"state": "done", "twiml": xml}, ttl_s=settings.idempotency_ttl_s)
    return twiml_response(xml)


def replay_key(request: flask.Request) -> str:
    token = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if token:
        basis = f"{request.path}|token|{token}"
    else:
        form = sorted(request.form.items(multi=True))
        basis = f"{request.path}|{request.query_string.decode('latin-1')}|{form!r}"
    return hashlib.sha256(basis.encode()).hexdigest()


def _replay(key: str, budget: Budget, fallback: Callable[[], str]) -> flask.Response:
    """The first answer; while the first run is still working, wait for it within budget."""
    waited, limit = 0.0, budget.remaining()
    pause = threading.Event()
    while True:
        doc = get_state_store().get(REPLIES, key)
        if doc is not None and doc.get("state") == "done":
            return twiml_response(str(doc["twiml"]), replayed=True)
        if doc is None or waited >= limit:
            return twiml_response(fallback())
        pause.wait(_WAIT_STEP_S)
        waited += _WAIT_STEP_S
