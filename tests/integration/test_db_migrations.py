"""Migrations build the schema the models describe, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from convonet.db.engine import get_engine
from convonet.db.migrate import MIGRATIONS_DIR, alembic_config, current, downgrade, upgrade
from convonet.db.models import Base
from sqlalchemy import inspect, text


def _diff(url: str) -> list[object]:
    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_on_an_empty_database_creates_every_table(db_url: str) -> None:
    assert current(db_url) is None
    upgrade(db_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current(db_url) == head
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_models_and_migrations_agree(db_url: str) -> None:
    upgrade(db_url)
    assert _diff(db_url) == []


def test_upgrade_is_idempotent_and_downgrade_to_base_empties_the_schema(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    downgrade("base", db_url)
    assert current(db_url) is None
    assert set(inspect(get_engine(db_url)).get_table_names()) <= {"alembic_version"}
    upgrade(db_url)
    assert _diff(db_url) == []


def test_sqlite_connections_keep_foreign_keys_on_after_migrating(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    with get_engine(sqlite_url).connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.postgres
def test_concurrent_upgrades_serialise(pg_url: str) -> None:
    """Two instances starting at once: the advisory lock lets one migrate, the other no-ops."""
    code = "import sys; from convonet.db.migrate import upgrade; upgrade(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, pg_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [proc.communicate(timeout=60)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], errors
    assert _diff(pg_url) == []


def test_cli_upgrade_and_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli' / 'c.db'}"
    cli = [sys.executable, "-m", "convonet.db.migrate", "--url", url]
    before = subprocess.run([*cli, "current"], capture_output=True, text=True, check=True)
    assert before.stdout.strip() == "(none)"
    subprocess.run([*cli, "upgrade"], capture_output=True, check=True)
    after = subprocess.run([*cli, "current"], capture_output=True, text=True, check=True)
    assert after.stdout.strip() == current(url)


def test_cli_uses_the_configured_database_by_default(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data"), "CONVONET_ENV": "test"}
    subprocess.run(
        [sys.executable, "-m", "convonet.db.migrate", "upgrade"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "data" / "convonet.db").exists()


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").exists()
    assert (MIGRATIONS_DIR / "script.py.mako").exists()
    assert list((MIGRATIONS_DIR / "versions").glob("*.py"))
