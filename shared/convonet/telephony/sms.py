"""Texts and reminder calls to people, sent at most once each, never to someone who said STOP.

Opt-outs live in the StateStore (`sms_opt_outs`, keyed by a hash of the number: no phone
numbers in keys): an inbound STOP (or Twilio's own "unsubscribed recipient" error) opts the
number out of every text and reminder call, START opts it back in. Each outgoing message first
claims its key in `sms_sends` with create-if-absent, so a redelivered event or a retried tick
sends nothing twice; a send that fails in a way a retry can fix releases the claim and raises.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Literal

from convonet.clock import get_clock
from convonet.state import get_state_store
from convonet.telephony import twilio_rest, twiml
from convonet.telephony.calls import e164_or_none

log = logging.getLogger(__name__)

OPT_OUTS = "sms_opt_outs"
SENDS = "sms_sends"
SEND_CLAIM_TTL_S = 30 * 24 * 3600.0

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout"})
START_WORDS = frozenset({"start", "unstop", "yes", "optin"})

Delivery = Literal["sent", "duplicate", "opted_out", "not_configured", "undeliverable"]


def inbound(from_raw: str, body: str) -> str:
    """An SMS to our number: STOP and START keywords change the sender's opt-out."""
    phone = e164_or_none(from_raw)
    keyword = body.strip().lower()
    if phone is not None and keyword in STOP_WORDS:
        opt_out(phone)
    elif phone is not None and keyword in START_WORDS:
        opt_in(phone)
    return twiml.empty_message_reply()


def opt_out(phone: str) -> None:
    get_state_store().set(OPT_OUTS, _phone_key(phone), {"opted_out_at": get_clock().now()})


def opt_in(phone: str) -> None:
    get_state_store().delete(OPT_OUTS, _phone_key(phone))


def is_opted_out(phone: str) -> bool:
    return get_state_store().get(OPT_OUTS, _phone_key(phone)) is not None


def send_text(claim: str, to: str, body: str) -> Delivery:
    """Text `to` once for `claim` (e.g. `<event id>:<number>`)."""
    return _deliver(claim, to, lambda: twilio_rest.send_sms(to, body))


def call_and_say(claim: str, to: str, text: str) -> Delivery:
    """Call `to` once for `claim` and speak `text` when they answer."""
    return _deliver(claim, to, lambda: twilio_rest.place_call(to, twiml.say_and_hang_up(text)))


def _deliver(claim: str, to: str, send: Callable[[], str]) -> Delivery:
    if not twilio_rest.is_configured():
        log.info("Twilio is not configured; not sending %s", claim)
        return "not_configured"
    if is_opted_out(to):
        return "opted_out"
    store = get_state_store()
    claim = hashlib.sha256(claim.encode()).hexdigest()
    if not store.create(SENDS, claim, {"state": "sending"}, ttl_s=SEND_CLAIM_TTL_S):
        return "duplicate"
    try:
        sid = send()
    except twilio_rest.TwilioSendError as exc:
        if exc.retryable:
            store.delete(SENDS, claim)
            raise
        if exc.code == twilio_rest.UNSUBSCRIBED:
            opt_out(to)
        log.warning("not delivered (%s): %s", claim, exc)
        store.set(SENDS, claim, {"state": "failed", "code": exc.code}, ttl_s=SEND_CLAIM_TTL_S)
        return "undeliverable"
    except Exception:
        store.delete(SENDS, claim)
        raise
    store.set(SENDS, claim, {"state": "sent", "sid": sid}, ttl_s=SEND_CLAIM_TTL_S)
    return "sent"


def _phone_key(phone: str) -> str:
    return hashlib.sha256(f"sms:{phone}".encode()).hexdigest()
