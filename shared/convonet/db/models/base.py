"""Declarative base, portable column types and mixins shared by every domain's models.

The same models run on Cloud SQL PostgreSQL and on a local SQLite file, so every type here is
chosen to behave identically on both: UTC-aware datetimes (SQLite has no time zones), JSON,
integer cents for money, and string enums enforced by named CHECK constraints.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from importlib import import_module
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Dialect, Enum, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from convonet.clock import utcnow

# Stable constraint names, so Alembic autogenerate and batch mode (SQLite) find the same
# names on both backends and a migration can drop or alter a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores `timestamptz`; SQLite stores naive text, so values are normalised to
    UTC on the way in and tagged UTC on the way out. Naive datetimes are refused: they are
    always a bug (whose wall clock?).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONDocument(TypeDecorator[Any]):
    """JSONB on PostgreSQL (comparable, indexable); SQLite's JSON elsewhere. Same Python values.

    The PostgreSQL dialect (~40 ms to import) is loaded when a PostgreSQL engine needs the
    type, not by importing the models: on SQLite it is never loaded at all.
    """

    impl = JSON
    cache_ok = True
    # As JSON itself: an explicit None is stored as JSON null, an unset one as SQL NULL.
    should_evaluate_none = True
    hashable = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


def new_id() -> str:
    return str(uuid.uuid4())


def str_enum(name: str, *values: str) -> Enum:
    """A VARCHAR limited to `values` by a named CHECK constraint, identical on both backends.

    Plain strings (not Python enums) keep JSON, tools and HTTP code simple; an unknown value is
    refused before it reaches the database (`validate_strings`) and by the database itself.
    """
    return Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(32, *(len(v) for v in values)),
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSONDocument(),
        list[str]: JSONDocument(),
        list[Any]: JSONDocument(),
    }


class UUIDPrimaryKey:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id, sort_order=-1)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=1)


def user_fk(ondelete: str = "CASCADE") -> ForeignKey:
    """A foreign key to `users.id`; owned rows go with their owner unless told otherwise.

    The key resolves against the users table at flush time, so the users model is loaded with
    any model that names it (convonet.db.models imports each domain only when asked for).
    """
    import_module("convonet.db.models.identity")
    return ForeignKey("users.id", ondelete=ondelete)
