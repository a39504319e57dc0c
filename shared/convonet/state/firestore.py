"""Firestore StateStore: production operational state (google-cloud-firestore).

The SDK is imported when the first client is built, so importing convonet.state stays cheap
for functions that never touch Firestore.

Naming:
- A namespace prefixes collection ids: `<namespace>.<collection>`.
- Keys become document ids by percent-encoding '%' and '/' (plus '.' in the ids '.' and '..',
  and the first '_' of a `__x__` id, both reserved by Firestore); plain keys are stored as they
  are. `decode_key` reverses it, so query() returns the caller's keys.

Atomicity rests on what Firestore enforces everywhere, the emulator included: `create()` for
create-if-absent and `Increment` transforms for counters (several fields in one write).
Transactions serve only the rare paths that need a read (an expired document to replace, and
`transact`).

Every RPC is bounded by `timeout_s` (retries included) and its failures surface as
StateStoreError, so a caller on the voice path never waits on the SDK's 60-300 s defaults.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from convonet.clock import get_clock
from convonet.state.base import EXPIRES_FIELD, Document, Filter, StateStoreError

if TYPE_CHECKING:
    from google.api_core.retry import Retry
    from google.cloud.firestore import Client, DocumentReference, DocumentSnapshot, Transaction

_MAX_ID_BYTES = 1500
_RESERVED_ID = re.compile(r"__.*__", re.DOTALL)


def encode_key(key: str) -> str:
    """The Firestore document id for a key (reversible; plain keys are unchanged)."""
    if not isinstance(key, str) or not key:
        raise ValueError("document key must be a non-empty string")
    doc_id = key.replace("%", "%25").replace("/", "%2F")
    if doc_id in (".", ".."):
        doc_id = doc_id.replace(".", "%2E")
    elif _RESERVED_ID.fullmatch(doc_id):
        doc_id = "%5F" + doc_id[1:]
    if len(doc_id.encode()) > _MAX_ID_BYTES:
        raise ValueError(f"document key too long for Firestore ({_MAX_ID_BYTES} bytes encoded)")
    return doc_id


def decode_key(doc_id: str) -> str:
    """The key a document id was encoded from: every '%' in an id starts an escape."""
    return re.sub(r"%([0-9A-F]{2})", lambda match: chr(int(match[1], 16)), doc_id)


class _UpdateFailed(Exception):
    """Carries an exception raised by a transact() callback through the SDK's retry loop."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class FirestoreStateStore:
    """StateStore on Cloud Firestore (or the emulator named by FIRESTORE_EMULATOR_HOST)."""

    reads_block = True

    def __init__(
        self,
        *,
        project: str | None = None,
        database: str = "(default)",
        namespace: str = "",
        timeout_s: float = 10.0,
    ) -> None:
        self._project = project
        self._database = database
        self._prefix = f"{namespace}." if namespace else ""
        self._timeout_s = timeout_s
        self._client_lock = threading.Lock()
        self._client_instance: Client | None = None
        self._retry_policy: Retry | None = None

    # -- port ------------------------------------------------------------------------------

    def get(self, collection: str, key: str) -> Document | None:
        ref = self._ref(collection, key)
        with self._errors("get"):
            return _live_document(ref.get(**self._rpc()))

    def set(self, collection: str, key: str, data: Document, *, ttl_s: float | None = None) -> None:
        ref = self._ref(collection, key)
        document = _to_firestore(_with_ttl(data, ttl_s))
        with self._errors("set"):
            ref.set(document, **self._rpc())

    def create(
        self, collection: str, key: str, data: Document, *, ttl_s: float | None = None
    ) -> bool:
        from google.api_core.exceptions import AlreadyExists

        ref = self._ref(collection, key)
        document = _to_firestore(_with_ttl(data, ttl_s))
        with self._errors("create"):
            try:
                ref.create(document, **self._rpc())
                return True
            except AlreadyExists:
                return self._replace_unless_live(ref, document)

    def merge(self, collection: str, key: str, data: Document) -> None:
        from google.cloud.firestore_v1.field_path import FieldPath

        ref = self._ref(collection, key)
        document = _to_firestore(data)
        with self._errors("merge"):
            snapshot = ref.get(**self._rpc())
            if (
                snapshot.exists
                and _is_expired(snapshot)
                and self._replace_unless_live(ref, document)
            ):
                return
            # Naming the top-level fields makes the merge shallow, as the port promises
            # (merge=True would merge nested maps). The SDK's hint says bool; paths are valid.
            fields = [FieldPath(name) for name in document] or True
            ref.set(document, merge=fields, **self._rpc())  # type: ignore[arg-type]

    def delete(self, collection: str, key: str) -> None:
        ref = self._ref(collection, key)
        with self._errors("delete"):
            ref.delete(**self._rpc())

    def increment(
        self,
        collection: str,
        key: str,
        field: str,
        amount: int | float = 1,
        *,
        ttl_s: float | None = None,
    ) -> int | float:
        return self.increment_many(collection, key, {field: amount}, ttl_s=ttl_s)[field]

    def increment_many(
        self,
        collection: str,
        key: str,
        amounts: Mapping[str, int | float],
        *,
        ttl_s: float | None = None,
    ) -> dict[str, int | float]:
        """One `Increment` per field in one set(merge=True). The new values come from the
        commit's transform results (production Firestore fills them, one per transform, and the
        SDK sends the transforms sorted by field name); the npm emulator leaves them empty, so
        there they are read back after the write and may already include concurrent increments."""
        from google.api_core.exceptions import AlreadyExists
        from google.cloud.firestore import Increment

        if not amounts:
            raise ValueError("increment_many needs at least one field")
        ref = self._ref(collection, key)
        with self._errors("increment"):
            snapshot = ref.get(**self._rpc())
            if not snapshot.exists or _is_expired(snapshot):
                initial = _with_ttl(dict(amounts), ttl_s)
                if snapshot.exists:
                    if self._replace_unless_live(ref, initial):
                        return dict(amounts)
                elif ttl_s is not None:
                    try:
                        ref.create(initial, **self._rpc())
                        return dict(amounts)
                    except AlreadyExists:
                        pass
            transforms = {field: Increment(amount) for field, amount in amounts.items()}
            result = ref.set(transforms, merge=True, **self._rpc())
            if result.transform_results:
                return {
                    field: _increment_result(value, self._client)
                    for field, value in zip(sorted(amounts), result.transform_results, strict=True)
                }
            stored = ref.get(**self._rpc()).to_dict() or {}
            return {field: stored[field] for field in amounts}

    def transact(
        self, collection: str, key: str, update: Callable[[Document | None], Document | None]
    ) -> Document | None:
        from google.cloud import firestore

        ref = self._ref(collection, key)

        @firestore.transactional
        def read_modify_write(transaction: Transaction) -> Document | None:
            snapshot = ref.get(transaction=transaction, **self._rpc())
            try:
                new = update(_live_document(snapshot))
            except Exception as exc:
                raise _UpdateFailed(exc) from exc
            if new is None:
                transaction.delete(ref)
            else:
                transaction.set(ref, _to_firestore(new))
            return new

        failure: Exception
        try:
            with self._errors("transaction"):
                result: Document | None = read_modify_write(self._client.transaction())
                return result
        except _UpdateFailed as failed:
            failure = failed.error
        raise failure  # outside the handler, so the caller's exception is left as it was

    def query(
        self,
        collection: str,
        *,
        where: Sequence[Filter] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[tuple[str, Document]]:
        """Filters and order run on the server; expired documents are dropped here, so with a
        limit the query is re-run with a doubled limit until enough live documents come back
        (the emulator ignores cursors, and a re-run is rare: TTL deletes expired documents)."""
        from google.cloud.firestore import FieldFilter, Query

        query: Any = self._client.collection(self._collection(collection))
        for field, op, value in where:
            query = query.where(filter=FieldFilter(field, op, _to_firestore(value)))
        if order_by is not None:
            query = query.order_by(
                order_by, direction=Query.DESCENDING if descending else Query.ASCENDING
            )
        if limit == 0:
            return []
        batch = limit
        with self._errors("query"):
            while True:
                snapshots = list(
                    (query.limit(batch) if batch is not None else query).stream(**self._rpc())
                )
                rows = [
                    (decode_key(snapshot.id), _from_firestore(snapshot.to_dict()))
                    for snapshot in snapshots
                    if not _is_expired(snapshot)
                ]
                if batch is None or limit is None or len(snapshots) < batch or len(rows) >= limit:
                    return rows[:limit]
                batch *= 2

    def close(self) -> None:
        """Close the gRPC channel (tests and short-lived scripts)."""
        with self._client_lock:
            if self._client_instance is not None:
                self._client_instance.close()
                self._client_instance = None

    # -- internals -------------------------------------------------------------------------

    @property
    def _client(self) -> Client:
        with self._client_lock:
            if self._client_instance is None:
                self._client_instance = self._build_client()
            return self._client_instance

    def _build_client(self) -> Client:
        from google.api_core.exceptions import ResourceExhausted, ServiceUnavailable
        from google.api_core.retry import Retry, if_exception_type
        from google.cloud import firestore

        self._retry_policy = Retry(
            predicate=if_exception_type(ServiceUnavailable, ResourceExhausted),
            initial=0.05,
            maximum=1.0,
            timeout=self._timeout_s,
        )
        client = firestore.Client(project=self._project, database=self._database)
        # Transactions call these RPCs without a retry or timeout argument, so they would
        # retry for the GAPIC default of 60 s; bind them to ours instead.
        api = client._firestore_api
        for name in ("begin_transaction", "commit", "rollback"):
            method = getattr(api, name)
            setattr(api, name, functools.partial(method, **self._rpc()))
        return client

    def _rpc(self) -> dict[str, Any]:
        return {"retry": self._retry_policy, "timeout": self._timeout_s}

    def _collection(self, collection: str) -> str:
        name = self._prefix + collection
        if not collection or "/" in collection or _RESERVED_ID.fullmatch(name):
            raise ValueError(f"invalid collection name {collection!r}")
        return name

    def _ref(self, collection: str, key: str) -> DocumentReference:
        return self._client.collection(self._collection(collection)).document(encode_key(key))

    def _replace_unless_live(self, ref: DocumentReference, document: Document) -> bool:
        """Write `document` if the stored one is absent or expired, checked in a transaction
        so a document that came alive meanwhile is never overwritten."""
        from google.cloud import firestore

        @firestore.transactional
        def replace(transaction: Transaction) -> bool:
            if _is_live(ref.get(transaction=transaction, **self._rpc())):
                return False
            transaction.set(ref, document)
            return True

        written: bool = replace(self._client.transaction())
        return written

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from google.api_core.exceptions import GoogleAPICallError, RetryError

        try:
            yield
        except (GoogleAPICallError, RetryError) as exc:
            raise StateStoreError(f"Firestore {action} failed: {exc}") from exc
        except ValueError as exc:
            # The SDK's transaction runner reports exhausted retries, and a rollback after a
            # failed begin, as ValueError chained to the RPC error.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, GoogleAPICallError | RetryError):
                raise StateStoreError(f"Firestore {action} failed: {cause}") from exc
            raise


def _with_ttl(data: Document, ttl_s: float | None) -> Document:
    if ttl_s is None:
        return data
    return {**data, EXPIRES_FIELD: get_clock().now() + timedelta(seconds=ttl_s)}


def _is_expired(snapshot: DocumentSnapshot) -> bool:
    expires = (snapshot.to_dict() or {}).get(EXPIRES_FIELD)
    return isinstance(expires, datetime) and expires <= get_clock().now()


def _is_live(snapshot: DocumentSnapshot) -> bool:
    return bool(snapshot.exists) and not _is_expired(snapshot)


def _live_document(snapshot: DocumentSnapshot) -> Document | None:
    if not _is_live(snapshot):
        return None
    document: Document = _from_firestore(snapshot.to_dict())
    return document


def _increment_result(value: Any, client: Client) -> int | float:
    """The new value from a commit's transform result (a protobuf Value)."""
    from google.cloud.firestore_v1._helpers import decode_value

    result = decode_value(value, client)
    if isinstance(result, bool) or not isinstance(result, int | float):
        raise StateStoreError(f"Firestore returned a non-numeric increment result {result!r}")
    return result


def _to_firestore(value: Any) -> Any:
    """Refuse what Firestore would store differently from the local adapter."""
    if isinstance(value, datetime) and value.tzinfo is None:
        raise TypeError("datetimes stored in the state store must be timezone-aware")
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                raise TypeError(f"field names must be strings, got {name!r}")
        return {name: _to_firestore(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        if any(isinstance(item, list | tuple) for item in value):
            raise TypeError("Firestore cannot store an array directly inside an array")
        return [_to_firestore(item) for item in value]
    return value


def _from_firestore(value: Any) -> Any:
    """Plain Python values: the SDK's DatetimeWithNanoseconds becomes a UTC datetime."""
    if isinstance(value, datetime):
        return datetime(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=UTC,
        )
    if isinstance(value, dict):
        return {name: _from_firestore(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_from_firestore(item) for item in value]
    return value
