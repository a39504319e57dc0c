"""The StateStore port: fast per-conversation and operational state.

Production runs on Firestore, local runs on SQLite; one contract suite
(tests/integration/test_state_contract.py) runs against both, so these rules hold on both:

- Documents are dicts with string field names and str, int, float, bool, None, list, dict or
  timezone-aware datetime values. Naive datetimes are refused; datetimes come back as the same
  instant in UTC (microsecond precision).
- Keys are any non-empty string ('/' included); collections are non-empty and have no '/'.
- A document written with `ttl_s` gets `_expires_at` (a UTC datetime, visible in reads) and
  reads as absent from that instant on, for every method, by the injectable clock. Firestore's
  TTL policy on `_expires_at` deletes it later; the local adapter purges it. Writing
  `_expires_at` yourself (e.g. from `transact`) sets the expiry the same way.
- Queries match Firestore: a document lacking a filtered or ordered field never matches, `!=`
  also skips nulls, range filters only match values of the operand's type. Without `order_by`
  rows come ordered by any inequality field, then by key. On Firestore, combining filters
  and ordering on different fields needs a composite index, and `in` takes at most 30 values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

Document = dict[str, Any]
Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "array_contains"]
Filter = tuple[str, Operator, Any]

EXPIRES_FIELD = "_expires_at"


class StateStoreError(RuntimeError):
    """The state store could not complete an operation (unavailable, contention)."""


class StateStore(Protocol):
    reads_block: bool
    """Whether a read waits on the network (Firestore). Async code then reads on a worker
    thread (`read_off_loop`), so one read never stalls every session the event loop serves;
    the embedded store's read, tens of microseconds from its page cache, costs less than the
    hop to a thread and stays inline."""

    def get(self, collection: str, key: str) -> Document | None:
        """The document, or None when absent or expired."""

    def set(self, collection: str, key: str, data: Document, *, ttl_s: float | None = None) -> None:
        """Replace the whole document."""

    def create(
        self, collection: str, key: str, data: Document, *, ttl_s: float | None = None
    ) -> bool:
        """Create the document if absent (or expired). True for exactly one concurrent caller,
        so it is the primitive for idempotency keys, ledger entries and locks."""

    def merge(self, collection: str, key: str, data: Document) -> None:
        """Shallow-merge fields into the document, creating it when absent: a dict value
        replaces the stored field whole. A live expiry is kept."""

    def delete(self, collection: str, key: str) -> None:
        """Remove the document; absent is fine."""

    def increment(
        self,
        collection: str,
        key: str,
        field: str,
        amount: int | float = 1,
        *,
        ttl_s: float | None = None,
    ) -> int | float:
        """Atomically add `amount` to a numeric field and return the new value: `increment_many`
        with one field."""

    def increment_many(
        self,
        collection: str,
        key: str,
        amounts: Mapping[str, int | float],
        *,
        ttl_s: float | None = None,
    ) -> dict[str, int | float]:
        """Atomically add each amount to its numeric field (created at 0), all in one write,
        and return the new value of each field.

        One write keeps related counters consistent with one another and costs one write
        (one Firestore commit) instead of one per field. `ttl_s` sets the expiry only when the
        document is created, so a counter window starts at its first increment. A missing or
        non-numeric field counts as 0; a result is an int when the stored value and its amount
        are ints. An empty `amounts` is refused (ValueError).
        """

    def transact(
        self, collection: str, key: str, update: Callable[[Document | None], Document | None]
    ) -> Document | None:
        """Read-modify-write in one transaction: `update` gets the current document (or None)
        and returns the new one (None deletes). Retried on contention, so `update` may run more
        than once and must not call the store itself; returns what was written. Prefer
        `increment`, `increment_many` and `create`, which stay atomic on the Firestore emulator
        too.
        """

    def query(
        self,
        collection: str,
        *,
        where: Sequence[Filter] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[tuple[str, Document]]:
        """(key, document) pairs matching every filter, ordered and limited; no expired ones."""
