"""Engine factory: Cloud SQL (connector + pg8000), PostgreSQL by URL (pg8000), or SQLite.

Functions are stateless and short-lived, so one engine per database URL is cached per process
and shared by every request thread. The Cloud SQL Python Connector costs ~0.4 s to import, so
it is imported only when `CLOUD_SQL_INSTANCE` is set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from convonet.config import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Cloud SQL closes idle connections; recycle before it does.
POOL_RECYCLE_S = 1800

_engines: dict[str, tuple[Engine, Callable[[], None]]] = {}
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    """Route every PostgreSQL URL through pg8000 (the only driver we ship)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+pg8000://" + url[len(prefix) :]
    return url


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url`, or for the configured database when None.

    With no URL: `CLOUD_SQL_INSTANCE` (connector) wins, then `DATABASE_URL`, then the SQLite
    file in `DATA_DIR`.
    """
    settings = get_settings()
    if url is None and settings.cloud_sql_instance:
        key = (
            f"cloudsql://{settings.db_user}@{settings.cloud_sql_instance}/{settings.db_name}"
            f"?iam={settings.db_iam_auth}"
        )
    else:
        key = normalize_url(url or settings.resolved_database_url)
    with _lock:
        if key not in _engines:
            if key.startswith("cloudsql://"):
                _engines[key] = _cloud_sql_engine(settings)
            else:
                engine = _url_engine(make_url(key), settings)
                _engines[key] = (engine, engine.dispose)
        return _engines[key][0]


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


def reset_engine() -> None:
    """Dispose every cached engine (tests point settings at a new database, then call this)."""
    with _lock:
        for _, close in _engines.values():
            close()
        _engines.clear()


def _pool_options(settings: Settings) -> dict[str, Any]:
    return {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_recycle": POOL_RECYCLE_S,
    }


def _url_engine(url: URL, settings: Settings) -> Engine:
    if url.get_backend_name() != "sqlite":
        engine = create_engine(url, **_pool_options(settings))
        _classify_pg8000_errors(engine)
        return engine
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory:
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
    options = {} if in_memory else _pool_options(settings)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
    _configure_sqlite(engine, wal=not in_memory)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    """Make SQLite enforce foreign keys and serialise writers like a real database would.

    pysqlite by default starts transactions lazily (not before a SELECT), so a read-then-write
    could act on stale data. Instead every transaction starts with BEGIN IMMEDIATE: writers
    queue on the busy timeout, WAL keeps readers of committed data unblocked.
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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _classify_pg8000_errors(engine: Engine) -> None:
    """Raise the same exception classes as SQLite (and psycopg) for the same failures.

    pg8000 reports only unique violations as IntegrityError; a foreign-key, NOT NULL or CHECK
    violation arrives as ProgrammingError, and a serialisation failure or deadlock likewise.
    Domain code catches IntegrityError (conflict) and OperationalError (retry) on every backend.
    """

    @event.listens_for(engine, "handle_error", retval=True)
    def _reclassify(context: ExceptionContext) -> DBAPIError | None:
        original = context.original_exception
        details = original.args[0] if original.args else None
        sqlstate = details.get("C", "") if isinstance(details, dict) else ""
        current = context.sqlalchemy_exception
        if sqlstate.startswith("23") and not isinstance(current, IntegrityError):
            kind: type[DBAPIError] = IntegrityError
        elif sqlstate in ("40001", "40P01") and not isinstance(current, OperationalError):
            kind = OperationalError
        else:
            return None
        return kind(context.statement, context.parameters, original)


def _cloud_sql_engine(settings: Settings) -> tuple[Engine, Callable[[], None]]:
    """An engine whose connections come from the Cloud SQL Python Connector.

    The connector is created (and the password secret resolved) on the first connection,
    not here: both reach Google APIs, which a cold start should not wait for until it needs
    the database.
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
        )

    engine = create_engine("postgresql+pg8000://", creator=connect, **_pool_options(settings))
    _classify_pg8000_errors(engine)

    def close() -> None:
        engine.dispose()
        with connector_lock:
            for connector in connectors:
                connector.close()
            connectors.clear()

    return engine, close
