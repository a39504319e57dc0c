"""The StateStore port: fast per-conversation and operational state.

Production runs on Firestore, local runs on SQLite; one contract suite runs against both.
Documents are JSON-like dicts (str, int, float, bool, None, list, dict, tz-aware datetime).
A document written with `ttl_s` carries an expiry time and reads treat it as absent once that
time has passed (Firestore's TTL policy deletes it later; the local adapter purges it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

Document = dict[str, Any]
Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "array_contains"]
Filter = tuple[str, Operator, Any]

EXPIRES_FIELD = "_expires_at"


class StateStoreError(RuntimeError):
    """The state store could not complete an operation (unavailable, contention)."""


class StateStore(Protocol):
    def get(self, collection: str, key: str) -> Document | None:
        """The document, or None when absent or expired."""

    def set(self, collection: str, key: str, data: Document, *, ttl_s: float | None = None) -> None:
        """Replace the whole document."""

    def create(
        self, collection: str, key: str, data: Document, *, ttl_s: float | None = None
    ) -> bool:
        """Create the document if absent (or expired). True for exactly one concurrent caller."""

    def merge(self, collection: str, key: str, data: Document) -> None:
        """Shallow-merge fields into the document, creating it when absent."""

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
        """Atomically add `amount` to a numeric field (created at 0) and return the new value.

        `ttl_s` sets the expiry only when the document is created, so a counter window
        starts at its first increment.
        """

    def transact(
        self, collection: str, key: str, update: Callable[[Document | None], Document | None]
    ) -> Document | None:
        """Read-modify-write in one transaction: `update` gets the current document (or None)
        and returns the new one (None deletes). Retried on contention; returns what was written.
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
