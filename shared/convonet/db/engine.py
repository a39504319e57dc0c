"""Engine factory: Cloud SQL (connector + pg8000), PostgreSQL by URL (pg8000), or SQLite.

Functions are stateless and short-lived, so one engine per database URL is cached per process
and shared by every request thread. The Cloud SQL Python Connector costs ~0.4 s to import, so
it is imported only when `CLOUD_SQL_INSTANCE` is set.

Reads (`read`) get a second engine per database whose connections start no transaction and
may not write: the database refuses a write on them (PostgreSQL's
`default_transaction_read_only`, SQLite's `query_only`). Being safe to repeat, a read is not
preceded by a ping of its pooled connection: if that connection died (the database restarted),
the read fails on it, the pool is invalidated, and the read runs again on a fresh one. On
PostgreSQL a read then costs its statements alone, where a unit of work adds a ping, BEGIN and
COMMIT round trips (pg8000 sends each on its own); on SQLite it takes no write lock, so reads
never queue behind writers. Each statement still sees one consistent snapshot, as in
PostgreSQL's READ COMMITTED.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from convonet.config import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Cloud SQL closes idle connections; recycle before it does.
POOL_RECYCLE_S = 1800

# pg8000 sends these in its startup message, so setting them costs no round trip.
READ_ONLY_STARTUP = {"default_transaction_read_only": "on"}

# SQLSTATEs meaning the connection is gone: class 08 (connection exception), and the server
# shutting down or starting (57P01-57P03). pg8000 raises these as plain DatabaseErrors.
_DISCONNECT_STATES = ("08", "57P01", "57P02", "57P03")

T = TypeVar("T")

_engines: dict[tuple[str, bool], tuple[Engine, Callable[[], None]]] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Route every PostgreSQL URL through pg8000 (the only driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+pg8000://" + url[len(prefix) :]
    return url


def get_engine(url: str | None = None, *, reads: bool = False) -> Engine:
    """The process-wide engine for `url`, or for the configured database when None.

    With no URL: `CLOUD_SQL_INSTANCE` (connector) wins, then `DATABASE_URL`, then the SQLite
    file in `DATA_DIR`. `reads`: the database's read-only autocommit engine (see the module
    docstring); an in-memory SQLite database has one connection, so its reads share it.
    """
    settings = get_settings()
    if url is None and settings.cloud_sql_instance:
        key = (
            f"cloudsql://{settings.db_user}@{settings.cloud_sql_instance}/{settings.db_name}"
            f"?iam={settings.db_iam_auth}"
        )
    else:
        key = normalize_url(url or settings.resolved_database_url)
    reads = reads and not (key.startswith("sqlite") and _in_memory(make_url(key)))
    with _lock:
        if (key, reads) not in _engines:
            if key.startswith("cloudsql://"):
                _engines[key, reads] = _cloud_sql_engine(settings, reads=reads)
            else:
                engine = _url_engine(make_url(key), settings, reads=reads)
                _engines[key, reads] = (engine, engine.dispose)
        return _engines[key, reads][0]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commit when the block succeeds, roll back when it raises.

    Objects stay readable after the block (`expire_on_commit=False`), so handlers can build
    their response from them without another round trip.
    """
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def read(work: Callable[[Session], T], url: str | None = None) -> T:
    """`work(session)` on the read engine, where each statement runs on its own and the
    database refuses any write; run once more if the connection it was lent had died."""
    try:
        return _read_once(work, url)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return _read_once(work, url)


def _read_once(work: Callable[[Session], T], url: str | None) -> T:
    with Session(get_engine(url, reads=True), expire_on_commit=False) as session:
        return work(session)


def reset_engine() -> None:
    """Dispose every cached engine (tests point settings at a new database, then call this)."""
    with _lock:
        for _, close in _engines.values():
            close()
        _engines.clear()


def _pool_options(settings: Settings, *, reads: bool) -> dict[str, Any]:
    return {
        "pool_pre_ping": not reads,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_recycle": POOL_RECYCLE_S,
    }


