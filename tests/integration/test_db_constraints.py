"""The database itself enforces integrity, identically on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from convonet.db.engine import session_scope
from convonet.db.models import (
    CallRecord,
    CallTranscriptLine,
    DiningTable,
    HealthMember,
    HealthPlan,
    KnowledgeArticle,
    MenuItem,
    PreorderLine,
    Reservation,
    ReservationTable,
    Restaurant,
    Team,
    TeamMembership,
    Todo,
    User,
)
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

pytestmark = pytest.mark.usefixtures("migrated_db")

T0 = datetime(2026, 3, 6, 2, 0, tzinfo=UTC)


def _user(email: str = "a@example.com", **extra: object) -> User:
    return User(email=email, password_hash="h", display_name="A", **extra)


def _add_user(email: str = "a@example.com", **extra: object) -> str:
    with session_scope() as session:
        user = _user(email, **extra)
        session.add(user)
    return user.id


def test_foreign_keys_are_enforced() -> None:
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(Todo(owner_id="no-such-user", title="orphan"))


def test_deleting_a_user_cascades_to_owned_rows_and_nulls_references() -> None:
    owner = _add_user("owner@example.com")
    other = _add_user("other@example.com")
    with session_scope() as session:
        session.add(Todo(owner_id=other, assignee_id=owner, title="assigned to owner"))
        session.add(Todo(owner_id=owner, title="owned"))
        session.add(CallRecord(owner_id=owner, call_sid="CA1", channel="phone", started_at=T0))
    with session_scope() as session:
        # Core DELETE: the database, not the ORM, carries out ON DELETE.
        session.execute(delete(User).where(User.id == owner))
    with session_scope() as session:
        todos = session.scalars(select(Todo)).all()
        assert [(t.title, t.assignee_id) for t in todos] == [("assigned to owner", None)]
        call = session.scalars(select(CallRecord)).one()
        assert call.owner_id is None


def test_email_is_unique_whatever_its_case() -> None:
    _add_user("dup@example.com")
    with pytest.raises(IntegrityError):
        _add_user("DUP@Example.com")


def test_the_database_refuses_a_mixed_case_email_written_behind_the_orm() -> None:
    with pytest.raises(IntegrityError), session_scope() as session:
        session.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, roles, is_active,"
                " locale, created_at, updated_at) VALUES ('u1', 'Mixed@Example.com', 'h', 'M',"
                " '[]', true, 'en', :now, :now)"
            ),
            {"now": T0.replace(tzinfo=None)},
        )


def test_voice_pin_hash_and_phone_are_unique() -> None:
    _add_user("one@example.com", voice_pin_hash="a" * 64, phone_e164="+14155550001")
    with pytest.raises(IntegrityError):
        _add_user("two@example.com", voice_pin_hash="a" * 64)
    with pytest.raises(IntegrityError):
        _add_user("three@example.com", phone_e164="+14155550001")
    _add_user("four@example.com")  # NULLs do not collide
    _add_user("five@example.com")


def test_enum_check_constraints_hold_below_the_orm() -> None:
    owner = _add_user()
    with pytest.raises(IntegrityError), session_scope() as session:
        session.execute(
            text(
                "INSERT INTO todos (id, owner_id, title, priority, completed, created_at,"
                " updated_at) VALUES ('t1', :owner, 'x', 'critical', false, :now, :now)"
            ),
            {"owner": owner, "now": T0.replace(tzinfo=None)},
        )
    with pytest.raises(StatementError), session_scope() as session:
        session.add(Todo(owner_id=owner, title="x", priority="critical"))


def test_team_membership_is_unique_per_team_and_user() -> None:
    user = _add_user()
    with session_scope() as session:
        team = Team(name="T")
        team.memberships = [TeamMembership(user_id=user, role="owner")]
        session.add(team)
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(TeamMembership(team_id=team.id, user_id=user, role="member"))


def test_datetimes_round_trip_as_aware_utc_and_compare_correctly() -> None:
    owner = _add_user()
    pacific = timezone(timedelta(hours=-8))
    with session_scope() as session:
        session.add(
            CallRecord(
                owner_id=owner,
                call_sid="CA-tz",
                channel="browser",
                started_at=datetime(2026, 3, 5, 18, 0, tzinfo=pacific),
            )
        )
    with session_scope() as session:
        call = session.scalars(select(CallRecord)).one()
        assert call.started_at == T0 and call.started_at.tzinfo == UTC
        assert call.created_at.tzinfo == UTC
        later = session.scalars(select(CallRecord).where(CallRecord.started_at > T0)).all()
        assert later == []
        same = session.scalars(
            select(CallRecord).where(CallRecord.started_at == T0.astimezone(pacific))
        ).all()
        assert len(same) == 1


def test_json_columns_round_trip() -> None:
    with session_scope() as session:
        session.add(
            KnowledgeArticle(
                slug="s", title="t", body="b", tags=["한옥", "hours"], domain="restaurant"
            )
        )
    with session_scope() as session:
        article = session.scalars(select(KnowledgeArticle)).one()
        assert article.tags == ["한옥", "hours"]


def test_transcript_lines_keep_their_order_and_go_with_the_call() -> None:
    with session_scope() as session:
        call = CallRecord(call_sid="CA-lines", channel="phone", started_at=T0)
        call.lines = [
            CallTranscriptLine(seq=1, speaker="assistant", text="Hello", at=T0),
            CallTranscriptLine(seq=0, speaker="user", text="Hi", at=T0),
        ]
        session.add(call)
    with session_scope() as session:
        loaded = session.scalars(select(CallRecord)).one()
        assert [line.text for line in loaded.lines] == ["Hi", "Hello"]
        session.delete(loaded)
    with session_scope() as session:
        assert session.scalars(select(CallTranscriptLine)).all() == []


def test_health_member_links_at_most_one_user() -> None:
    user = _add_user()
    with session_scope() as session:
        plan = HealthPlan(
            code="P",
            name="P",
            plan_type="ppo",
            deductible_individual_cents=1,
            deductible_family_cents=1,
            oop_max_individual_cents=1,
            oop_max_family_cents=1,
        )
        session.add(plan)
        session.flush()
        session.add(
            HealthMember(
                user_id=user,
                member_number="M1",
                plan_id=plan.id,
                first_name="A",
                last_name="B",
                date_of_birth=date(1990, 1, 1),
                coverage_start=date(2026, 1, 1),
            )
        )
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(
            HealthMember(
                user_id=user,
                member_number="M2",
                plan_id=plan.id,
                first_name="A",
                last_name="B",
                date_of_birth=date(1990, 1, 1),
                coverage_start=date(2026, 1, 1),
            )
        )


def _hanok(session: Session) -> tuple[DiningTable, MenuItem]:
    restaurant = Restaurant(
        id="hanok",
        name="Hanok",
        timezone="America/Los_Angeles",
        opening_hours={"mon": [["11:30", "22:00"]]},
    )
    table = DiningTable(label="T4-1", capacity=4)
    item = MenuItem(id="bulgogi", name="Bulgogi", name_ko="불고기", price_cents=2400)
    restaurant.tables = [table]
    restaurant.menu_items = [item]
    session.add(restaurant)
    session.flush()
    return table, item


def _reservation(code: str, start: datetime, table: DiningTable) -> Reservation:
    end = start + timedelta(hours=2)
    reservation = Reservation(
        confirmation_code=code,
        guest_name="Kim",
        guest_phone_e164="+14155550123",
        party_size=4,
        starts_at=start,
        ends_at=end,
        seating_status="allocated",
    )
    reservation.tables = [ReservationTable(table_id=table.id, starts_at=start, ends_at=end)]
    return reservation


def test_reservation_table_overlap_is_one_indexed_query() -> None:
    with session_scope() as session:
        table, item = _hanok(session)
        booked = _reservation("HNK-AAAA", T0, table)
        booked.preorder_lines = [
            PreorderLine(menu_item_id=item.id, quantity=2, unit_price_cents=item.price_cents)
        ]
        session.add(booked)
    with session_scope() as session:
        opening = session.get(Restaurant, "hanok")
        assert opening is not None and opening.opening_hours == {"mon": [["11:30", "22:00"]]}

        def busy(start: datetime, end: datetime) -> list[str]:
            rows = session.scalars(
                select(ReservationTable.table_id).where(
                    ReservationTable.table_id == table.id,
                    ReservationTable.starts_at < end,
                    ReservationTable.ends_at > start,
                )
            )
            return list(rows)

        assert busy(T0 + timedelta(hours=1), T0 + timedelta(hours=3)) == [table.id]
        assert busy(T0 + timedelta(hours=2), T0 + timedelta(hours=4)) == []
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(_reservation("HNK-AAAA", T0 + timedelta(days=1), table))


def test_menu_items_in_use_cannot_be_deleted() -> None:
    with session_scope() as session:
        table, item = _hanok(session)
        booked = _reservation("HNK-BBBB", T0, table)
        booked.preorder_lines = [PreorderLine(menu_item_id=item.id, quantity=1, unit_price_cents=1)]
        session.add(booked)
    with pytest.raises(IntegrityError), session_scope() as session:
        session.execute(delete(MenuItem))
    with session_scope() as session:
        session.execute(delete(Reservation))  # cascades to its lines and tables
        assert session.scalars(select(PreorderLine)).all() == []
        assert session.scalars(select(ReservationTable)).all() == []
