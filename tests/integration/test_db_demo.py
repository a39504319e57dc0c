"""Demo data: complete, idempotent, usable for sign-in, and refused in production."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from convonet.auth.passwords import verify_password
from convonet.auth.pins import pin_digest
from convonet.config import _DEV_DEFAULT_SECRETS, Settings
from convonet.db.engine import session_scope
from convonet.db.models import (
    CallRecord,
    Claim,
    DiningTable,
    HealthMember,
    KnowledgeArticle,
    MemberAccumulator,
    MenuItem,
    MortgageApplication,
    PriorAuthorization,
    Restaurant,
    Team,
    Todo,
    User,
)
from convonet.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoDataRefused, seed_demo_data
from sqlalchemy import func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
Configure = Callable[..., Settings]


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seeding_twice_is_a_no_op_the_second_time(migrated_db: str) -> None:
    with session_scope() as session:
        assert seed_demo_data(session) is True
    with session_scope() as session:
        counts = {model: _count(session, model) for model in (User, Todo, Claim, MenuItem)}
    with session_scope() as session:
        assert seed_demo_data(session) is False
    with session_scope() as session:
        assert {model: _count(session, model) for model in counts} == counts


def test_demo_accounts_sign_in_by_password_pin_and_phone(
    migrated_db: str, settings: Settings
) -> None:
    with session_scope() as session:
        seed_demo_data(session)
    with session_scope() as session:
        users = {user.email: user for user in session.scalars(select(User))}
        assert set(users) == {email for email, _ in DEMO_LOGINS}
        for user in users.values():
            assert verify_password(user.password_hash, DEMO_PASSWORD)
        digest = pin_digest("2468", settings.secret("pin_hash_secret"))
        by_pin = session.scalars(select(User).where(User.voice_pin_hash == digest)).one()
        assert by_pin.email == "demo@convonet.dev" and by_pin.display_name == "Demo User"
        assert by_pin.phone_e164 == "+14155550100" and by_pin.roles == ["user"]
        assert users["supervisor@convonet.dev"].roles == ["user", "supervisor"]
        agent = users["agent2001@convonet.dev"]
        assert agent.roles == ["user", "agent"] and agent.agent_extension == "2001"
        assert users["staff@convonet.dev"].roles == ["user", "staff"]


def test_every_domain_has_demo_data(migrated_db: str) -> None:
    with session_scope() as session:
        seed_demo_data(session)
    with session_scope() as session:
        demo = session.scalars(select(User).where(User.email == "demo@convonet.dev")).one()
        team = session.scalars(select(Team)).one()
        assert team.name == "Demo Team"
        assert {(m.user.email, m.role) for m in team.memberships} == {
            ("demo@convonet.dev", "owner"),
            ("supervisor@convonet.dev", "member"),
        }
        todos = session.scalars(select(Todo)).all()
        assert any(t.team_id for t in todos) and any(t.team_id is None for t in todos)

        application = session.scalars(select(MortgageApplication)).one()
        assert application.owner_id == demo.id and application.debts and application.documents

        member = session.scalars(select(HealthMember)).one()
        assert member.user_id == demo.id and member.plan.benefits
        claims = session.scalars(select(Claim).where(Claim.member_id == member.id)).all()
        assert claims and all(claim.lines for claim in claims)
        assert _count(session, MemberAccumulator) == 1 and _count(session, PriorAuthorization)

        hanok = session.get(Restaurant, "hanok")
        assert hanok is not None and hanok.timezone == "America/Los_Angeles"
        assert all(hours == [["11:30", "22:00"]] for hours in hanok.opening_hours.values())
        assert len(hanok.opening_hours) == 7
        capacities = Counter(t.capacity for t in session.scalars(select(DiningTable)))
        assert capacities == {4: 2, 6: 3, 8: 3, 10: 2}
        menu = {item.id: item for item in session.scalars(select(MenuItem))}
        assert len(menu) == 6 and {"bulgogi", "bibimbap", "kimchi-jjigae"} <= set(menu)
        assert all(item.name_ko and item.price_cents > 1000 for item in menu.values())

        domains = {a.domain for a in session.scalars(select(KnowledgeArticle))}
        assert {"restaurant", "mortgage", "healthcare"} <= domains
        call = session.scalars(select(CallRecord)).one()
        assert call.owner_id == demo.id and len(call.lines) >= 4


def test_existing_reference_data_is_kept(migrated_db: str) -> None:
    with session_scope() as session:
        session.add(Restaurant(id="hanok", name="Hanok (custom)", timezone="Asia/Seoul"))
    with session_scope() as session:
        assert seed_demo_data(session) is True
    with session_scope() as session:
        hanok = session.get(Restaurant, "hanok")
        assert hanok is not None and hanok.name == "Hanok (custom)"


def test_refused_in_production(sqlite_url: str, configure: Configure) -> None:
    # Production refuses every dev-default secret, so replace them all.
    secrets = {name: f"{name}-for-this-test-only-0123456789" for name in _DEV_DEFAULT_SECRETS}
    configure(
        CONVONET_ENV="prod",
        DATABASE_URL=sqlite_url,
        PUBLIC_BASE_URL="https://convonet.example",
        **secrets,
    )
    with pytest.raises(DemoDataRefused), session_scope() as session:
        seed_demo_data(session)


def test_seed_script_migrates_then_seeds_once(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path / "data"), "CONVONET_ENV": "dev"}
    script = [sys.executable, str(ROOT / "scripts" / "seed.py")]
    first = subprocess.run(script, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "migrated to revision" in first.stdout and "demo@convonet.dev" in first.stdout
    second = subprocess.run(script, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