def _in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _url_engine(url: URL, settings: Settings, *, reads: bool) -> Engine:
    if url.get_backend_name() != "sqlite":
        read_options: dict[str, Any] = {
            "isolation_level": "AUTOCOMMIT",
            "connect_args": {"startup_params": READ_ONLY_STARTUP},
        }
        options = _pool_options(settings, reads=reads) | (read_options if reads else {})
        _memoise_pg8000_placeholders()
        engine = create_engine(url, **options)
        _classify_pg8000_errors(engine)
        return engine
    in_memory = _in_memory(url)
    if not in_memory:
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
    options = {} if in_memory else _pool_options(settings, reads=reads)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
    _configure_sqlite(engine, wal=not in_memory, reads=reads)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool, reads: bool) -> None:
    """Make SQLite enforce foreign keys and serialise writers like a real database would.

    pysqlite by default starts transactions lazily (not before a SELECT), so a read-then-write
    could act on stale data. Instead every transaction starts with BEGIN IMMEDIATE: writers
    queue on the busy timeout, WAL keeps readers of committed data unblocked. The read engine
    starts no transaction and its connections are `query_only`.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        if reads:
            cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    if reads:
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _memoise_pg8000_placeholders() -> None:
    """Keep pg8000's rewrite of each statement's `%s` placeholders to `$n`.

    pg8000 does that rewrite on every execution by scanning the statement character by
    character in Python: 0.39 ms of a 2.1 ms availability request on PostgreSQL (cProfile),
    for its one long statement. In the "format" style SQLAlchemy uses, the rewritten text
    depends on the statement alone (the values pass through as given), and SQLAlchemy's
    compiled statements are a bounded set, so each is rewritten once. pg8000 is pinned;
    test_db_engine.py checks the kept rewrite against pg8000's own."""
    import pg8000.dbapi
    import pg8000.legacy

    rewrite = pg8000.dbapi.convert_paramstyle
    if getattr(rewrite, "pg8000_original", None) is not None:
        return

    @functools.lru_cache(maxsize=1024)
    def rewritten(query: str) -> str:
        return str(rewrite("format", query, ())[0])

    def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
        if style != "format":
            return rewrite(style, query, args)
        return rewritten(query), args

    convert_paramstyle.pg8000_original = rewrite  # type: ignore[attr-defined]
    # Both of pg8000's cursors call it: SQLAlchemy's dialect connects through the legacy API.
    pg8000.dbapi.convert_paramstyle = convert_paramstyle
    pg8000.legacy.convert_paramstyle = convert_paramstyle


def _classify_pg8000_errors(engine: Engine) -> None:
    """Raise the same exception classes as SQLite (and psycopg) for the same failures.

    pg8000 reports only unique violations as IntegrityError; a foreign-key, NOT NULL or CHECK
    violation arrives as ProgrammingError, and a serialisation failure or deadlock likewise.
    Domain code catches IntegrityError (conflict) and OperationalError (retry) on every backend.
    A server shutting down is a disconnect, so the pool drops the connections it made; so is
    a socket error pg8000 lets through unwrapped (a query written to a connection the server
    had closed is answered by a reset), which becomes an InterfaceError like pg8000's own
    "network error".
    """

    @event.listens_for(engine, "handle_error", retval=True)
    def _reclassify(context: ExceptionContext) -> DBAPIError | None:
        original = context.original_exception
        if isinstance(original, OSError):
            context.is_disconnect = True
            return InterfaceError(
                context.statement, context.parameters, original, connection_invalidated=True
            )
        details = original.args[0] if original.args else None
        sqlstate = details.get("C", "") if isinstance(details, dict) else ""
        if sqlstate.startswith(_DISCONNECT_STATES):
            context.is_disconnect = True
        current = context.sqlalchemy_exception
        if sqlstate.startswith("23") and not isinstance(current, IntegrityError):
            kind: type[DBAPIError] = IntegrityError
        elif sqlstate in ("40001", "40P01") and not isinstance(current, OperationalError):
            kind = OperationalError
        else:
            return None
        return kind(context.statement, context.parameters, original)


def _cloud_sql_engine(settings: Settings, *, reads: bool) -> tuple[Engine, Callable[[], None]]:
    """An engine whose connections come from the Cloud SQL Python Connector.

    The connector is created (and the password secret resolved) on the first connection,
    not here: both reach Google APIs, which a cold start should not wait for until it needs
    the database. The read engine has its own connector.
    """
    from google.cloud.sql.connector import Connector

    instance = str(settings.cloud_sql_instance)
    connectors: list[Connector] = []
    connector_lock = threading.Lock()

    def connect() -> Any:
        with connector_lock:
            if not connectors:
                connectors.append(Connector(refresh_strategy="lazy"))
        return connectors[0].connect(
            instance,
            "pg8000",
            user=settings.db_user,
            password=None if settings.db_iam_auth else settings.secret("db_password") or None,
            db=settings.db_name,
            enable_iam_auth=settings.db_iam_auth,
            **({"startup_params": READ_ONLY_STARTUP} if reads else {}),
        )

    options = _pool_options(settings, reads=reads) | (
        {"isolation_level": "AUTOCOMMIT"} if reads else {}
    )
    _memoise_pg8000_placeholders()
    engine = create_engine("postgresql+pg8000://", creator=connect, **options)
    _classify_pg8000_errors(engine)

    def close() -> None:
        engine.dispose()
        with connector_lock:
            for connector in connectors:
                connector.close()
            connectors.clear()

    return engine, close
