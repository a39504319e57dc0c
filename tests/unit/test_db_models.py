"""Model-level rules that hold without a database: names, types, validators, URL handling."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from convonet.db.engine import normalize_url
from convonet.db.models import Base, MortgageApplication, Todo, User, UTCDateTime
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.schema import ColumnCollectionConstraint

USER_OWNED = {
    "todos": "owner_id",
    "reminders": "owner_id",
    "calendar_events": "owner_id",
    "calendar_connections": "user_id",
    "call_records": "owner_id",
    "crm_records": "owner_id",
    "mortgage_applications": "owner_id",
    "team_memberships": "user_id",
    "health_members": "user_id",
    "reservations": "user_id",
}


def test_every_user_owned_table_has_a_real_foreign_key_with_on_delete() -> None:
    for table_name, column in USER_OWNED.items():
        table = Base.metadata.tables[table_name]
        fks = [fk for fk in table.foreign_keys if fk.parent.name == column]
        assert len(fks) == 1, table_name
        assert fks[0].column.table.name == "users"
        assert fks[0].ondelete in ("CASCADE", "SET NULL"), table_name


def test_every_foreign_key_declares_on_delete_and_every_fk_column_is_indexed() -> None:
    for table in Base.metadata.tables.values():
        leading = {tuple(index.columns)[0].name for index in table.indexes}
        leading |= {
            next(iter(constraint.columns)).name
            for constraint in table.constraints
            if isinstance(constraint, ColumnCollectionConstraint)
            and not isinstance(constraint, ForeignKeyConstraint)
            and constraint.columns
        }
        for fk in table.foreign_keys:
            assert fk.ondelete, f"{table.name}.{fk.parent.name} has no ON DELETE"
            assert fk.parent.name in leading, f"{table.name}.{fk.parent.name} is not indexed"


def test_constraint_names_follow_the_convention() -> None:
    users = Base.metadata.tables["users"]
    names = {constraint.name for constraint in users.constraints}
    assert {
        "pk_users",
        "uq_users_email",
        "uq_users_voice_pin_hash",
        "ck_users_email_lowercase",
    } <= names
    todo_checks = {c.name for c in Base.metadata.tables["todos"].constraints}
    assert "ck_todos_todo_priority" in todo_checks
    assert "fk_todos_owner_id_users" in todo_checks


def test_timestamps_are_timezone_aware_on_both_dialects() -> None:
    column = Base.metadata.tables["reservations"].c.starts_at
    assert isinstance(column.type, UTCDateTime)
    for dialect in (postgresql.dialect(), sqlite.dialect()):
        assert "TIME" in column.type.compile(dialect=dialect)


def test_utc_datetime_refuses_naive_and_normalises_to_utc() -> None:
    kind = UTCDateTime()
    with pytest.raises(ValueError, match="naive"):
        kind.process_bind_param(datetime(2026, 1, 1, 12), postgresql.dialect())
    seoul = datetime(2026, 1, 1, 21, tzinfo=timezone(timedelta(hours=9)))
    stored = kind.process_bind_param(seoul, postgresql.dialect())
    assert stored == datetime(2026, 1, 1, 12, tzinfo=UTC) and stored.tzinfo == UTC
    on_sqlite = kind.process_bind_param(seoul, sqlite.dialect())
    assert on_sqlite == datetime(2026, 1, 1, 12)
    assert kind.process_result_value(on_sqlite, sqlite.dialect()) == seoul


def test_email_is_stored_lower_case_and_roles_are_checked() -> None:
    user = User(email="  Demo@Convonet.DEV ", password_hash="x", display_name="D")
    assert user.email == "demo@convonet.dev"
    user.roles = ["user", "agent", "user"]
    assert user.roles == ["user", "agent"]
    assert user.has_role("agent") and not user.has_role("admin")
    with pytest.raises(ValueError, match="unknown roles"):
        user.roles = ["root"]


def test_enum_columns_refuse_unknown_values_before_the_database() -> None:
    priority = Todo.__table__.c.priority.type
    process = priority.bind_processor(sqlite.dialect())
    assert process is not None
    assert process("high") == "high"
    with pytest.raises(LookupError):
        process("critical")


def test_mortgage_completion_is_share_of_three_stages() -> None:
    application = MortgageApplication(
        financial_info_complete=True, documents_complete=True, review_complete=False
    )
    assert application.completion_percentage == 67


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+pg8000://u:p@h/db"),
        ("postgres://u@h:5433/db", "postgresql+pg8000://u@h:5433/db"),
        ("postgresql+pg8000://u@h/db", "postgresql+pg8000://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_always_use_pg8000(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_a_light_function_never_imports_the_cloud_sql_connector() -> None:
    code = (
        "import sys\n"
        "from convonet.db.engine import get_engine, session_scope\n"
        "from convonet.db import models\n"
        "from sqlalchemy import text\n"
        "with session_scope() as s: s.execute(text('select 1'))\n"
        "assert 'google.cloud.sql.connector' not in sys.modules, 'connector imported'\n"
        "assert 'alembic' not in sys.modules, 'alembic imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
