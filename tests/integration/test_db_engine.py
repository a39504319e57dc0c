"""Engine factory: caching, units of work, read scopes, SQLite hardening, PostgreSQL errors."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from convonet.config import Settings
from convonet.db.engine import get_engine, read, reset_engine, session_scope
from convonet.db.migrate import upgrade
from convonet.db.models import Team, User
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

Configure = Callable[..., Settings]


def test_session_scope_commits_on_success_and_rolls_back_on_error(migrated_db: str) -> None:
    with session_scope() as session:
        session.add(Team(name="kept"))
    with pytest.raises(RuntimeError), session_scope() as session:
        session.add(Team(name="dropped"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope() as session:
        team = session.scalars(select(Team)).one()
    assert team.name == "kept"  # still readable after the scope: no expiry on commit


def test_a_read_sees_committed_data_and_the_database_refuses_its_writes(
    migrated_db: str,
) -> None:
    with session_scope() as session:
        session.add(Team(id="t", name="kept"))
    assert read(lambda session: session.get(Team, "t").name) == "kept"  # type: ignore[union-attr]
    assert get_engine(reads=True) is not get_engine()

    def insert(session: Session) -> None:
        session.add(Team(name="refused"))
        session.flush()

    with pytest.raises(DBAPIError):
        read(insert)
    with pytest.raises(DBAPIError):
        read(lambda session: session.execute(update(Team).values(name="changed")))
    assert read(lambda session: session.scalars(select(Team.name)).all()) == ["kept"]


@pytest.mark.postgres
def test_postgres_reads_start_no_transaction(pg_url: str) -> None:
    """Each read statement is its own transaction: no BEGIN or COMMIT round trips around it."""
    upgrade(pg_url)
    own_transaction = text("SELECT transaction_timestamp() = statement_timestamp()")

    def twice(session: Session) -> list[bool | None]:
        return [session.scalar(own_transaction) for _ in range(2)]

    assert read(twice, pg_url) == [True, True]
    with session_scope(pg_url) as session:
        assert twice(session)[1] is False


@pytest.mark.postgres
def test_a_read_on_a_connection_the_server_dropped_runs_again_on_a_new_one(pg_url: str) -> None:
    """Reads skip the pool's ping, so a dead pooled connection is met by the read itself."""
    upgrade(pg_url)
    backend = text("SELECT pg_backend_pid()")
    first = read(lambda session: session.scalar(backend), pg_url)
    with session_scope(pg_url) as admin:
        assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    attempts: list[int] = []

    def counted(session: Session) -> int | None:
        attempts.append(1)
        return session.scalar(backend)

    second = read(counted, pg_url)
    assert second != first
    assert len(attempts) == 2
    assert read(lambda session: session.scalar(text("SELECT 1")), pg_url) == 1


def test_a_failing_read_is_not_repeated(migrated_db: str) -> None:
    attempts: list[int] = []

    def broken(session: Session) -> None:
        attempts.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(DBAPIError):
        read(broken)
    assert attempts == [1]


def test_sqlite_reads_do_not_wait_for_a_writer(sqlite_url: str) -> None:
    """A writer holds SQLite's write lock until it commits; a read neither waits nor sees it."""
    upgrade(sqlite_url)
    names = select(Team.name)
    with session_scope(sqlite_url) as writer:
        writer.add(Team(id="t", name="pending"))
        writer.flush()
        assert read(lambda session: session.scalars(names).all(), sqlite_url) == []
    assert read(lambda session: session.scalars(names).all(), sqlite_url) == ["pending"]


def test_an_in_memory_database_reads_on_its_one_connection() -> None:
    assert get_engine("sqlite://", reads=True) is get_engine("sqlite://")


def test_get_engine_defaults_to_the_configured_database(migrated_db: str) -> None:
    assert get_engine() is get_engine(migrated_db)
    assert get_engine().url.get_backend_name() in ("sqlite", "postgresql")


def test_one_engine_per_url_even_under_concurrent_first_use(sqlite_url: str) -> None:
    barrier = threading.Barrier(8)

    def first_use() -> int:
        barrier.wait()
        return id(get_engine(sqlite_url))

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: first_use(), range(8)))
    assert len(ids) == 1
    before = get_engine(sqlite_url)
    reset_engine()
    assert get_engine(sqlite_url) is not before


