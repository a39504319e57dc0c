"""The mortgage domain's application CRUD, as the workspace REST routes use it."""

from __future__ import annotations

import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import MortgageApplication, User
from convonet.domain import mortgage
from convonet.domain.errors import Invalid, NotFound

# Not a real hash: these users never sign in, and hashing would cost ~50 ms each.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$placeholder"


@pytest.fixture
def users(migrated_db: str, clock: FakeClock) -> tuple[str, str]:
    with session_scope() as session:
        alice = User(email="alice@example.com", password_hash=PASSWORD_HASH, display_name="Alice")
        bob = User(email="bob@example.com", password_hash=PASSWORD_HASH, display_name="Bob")
        session.add_all([alice, bob])
        session.flush()
        return alice.id, bob.id


def test_create_list_get_update_delete(users: tuple[str, str], clock: FakeClock) -> None:
    alice, _ = users
    with session_scope() as session:
        created = mortgage.create_application(
            session, alice, loan_amount_cents=40_000_000, loan_type="fha"
        )
    assert created["status"] == "financial_review"
    assert created["loan_amount"] == {"cents": 40_000_000, "formatted": "$400,000"}
    assert created["loan_term_years"] == 30
    assert created["completion_percentage"] == 0

    clock.advance(60)
    with session_scope() as session:
        second = mortgage.create_application(session, alice)
        listed = mortgage.list_applications(session, alice)
    assert [a["id"] for a in listed] == [second["id"], created["id"]]
    assert second["status"] == "draft"

    with session_scope() as session:
        updated = mortgage.update_application(
            session,
            alice,
            created["id"],
            property_value_cents=50_000_000,
            down_payment_cents=10_000_000,
            annual_income_cents=12_000_000,
            monthly_debt_cents=50_000,
            credit_score=720,
        )
    assert updated["stages"]["financial_info_complete"] is True
    assert updated["completion_percentage"] == 33
    assert updated["status"] == "document_collection"

    with session_scope() as session:
        detail = mortgage.get_application(session, alice, created["id"])
    assert detail["debts"] == [] and detail["documents"] == []
    assert detail["annual_income"]["formatted"] == "$120,000"

    with session_scope() as session:
        mortgage.delete_application(session, alice, created["id"])
    with session_scope() as session:
        assert [a["id"] for a in mortgage.list_applications(session, alice)] == [second["id"]]
        with pytest.raises(NotFound):
            mortgage.get_application(session, alice, created["id"])


def test_another_users_application_is_not_found(users: tuple[str, str]) -> None:
    alice, bob = users
    with session_scope() as session:
        app_id = mortgage.create_application(session, alice, loan_type="va")["id"]
    with session_scope() as session:
        assert mortgage.list_applications(session, bob) == []
        for attempt in (
            lambda: mortgage.get_application(session, bob, app_id),
            lambda: mortgage.update_application(session, bob, app_id, credit_score=800),
            lambda: mortgage.delete_application(session, bob, app_id),
        ):
            with pytest.raises(NotFound) as raised:
                attempt()
            assert raised.value.message == mortgage.UNKNOWN_APPLICATION
    with session_scope() as session:
        kept = session.get(MortgageApplication, app_id)
        assert kept is not None and kept.credit_score is None


INVALID_FIELDS = [
    ({"credit_score": 200}, "credit_score"),
    ({"loan_amount_cents": -1}, "loan_amount_cents"),
    ({"loan_type": "balloon"}, "loan_type"),
    ({"owner_id": "someone-else"}, "owner_id"),
    ({"status": "approved"}, "status"),
]


def test_invalid_fields_are_refused(users: tuple[str, str]) -> None:
    alice, _ = users
    for fields, where in INVALID_FIELDS:
        with session_scope() as session, pytest.raises(Invalid) as raised:
            mortgage.create_application(session, alice, **fields)
        assert raised.value.message.startswith(where)


def test_cancelled_application_is_closed(users: tuple[str, str]) -> None:
    alice, _ = users
    with session_scope() as session:
        app_id = mortgage.create_application(session, alice)["id"]
        cancelled = mortgage.update_application(session, alice, app_id, status="cancelled")
        assert cancelled["status"] == "cancelled"
        with pytest.raises(Invalid, match="cancelled"):
            mortgage.update_application(session, alice, app_id, credit_score=700)
        with pytest.raises(Invalid, match="at least one"):
            mortgage.update_application(session, alice, app_id)


def test_null_status_means_no_change_and_bad_ids_are_not_found(users: tuple[str, str]) -> None:
    owner, _ = users
    with session_scope() as session:
        created = mortgage.create_application(session, owner, status=None, credit_score=700)
        updated = mortgage.update_application(
            session, owner, created["id"], status=None, credit_score=710
        )
        assert updated["status"] == created["status"]
        for bad_id in ("not-a-uuid", "x\x00y", "9" * 300):
            with pytest.raises(NotFound):
                mortgage.get_application(session, owner, bad_id)
        with pytest.raises(Invalid):
            mortgage.update_application(
                session, owner, created["id"], property_address="1 Main\x00St"
            )
