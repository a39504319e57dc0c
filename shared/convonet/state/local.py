"""SQLite-backed StateStore: the embedded default for local runs and tests.

One table holds every collection. Documents are JSON with datetimes type-tagged, so they
round-trip exactly. Each thread (and each process) gets its own connection to the shared file;
WAL lets readers run beside a writer, `busy_timeout` makes writers in other processes wait,
and read-modify-write operations run in `BEGIN IMMEDIATE` so concurrent callers serialise.
Queries are evaluated in Python with Firestore's semantics, so code tested here behaves the
same on Firestore.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from convonet.clock import get_clock
from convonet.state.base import EXPIRES_FIELD, Document, Filter, StateStoreError

_TAG = "$t"
_PURGE_EVERY_WRITES = 200
_INEQUALITIES = frozenset({"<", "<=", ">", ">=", "!="})
_OPERATORS = _INEQUALITIES | {"==", "in", "array_contains"}
_LOCKED_RETRY_S = 0.01
# Each thread's connection keeps its own page cache (SQLite's default is 2 MB). Every commit
# by another connection empties it in WAL mode, so a big one buys little, while the worker
# threads a gateway writes from each fill theirs: a 1,000-session soak grew RSS 1.5 MB over
# its first 350 sessions with the default, and stays flat with this.
_PAGE_CACHE_KIB = 256

# One lock per database file, so threads of one process queue on it instead of polling
# SQLite's busy handler; other processes still serialise through SQLite's own lock.
_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at REAL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_expires_at ON documents (expires_at)
    WHERE expires_at IS NOT NULL;
"""


