"""`Idempotency-Key` for POSTs with side effects: the same key returns the first answer.

The key is claimed with a create-if-absent in the StateStore (exactly one concurrent caller
wins, on Firestore and locally); the winner runs the handler and stores its answer; others get
the stored answer, or 409 while the first is still running. A key reused with a different body
is refused. Server errors release the claim so the client can retry. With the StateStore
unreachable the request runs un-deduplicated (a logged warning) rather than failing: an
answer now is worth more than the replay guarantee during an outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import flask

from convonet.http.errors import ApiError

if TYPE_CHECKING:
    from convonet.http.api import ApiRequest, HttpApi

log = logging.getLogger(__name__)

COLLECTION = "idempotency_keys"
_KEY = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


def run_idempotent(
    api: HttpApi, request: ApiRequest, run: Callable[[], flask.Response]
) -> flask.Response:
    from convonet.config import get_settings
    from convonet.state import StateStoreError, get_state_store

    key = request.raw.headers.get("Idempotency-Key", "")
    if not _KEY.match(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1-200 characters of letters, digits and . _ : -",
        )
    store = get_state_store()
    doc_key = _scoped_key(api.name, request, key)
    fingerprint = hashlib.sha256(request.raw.get_data(cache=True)).hexdigest()
    ttl = get_settings().idempotency_ttl_s
    try:
        claimed = store.create(
            COLLECTION, doc_key, {"state": "running", "fingerprint": fingerprint}, ttl_s=ttl
        )
    except StateStoreError as exc:
        log.warning("Idempotency-Key not enforced, the state store is unavailable: %s", exc)
        return run()
    if claimed:
        try:
            response = run()
        except ApiError as exc:
            if exc.status >= 500:
                store.delete(COLLECTION, doc_key)
                raise
            _store_answer(doc_key, fingerprint, exc.status, exc.body(), exc.headers, ttl)
            raise
        except Exception:
            store.delete(COLLECTION, doc_key)
            raise
        if response.status_code >= 500:
            store.delete(COLLECTION, doc_key)
        else:
            body = json.loads(response.get_data() or b"null")
            _store_answer(doc_key, fingerprint, response.status_code, body, {}, ttl)
        return response
    return _replay(store.get(COLLECTION, doc_key), fingerprint)


def _scoped_key(api_name: str, request: ApiRequest, key: str) -> str:
    """Keys are per caller and per endpoint, so two users never collide on one key."""
    caller = hashlib.sha256(request.raw.headers.get("Authorization", "").encode()).hexdigest()[:16]
    return hashlib.sha256(
        f"{api_name}|{request.route.endpoint}|{caller}|{key}".encode()
    ).hexdigest()


def _store_answer(
    doc_key: str, fingerprint: str, status: int, body: object, headers: dict[str, str], ttl: int
) -> None:
    from convonet.state import get_state_store

    get_state_store().set(
        COLLECTION,
        doc_key,
        {
            "state": "done",
            "fingerprint": fingerprint,
            "status": status,
            "body": body,
            "headers": headers,
        },
        ttl_s=ttl,
    )


def _replay(doc: dict[str, object] | None, fingerprint: str) -> flask.Response:
    from convonet.http.api import json_response

    if doc is None or doc.get("state") != "done":
        raise ApiError(
            409, "idempotency_in_progress", "A request with this Idempotency-Key is still running."
        )
    if doc.get("fingerprint") != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request body.",
        )
    headers = dict(doc.get("headers") or {})  # type: ignore[call-overload]
    headers["Idempotent-Replayed"] = "true"
    status = int(doc["status"])  # type: ignore[call-overload]
    if status == 204:
        return flask.Response(status=204, headers=headers)
    return json_response(doc.get("body"), status, headers)