def test_sqlite_file_gets_its_directory_and_safe_pragmas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'x.db'}"
    with get_engine(url).connect() as connection:
        pragma = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("foreign_keys", "journal_mode", "busy_timeout")
        }
    assert pragma == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 15000}
    assert (tmp_path / "deep" / "er" / "x.db").exists()


def test_sqlite_default_lives_in_the_data_dir(configure: Configure, tmp_path: Path) -> None:
    configure(DATA_DIR=tmp_path / "data")
    with session_scope() as session:
        session.execute(text("select 1"))
    assert (tmp_path / "data" / "convonet.db").exists()


def test_sqlite_writers_are_serialised_so_no_update_is_lost(sqlite_url: str) -> None:
    """Read-modify-write from several threads: BEGIN IMMEDIATE makes each one atomic."""
    upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        user = User(email="c@example.com", password_hash="h", display_name="0")
        session.add(user)

    def increment() -> None:
        for _ in range(10):
            with session_scope(sqlite_url) as session:
                row = session.get(User, user.id)
                assert row is not None
                row.display_name = str(int(row.display_name) + 1)

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(increment) for _ in range(4)]:
            future.result()
    with session_scope(sqlite_url) as session:
        assert session.get(User, user.id).display_name == "40"  # type: ignore[union-attr]


@pytest.mark.postgres
def test_postgres_constraint_and_serialisation_failures_have_portable_classes(
    pg_url: str,
) -> None:
    upgrade(pg_url)
    engine = get_engine(pg_url)
    with pytest.raises(IntegrityError), session_scope(pg_url) as session:
        session.execute(
            text(
                "INSERT INTO team_memberships (id, team_id, user_id, role, created_at,"
                " updated_at) VALUES ('m', 'no-team', 'no-user', 'member', now(), now())"
            )
        )
    with session_scope(pg_url) as session:
        session.add(Team(id="t", name="0"))
    repeatable = engine.execution_options(isolation_level="REPEATABLE READ")
    with Session(repeatable) as first, Session(repeatable) as second:
        assert second.scalar(select(Team.name)) == "0"  # second's snapshot starts here
        first.execute(update(Team).values(name="1"))
        first.commit()
        with pytest.raises(OperationalError):
            second.execute(update(Team).values(name="2"))
        second.rollback()


def test_cloud_sql_instance_uses_the_connector_lazily(configure: Configure) -> None:
    configure(CLOUD_SQL_INSTANCE="convonet-test:us-central1:main", DB_IAM_AUTH="true")
    engine = get_engine()
    assert engine.dialect.driver == "pg8000"
    assert get_engine() is engine
    assert "google.cloud.sql.connector" in sys.modules
    reset_engine()  # closes the connector's background refresh too


def test_timestamps_come_from_the_injectable_clock(migrated_db: str, clock: object) -> None:
    with session_scope() as session:
        team = Team(name="clocked")
        session.add(team)
    assert team.created_at == datetime(2026, 1, 5, 17, 0, tzinfo=UTC)


_STATEMENTS = [
    "SELECT 1",
    "SELECT a FROM t WHERE b = %s AND c IN (%s, %s)",
    "SELECT '%s' || %s, \"col%s\" FROM t WHERE x LIKE 'a%%' AND y = %s -- %s\n AND z = %s",
    "SELECT E'it''s %s' , $$ %s $$, %s",
    "UPDATE t SET v = v %% 7 WHERE id = %s",
]


@pytest.mark.postgres
def test_postgres_statements_are_rewritten_once_as_pg8000_would(pg_url: str) -> None:
    """pg8000's rewrite of %s placeholders is kept per statement: the same text as pg8000's
    own, values passed through, and a query on PostgreSQL still binds its values."""
    import pg8000.dbapi
    import pg8000.legacy

    get_engine(pg_url)
    kept = pg8000.legacy.convert_paramstyle
    assert pg8000.dbapi.convert_paramstyle is kept
    original = kept.pg8000_original  # type: ignore[attr-defined]
    for statement in _STATEMENTS:
        args = tuple(range(statement.count("%s")))
        assert kept("format", statement, args) == original("format", statement, args)
        assert kept("format", statement, args)[1] is args
    assert kept("named", "SELECT :a", {"a": 1}) == original("named", "SELECT :a", {"a": 1})
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(text("SELECT CAST(:n AS int) + 1"), {"n": 41}).scalar_one() == 42
