"""Alembic environment: run migrations on the configured database (or the URL passed in).

Works for SQLite (batch mode, foreign keys off while tables are rebuilt) and PostgreSQL
(one transaction, serialised across instances by an advisory lock).
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from convonet.db.engine import get_engine
from convonet.db.models import Base, UTCDateTime
from convonet.db.models.base import JSONDocument
from sqlalchemy import JSON, Connection, text

# Any constant works; it only has to be the same for every process that migrates.
_PG_MIGRATION_LOCK = 7_302_214_101


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our portable column types as plain SQLAlchemy types, so a migration keeps
    working if the model code that defined them changes later."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON | JSONDocument):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        context.run_migrations()


def _run() -> None:
    engine = get_engine(context.config.attributes.get("url"))
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            _migrate(connection)
            return
        # A batch rebuild drops the old table; with foreign keys on, that DROP would cascade
        # deletes into child tables. The pragma only changes outside a transaction.
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            _migrate(connection)
            problems = raw.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"migration left dangling foreign keys: {problems[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys = ON")


_run()