class LocalStateStore:
    """StateStore on a SQLite file; `namespace` isolates environments sharing one file."""

    reads_block = False

    def __init__(
        self, path: str | os.PathLike[str], *, namespace: str = "", busy_timeout_s: float = 30.0
    ) -> None:
        self._path = str(Path(path).resolve())
        self._prefix = f"{namespace}." if namespace else ""
        self._busy_timeout_ms = int(busy_timeout_s * 1000)
        self._local = threading.local()
        self._writes = 0
        with _write_locks_guard:
            self._write_lock = _write_locks.setdefault(self._path, threading.Lock())
        Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            conn = self._conn()
            self._while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            self._while_locked(lambda: conn.executescript(_SCHEMA))

    # -- port ------------------------------------------------------------------------------

    def get(self, collection: str, key: str) -> Document | None:
        row = (
            self._conn()
            .execute(
                "SELECT data FROM documents WHERE collection = ? AND key = ?"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (self._collection(collection), _check_key(key), _now_ts()),
            )
            .fetchone()
        )
        return _decode_document(row[0]) if row else None

    def set(self, collection: str, key: str, data: Document, *, ttl_s: float | None = None) -> None:
        document = _with_ttl(data, ttl_s)
        with self._write() as conn:
            self._put(conn, self._collection(collection), _check_key(key), document)

    def create(
        self, collection: str, key: str, data: Document, *, ttl_s: float | None = None
    ) -> bool:
        name, key = self._collection(collection), _check_key(key)
        document = _with_ttl(data, ttl_s)
        with self._write() as conn:
            if self._read_live(conn, name, key) is not None:
                return False
            self._put(conn, name, key, document)
            return True

    def merge(self, collection: str, key: str, data: Document) -> None:
        name, key = self._collection(collection), _check_key(key)
        with self._write() as conn:
            current = self._read_live(conn, name, key) or {}
            self._put(conn, name, key, {**current, **data})

    def delete(self, collection: str, key: str) -> None:
        with self._write() as conn:
            conn.execute(
                "DELETE FROM documents WHERE collection = ? AND key = ?",
                (self._collection(collection), _check_key(key)),
            )

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
        name, key = self._collection(collection), _check_key(key)
        if not amounts:
            raise ValueError("increment_many needs at least one field")
        with self._write() as conn:
            current = self._read_live(conn, name, key)
            added = {field: _add((current or {}).get(field), n) for field, n in amounts.items()}
            document = _with_ttl(added, ttl_s) if current is None else {**current, **added}
            self._put(conn, name, key, document)
            return added

    def transact(
        self, collection: str, key: str, update: Callable[[Document | None], Document | None]
    ) -> Document | None:
        name, key = self._collection(collection), _check_key(key)
        with self._write() as conn:
            new = update(self._read_live(conn, name, key))
            if new is None:
                conn.execute("DELETE FROM documents WHERE collection = ? AND key = ?", (name, key))
            else:
                self._put(conn, name, key, new)
            return new

    def query(
        self,
        collection: str,
        *,
        where: Sequence[Filter] = (),
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[tuple[str, Document]]:
        sql = (
            "SELECT key, data FROM documents WHERE collection = ?"
            " AND (expires_at IS NULL OR expires_at > ?)"
        )
        params: list[Any] = [self._collection(collection), _now_ts()]
        for field, op, value in where:
            if op not in _OPERATORS:
                raise ValueError(f"unsupported query operator {op!r}")
            # Narrow in SQL only where JSON text equality is exact; Python re-checks every row.
            if op == "==" and isinstance(value, str) and "." not in field and '"' not in field:
                path = f'$."{field}"'
                sql += " AND json_type(data, ?) = 'text' AND json_extract(data, ?) = ?"
                params += [path, path, value]
        rows = self._conn().execute(sql, params).fetchall()
        matches = [
            (key, doc)
            for key, doc in ((key, _decode_document(data)) for key, data in rows)
            if all(_matches(doc, field, op, value) for field, op, value in where)
        ]
        return _order_and_limit(matches, where, order_by, descending, limit)

    # -- internals -------------------------------------------------------------------------

    def _collection(self, collection: str) -> str:
        if not collection or "/" in collection:
            raise ValueError(f"invalid collection name {collection!r}")
        return self._prefix + collection

    def _while_locked(self, statement: Callable[[], object]) -> None:
        """Run `statement`, again while the file is locked, up to the busy timeout.

        Processes opening a new file at once meet in the switch to WAL and the schema's first
        write. There SQLite answers "database is locked" at once instead of waiting: its busy
        handler is not called where waiting could deadlock (a reader asking to write while
        another does), so the store waits itself.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            try:
                statement()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(_LOCKED_RETRY_S)

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection; a forked child opens its own rather than share a handle."""
        cached = getattr(self._local, "conn", None)
        if cached is not None and cached[0] == os.getpid():
            conn: sqlite3.Connection = cached[1]
            return conn
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{_PAGE_CACHE_KIB}")
        self._local.conn = (os.getpid(), conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its first statement."""
        conn = self._conn()
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StateStoreError(f"local state store busy: {exc}") from exc
            try:
                yield conn
                self._purge_expired(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read_live(self, conn: sqlite3.Connection, name: str, key: str) -> Document | None:
        row = conn.execute(
            "SELECT data, expires_at FROM documents WHERE collection = ? AND key = ?",
            (name, key),
        ).fetchone()
        if row is None or (row[1] is not None and row[1] <= _now_ts()):
            return None
        return _decode_document(row[0])

    def _put(self, conn: sqlite3.Connection, name: str, key: str, document: Document) -> None:
        expires = document.get(EXPIRES_FIELD)
        conn.execute(
            "INSERT OR REPLACE INTO documents (collection, key, data, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (
                name,
                key,
                _encode_document(document),
                expires.timestamp() if isinstance(expires, datetime) else None,
            ),
        )

    def _purge_expired(self, conn: sqlite3.Connection) -> None:
        """Drop expired rows now and then, as Firestore's TTL policy does in production."""
        self._writes += 1
        if self._writes % _PURGE_EVERY_WRITES == 1:
            conn.execute("DELETE FROM documents WHERE expires_at <= ?", (_now_ts(),))


def _now_ts() -> float:
    return get_clock().now().timestamp()


def _check_key(key: str) -> str:
    if not key:
        raise ValueError("document key must be a non-empty string")
    return key


def _with_ttl(data: Document, ttl_s: float | None) -> Document:
    if ttl_s is None:
        return data
    return {**data, EXPIRES_FIELD: get_clock().now() + timedelta(seconds=ttl_s)}


def _add(current: Any, amount: int | float) -> int | float:
    """Firestore's Increment: a missing or non-numeric field counts as 0."""
    if isinstance(current, bool) or not isinstance(current, int | float):
        return amount
    return current + amount


# -- encoding --------------------------------------------------------------------------------


def _encode_document(document: Document) -> str:
    return json.dumps({name: _encode(value) for name, value in _fields(document)})


def _decode_document(text: str) -> Document:
    return {name: _decode(value) for name, value in json.loads(text).items()}


def _fields(mapping: dict[Any, Any]) -> Iterator[tuple[str, Any]]:
    for name, value in mapping.items():
        if not isinstance(name, str):
            raise TypeError(f"field names must be strings, got {name!r}")
        yield name, value


def _encode(value: Any) -> Any:
    """JSON-ready value; datetimes (and maps that hold the tag key) are wrapped in a tag."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("datetimes stored in the state store must be timezone-aware")
        return {_TAG: "dt", "v": value.astimezone(UTC).isoformat()}
    if isinstance(value, dict):
        encoded = {name: _encode(item) for name, item in _fields(value)}
        return {_TAG: "map", "v": encoded} if _TAG in value else encoded
    if isinstance(value, list | tuple):
        if any(isinstance(item, list | tuple) for item in value):
            raise TypeError("Firestore cannot store an array directly inside an array")
        return [_encode(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in the state store")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag == "dt":
            return datetime.fromisoformat(value["v"])
        if tag == "map":
            return {name: _decode(item) for name, item in value["v"].items()}
        return {name: _decode(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


# -- Firestore query semantics ---------------------------------------------------------------

_MISSING = object()


def _lookup(document: Document, field: str) -> Any:
    """The value at a top-level field or dotted path, or _MISSING."""
    value: Any = document
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _rank(value: Any) -> tuple[Any, ...]:
    """Firestore's total order across types: null < bool < number < timestamp < string <
    array < map; NaN sorts before every other number. Equal ranks mean equal values."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int | float):
        return (2, (0,) if isinstance(value, float) and math.isnan(value) else (1, value))
    if isinstance(value, datetime):
        return (3, value)
    if isinstance(value, str):
        return (4, value.encode())
    if isinstance(value, list):
        return (8, tuple(_rank(item) for item in value))
    return (9, tuple((name, _rank(item)) for name, item in sorted(value.items())))


def _matches(document: Document, field: str, op: str, operand: Any) -> bool:
    value = _lookup(document, field)
    if value is _MISSING:
        return False
    if op == "==":
        return _rank(value) == _rank(operand)
    if op == "!=":
        return value is not None and _rank(value) != _rank(operand)
    if op == "in":
        return any(_rank(value) == _rank(item) for item in operand)
    if op == "array_contains":
        return isinstance(value, list) and any(_rank(item) == _rank(operand) for item in value)
    left, right = _rank(value), _rank(operand)
    if left[0] != right[0]:
        return False
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _order_and_limit(
    matches: list[tuple[str, Document]],
    where: Sequence[Filter],
    order_by: str | None,
    descending: bool,
    limit: int | None,
) -> list[tuple[str, Document]]:
    """Firestore's order: `order_by`, then inequality fields, then key, all one direction;
    documents missing an ordering field are left out."""
    fields = [order_by] if order_by else []
    fields += sorted({field for field, op, _ in where if op in _INEQUALITIES} - set(fields))
    ordered = [
        (key, doc) for key, doc in matches if all(_lookup(doc, f) is not _MISSING for f in fields)
    ]
    ordered.sort(
        key=lambda item: (tuple(_rank(_lookup(item[1], f)) for f in fields), item[0].encode()),
        reverse=descending,
    )
    return ordered[:limit] if limit is not None else ordered
