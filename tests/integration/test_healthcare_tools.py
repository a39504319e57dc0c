"""The twenty-two healthcare payer tools through the registry, on SQLite and PostgreSQL.

Alice and Bob are members of the same plan; Carol is a user with no membership. The clock
is fixed at 2026-01-05, so plan year 2026 has just begun.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import (
    CareProgram,
    CareProgramEnrollment,
    Claim,
    ClaimLine,
    HealthMember,
    HealthPlan,
    MemberAccumulator,
    PlanBenefit,
    PriorAuthorization,
    Provider,
    User,
)
from convonet.domain.healthcare import NO_MEMBER, UNKNOWN_AUTH, UNKNOWN_CLAIM
from convonet.state.local import LocalStateStore
from convonet.tools import ToolContext, ToolResult, get_registry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Not a real hash: these users never sign in, and hashing would cost ~50 ms each.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$placeholder"
PCP_NPI, ORTHO_NPI, IMAGING_NPI, CARDIO_NPI, OUT_NPI = (
    "1649283750",
    "1831456902",
    "1972035418",
    "1265874309",
    "1000000009",
)
SIDE_EFFECTS = {"file_claim_appeal", "submit_prior_auth", "enroll_care_program"}
# Valid arguments for every tool (used where only the caller differs).
SAMPLE_ARGS: dict[str, dict[str, Any]] = {
    "check_eligibility": {},
    "get_coverage_dates": {},
    "search_claims": {},
    "get_claim_status": {"claim_number": "CLM-A1"},
    "get_claim_details": {"claim_number": "CLM-A1"},
    "file_claim_appeal": {"claim_number": "CLM-A3", "reason": "The visit was billed once."},
    "get_eob": {"claim_number": "CLM-A1"},
    "get_benefits_summary": {},
    "check_benefit_coverage": {"service_type": "urgent_care"},
    "get_deductible_status": {},
    "get_out_of_pocket_status": {},
    "get_copay_info": {"service_type": "specialist_visit"},
    "check_prior_auth_required": {"procedure_code": "72148"},
    "submit_prior_auth": {"procedure_code": "73721", "provider_npi": IMAGING_NPI},
    "get_prior_auth_status": {"auth_number": "PA-A1"},
    "list_prior_auths": {},
    "search_providers": {"specialty": "cardiology"},
    "check_provider_network": {"npi": PCP_NPI},
    "get_provider_details": {"npi": PCP_NPI},
    "get_care_programs": {},
    "enroll_care_program": {"program_id": "back-care"},
    "get_preventive_care": {},
}


@dataclass(frozen=True)
class Payer:
    alice: str
    bob: str
    carol: str


@pytest.fixture
def payer(migrated_db: str, clock: FakeClock, use_local_state: LocalStateStore) -> Payer:
    with session_scope() as session:
        users = [
            User(email=f"{name}@example.com", password_hash=PASSWORD_HASH, display_name=name)
            for name in ("alice", "bob", "carol")
        ]
        session.add_all(users)
        session.flush()
        _seed(session, users[0].id, users[1].id, clock.now())
        return Payer(*(u.id for u in users))


def _seed(session: Session, alice_user: str, bob_user: str, now: datetime) -> None:
    plan = HealthPlan(
        code="TEST-PPO",
        name="Test Gold PPO",
        plan_type="ppo",
        metal_tier="gold",
        deductible_individual_cents=150_000,
        deductible_family_cents=300_000,
        oop_max_individual_cents=450_000,
        oop_max_family_cents=900_000,
        benefits=[
            PlanBenefit(
                service_type="preventive_care",
                description="Annual physical and screenings",
                in_network_copay_cents=0,
                deductible_applies=False,
            ),
            PlanBenefit(
                service_type="primary_care",
                description="Primary care office visit",
                in_network_copay_cents=2_500,
                out_of_network_coinsurance_pct=40,
            ),
            PlanBenefit(
                service_type="specialist_visit",
                description="Specialist office visit",
                in_network_copay_cents=5_000,
                out_of_network_coinsurance_pct=40,
                deductible_applies=False,
            ),
            PlanBenefit(
                service_type="urgent_care",
                description="Urgent care centre visit",
                in_network_copay_cents=7_500,
            ),
            PlanBenefit(
                service_type="advanced_imaging",
                description="MRI, CT and PET scans",
                in_network_coinsurance_pct=20,
                out_of_network_coinsurance_pct=40,
                requires_prior_auth=True,
            ),
        ],
    )
    pcp, ortho, imaging, cardio, outside = (
        Provider(npi=PCP_NPI, name="Dr. Grace Park", specialty="family_medicine",
                 city="San Francisco", postal_code="94110", address="2100 Mission St",
                 state="CA", phone_e164="+14155550121"),
        Provider(npi=ORTHO_NPI, name="Dr. Luis Romero", specialty="orthopedics",
                 city="San Francisco", postal_code="94108"),
        Provider(npi=IMAGING_NPI, name="Golden Gate Imaging", specialty="radiology",
                 city="San Francisco", postal_code="94118"),
        Provider(npi=CARDIO_NPI, name="Dr. Aisha Bello", specialty="cardiology",
                 city="Oakland", postal_code="94609", accepting_new_patients=False),
        Provider(npi=OUT_NPI, name="Dr. Out Of Network", specialty="cardiology",
                 city="San Francisco", postal_code="94110", in_network=False),
    )  # fmt: skip
    programs = [
        CareProgram(code="back-care", name="Back Care", description="Guided therapy",
                    category="musculoskeletal", eligibility={"diagnosis_prefixes": ["M54"]}),
        CareProgram(code="diabetes-management", name="Diabetes Management",
                    description="Coaching", category="chronic_condition",
                    eligibility={"diagnosis_prefixes": ["E11"]}),
        CareProgram(code="wellness-coaching", name="Wellness Coaching",
                    description="Monthly sessions", category="wellness"),
    ]  # fmt: skip
    session.add_all([plan, pcp, ortho, imaging, cardio, outside, *programs])
    session.flush()
    today = now.date()
    alice = HealthMember(
        user_id=alice_user,
        member_number="M-ALICE",
        plan_id=plan.id,
        first_name="Alice",
        last_name="Ng",
        date_of_birth=date(1980, 6, 1),
        coverage_start=date(2025, 1, 1),
        coverage_end=date(2026, 12, 31),
        pcp_provider_id=pcp.id,
    )
    bob = HealthMember(
        user_id=bob_user,
        member_number="M-BOB",
        plan_id=plan.id,
        first_name="Bob",
        last_name="Diaz",
        date_of_birth=date(1990, 2, 2),
        coverage_start=date(2025, 6, 1),
    )
    session.add_all([alice, bob])
    session.flush()
    session.add_all(
        [
            _claim("CLM-A1", alice, pcp, today - timedelta(days=200), "paid", ["Z00.00"],
                   [("99396", 26_000, 0), ("80053", 6_000, 0)], now),
            _claim("CLM-A2", alice, imaging, today - timedelta(days=12), "in_review", ["M54.50"],
                   [("72148", 185_000, None)], now),
            _claim("CLM-A3", alice, ortho, today - timedelta(days=20), "denied", ["M54.50"],
                   [("99204", 48_000, 48_000)], now, denial_reason="Billed twice."),
            _claim("CLM-B1", bob, ortho, today - timedelta(days=30), "denied", ["E11.9"],
                   [("99213", 15_000, 15_000)], now, denial_reason="Not covered."),
            MemberAccumulator(member_id=alice.id, plan_year=2026, deductible_met_cents=45_000,
                              deductible_limit_cents=150_000, oop_met_cents=60_000,
                              oop_limit_cents=450_000),
            MemberAccumulator(member_id=alice.id, plan_year=2025, deductible_met_cents=150_000,
                              deductible_limit_cents=150_000, oop_met_cents=300_000,
                              oop_limit_cents=450_000),
            PriorAuthorization(auth_number="PA-A1", member_id=alice.id, provider_id=imaging.id,
                               procedure_code="72148", status="approved",
                               requested_at=now - timedelta(days=16),
                               valid_from=today - timedelta(days=14),
                               valid_until=today + timedelta(days=76)),
            PriorAuthorization(auth_number="PA-B1", member_id=bob.id, provider_id=imaging.id,
                               procedure_code="70553", status="pending_review",
                               requested_at=now - timedelta(days=2)),
            CareProgramEnrollment(member_id=bob.id, program_id=programs[2].id,
                                  status="enrolled", enrolled_at=now - timedelta(days=9)),
        ]
    )  # fmt: skip


def _claim(
    number: str,
    member: HealthMember,
    provider: Provider,
    served: date,
    status: str,
    diagnoses: list[str],
    lines: list[tuple[str, int, int | None]],
    now: datetime,
    denial_reason: str | None = None,
) -> Claim:
    processed = status != "in_review"
    billed = sum(amount for _, amount, _ in lines)
    owed = sum(o or 0 for _, _, o in lines) if processed else None
    return Claim(
        claim_number=number,
        member_id=member.id,
        provider_id=provider.id,
        service_date=served,
        received_at=now - timedelta(days=3),
        status=status,
        diagnosis_codes=diagnoses,
        billed_cents=billed,
        allowed_cents=(billed - (owed or 0)) if processed else None,
        plan_paid_cents=(billed - (owed or 0)) if processed else None,
        member_responsibility_cents=owed,
        denial_reason=denial_reason,
        lines=[
            ClaimLine(
                line_number=i,
                procedure_code=code,
                description=f"Service {code}",
                billed_cents=amount,
                member_responsibility_cents=you_owe,
            )
            for i, (code, amount, you_owe) in enumerate(lines, start=1)
        ],
    )


def call(user_id: str, tool: str, args: dict[str, Any]) -> ToolResult:
    return get_registry().call(ToolContext(user_id=user_id), tool, args)


def ok(user_id: str, tool: str, args: dict[str, Any]) -> Any:
    outcome = call(user_id, tool, args)
    assert outcome.status == "ok", outcome.error
    return outcome.result


def error(user_id: str, tool: str, args: dict[str, Any]) -> dict[str, str]:
    outcome = call(user_id, tool, args)
    assert outcome.status == "error", outcome.result
    assert outcome.error is not None
    return outcome.error


def test_registry_holds_the_twenty_two_tools() -> None:
    tools = {t.name: t for t in get_registry().tools(["healthcare"])}
    assert set(tools) == set(SAMPLE_ARGS)
    assert {n for n, t in tools.items() if t.side_effects} == SIDE_EFFECTS
    for tool in tools.values():
        schema = tool.json_schema()
        assert schema["additionalProperties"] is False
        assert not {"member_id", "user_id"} & set(schema.get("properties", {}))


def test_eligibility_and_coverage_dates(payer: Payer) -> None:
    eligibility = ok(payer.alice, "check_eligibility", {})
    assert eligibility == {
        "member_number": "M-ALICE",
        "name": "Alice Ng",
        "eligible": True,
        "coverage_status": "active",
        "plan": {"code": "TEST-PPO", "name": "Test Gold PPO", "type": "PPO"},
        "coverage_start": "2025-01-01",
        "coverage_end": "2026-12-31",
        "primary_care_provider": "Dr. Grace Park",
    }
    dates = ok(payer.alice, "get_coverage_dates", {})
    assert dates["days_remaining"] == 360
    assert ok(payer.bob, "get_coverage_dates", {})["coverage_end"] is None


def test_ended_coverage_is_not_eligible(payer: Payer, clock: FakeClock) -> None:
    clock.advance(timedelta(days=400).total_seconds())
    eligibility = ok(payer.alice, "check_eligibility", {})
    assert (eligibility["eligible"], eligibility["coverage_status"]) == (False, "ended")
    problem = error(payer.alice, "submit_prior_auth", SAMPLE_ARGS["submit_prior_auth"])
    assert problem["kind"] == "invalid" and "coverage" in problem["message"]


def test_claims_search_status_details_and_eob(payer: Payer) -> None:
    found = ok(payer.alice, "search_claims", {})
    assert found["total"] == 3
    assert [c["claim_number"] for c in found["claims"]] == ["CLM-A2", "CLM-A3", "CLM-A1"]
    denied = ok(payer.alice, "search_claims", {"status": "denied"})
    assert [c["claim_number"] for c in denied["claims"]] == ["CLM-A3"]
    recent = ok(payer.alice, "search_claims", {"date_from": "2025-12-01", "limit": 1})
    assert (recent["total"], len(recent["claims"])) == (2, 1)
    problem = error(
        payer.alice, "search_claims", {"date_from": "2026-01-01", "date_to": "2025-01-01"}
    )
    assert problem["kind"] == "invalid"

    status = ok(payer.alice, "get_claim_status", {"claim_number": "clm-a3"})
    assert status["status"] == "denied"
    assert status["denial_reason"] == "Billed twice."
    assert status["you_owe"] == {"cents": 48_000, "formatted": "$480"}

    details = ok(payer.alice, "get_claim_details", {"claim_number": "CLM-A1"})
    assert details["provider_npi"] == PCP_NPI
    assert details["diagnosis_codes"] == ["Z00.00"]
    assert [(line["procedure_code"], line["billed"]["formatted"]) for line in details["lines"]] == [
        ("99396", "$260"),
        ("80053", "$60"),
    ]

    eob = ok(payer.alice, "get_eob", {"claim_number": "CLM-A1"})
    assert eob["available"] is True
    assert eob["plan_paid"] == {"cents": 32_000, "formatted": "$320"}
    assert eob["you_owe"]["formatted"] == "$0"
    pending = ok(payer.alice, "get_eob", {"claim_number": "CLM-A2"})
    assert (pending["available"], pending["status"]) == (False, "in_review")


def test_appeal_a_denied_claim(payer: Payer) -> None:
    args = SAMPLE_ARGS["file_claim_appeal"]
    first = call(payer.alice, "file_claim_appeal", args)
    assert first.status == "ok"
    assert first.result["status"] == "appealed"
    assert first.result["decision_expected_by"] == "2026-03-06"
    replay = call(payer.alice, "file_claim_appeal", args)
    assert (replay.replayed, replay.result) == (True, first.result)

    again = error(
        payer.alice, "file_claim_appeal", {"claim_number": "CLM-A3", "reason": "Second try."}
    )
    assert again["kind"] == "conflict"
    paid = error(
        payer.alice, "file_claim_appeal", {"claim_number": "CLM-A1", "reason": "Too expensive."}
    )
    assert paid["kind"] == "invalid" and "not denied" in paid["message"]
    assert (
        ok(payer.alice, "get_claim_status", {"claim_number": "CLM-A3"})["appeal_reason"]
        == (args["reason"])
    )


def test_benefits_copays_and_accumulators(payer: Payer) -> None:
    summary = ok(payer.alice, "get_benefits_summary", {})
    assert summary["deductible_individual"]["formatted"] == "$1,500"
    assert [b["service_type"] for b in summary["benefits"]] == [
        "advanced_imaging",
        "preventive_care",
        "primary_care",
        "specialist_visit",
        "urgent_care",
    ]
    coverage = ok(payer.alice, "check_benefit_coverage", {"service_type": "Urgent care"})
    assert (coverage["service_type"], coverage["copay"]["formatted"]) == ("urgent_care", "$75")
    copay = ok(payer.alice, "get_copay_info", {"service_type": "specialist"})
    assert copay["in_network_copay"] == {"cents": 5_000, "formatted": "$50"}
    assert copay["out_of_network_coinsurance_pct"] == 40
    unknown = error(payer.alice, "get_copay_info", {"service_type": "acupuncture"})
    assert unknown["kind"] == "not_found" and "urgent care" in unknown["message"]

    deductible = ok(payer.alice, "get_deductible_status", {})
    assert deductible["plan_year"] == 2026
    assert deductible["remaining"] == {"cents": 105_000, "formatted": "$1,050"}
    assert (deductible["percent_met"], deductible["fully_met"]) == (30, False)
    oop = ok(payer.alice, "get_out_of_pocket_status", {})
    assert (oop["met"]["formatted"], oop["remaining"]["formatted"]) == ("$600", "$3,900")
    fresh = ok(payer.bob, "get_deductible_status", {})
    assert (fresh["met"]["cents"], fresh["limit"]["formatted"]) == (0, "$1,500")


def test_prior_authorisation(payer: Payer) -> None:
    mri = ok(payer.alice, "check_prior_auth_required", {"procedure_code": "72148"})
    assert (mri["service_type"], mri["required"]) == ("advanced_imaging", True)
    assert mri["existing_approval"]["auth_number"] == "PA-A1"
    visit = ok(payer.alice, "check_prior_auth_required", {"procedure_code": "99213"})
    assert (visit["service_type"], visit["required"]) == ("primary_care", False)
    assert ok(payer.alice, "check_prior_auth_required", {"service_type": "advanced imaging"})[
        "required"
    ]
    unknown = ok(payer.alice, "check_prior_auth_required", {"procedure_code": "12345"})
    assert unknown["required"] is None
    assert error(payer.alice, "check_prior_auth_required", {})["kind"] == "invalid"

    args = {
        "procedure_code": "73721",
        "provider_npi": IMAGING_NPI,
        "diagnosis_code": "M25.561",
        "procedure_description": "MRI knee",
        "is_urgent": True,
    }
    submitted = call(payer.alice, "submit_prior_auth", args)
    assert submitted.status == "ok"
    auth = submitted.result
    assert auth["status"] == "submitted" and auth["auth_number"].startswith("PA-")
    assert auth["decision_expected_by"] == "2026-01-08T17:00:00+00:00"
    assert call(payer.alice, "submit_prior_auth", args).result == auth  # replayed
    duplicate = error(payer.alice, "submit_prior_auth", {**args, "clinical_notes": "Swelling."})
    assert duplicate["kind"] == "conflict" and auth["auth_number"] in duplicate["message"]
    nowhere = error(payer.alice, "submit_prior_auth", {**args, "provider_npi": "1111111111"})
    assert nowhere["kind"] == "not_found"

    status = ok(payer.alice, "get_prior_auth_status", {"auth_number": auth["auth_number"]})
    assert (status["procedure_description"], status["is_urgent"]) == ("MRI knee", True)
    listed = ok(payer.alice, "list_prior_auths", {})["prior_authorizations"]
    assert [a["auth_number"] for a in listed] == [auth["auth_number"], "PA-A1"]
    approved = ok(payer.alice, "list_prior_auths", {"status": "approved"})
    assert [a["auth_number"] for a in approved["prior_authorizations"]] == ["PA-A1"]


def test_providers(payer: Payer) -> None:
    cardiology = ok(payer.alice, "search_providers", {"specialty": "Cardiologist"})
    assert [p["name"] for p in cardiology["providers"]] == ["Dr. Aisha Bello"]
    assert cardiology["providers"][0]["accepting_new_patients"] is False
    everyone = ok(
        payer.alice, "search_providers", {"specialty": "cardiology", "in_network_only": False}
    )
    assert everyone["total"] == 2
    nearby = ok(payer.alice, "search_providers", {"specialty": "primary care", "zip_code": "94110"})
    assert [p["npi"] for p in nearby["providers"]] == [PCP_NPI]
    assert ok(payer.alice, "search_providers", {"specialty": "podiatry"})["providers"] == []

    network = ok(payer.alice, "check_provider_network", {"npi": OUT_NPI})
    assert (network["in_network"], network["name"]) == (False, "Dr. Out Of Network")
    details = ok(payer.alice, "get_provider_details", {"npi": PCP_NPI})
    assert details["address"] == "2100 Mission St, San Francisco, CA, 94110"
    assert details["phone"] == "+14155550121"
    missing = error(payer.alice, "get_provider_details", {"npi": "1111111111"})
    assert missing["kind"] == "not_found" and "1111111111" in missing["message"]


def test_care_programmes_and_enrolment(payer: Payer, clock: FakeClock) -> None:
    programs = {p["program_id"]: p for p in ok(payer.alice, "get_care_programs", {})["programs"]}
    assert programs["back-care"]["eligible"] is True  # M54 on Alice's claims
    assert programs["diabetes-management"]["eligible"] is False
    assert programs["wellness-coaching"]["enrollment_status"] is None  # Bob's, not Alice's

    enrolled = call(payer.alice, "enroll_care_program", {"program_id": "back-care"})
    assert enrolled.result == {
        "program_id": "back-care",
        "name": "Back Care",
        "status": "enrolled",
        "enrolled_at": clock.now().isoformat(),
    }
    assert call(payer.alice, "enroll_care_program", {"program_id": "back-care"}).replayed
    again = error(payer.alice, "enroll_care_program", {"program_id": "BACK-CARE"})
    assert again["kind"] == "conflict"
    not_eligible = error(payer.alice, "enroll_care_program", {"program_id": "diabetes-management"})
    assert not_eligible["kind"] == "invalid" and "doctor" in not_eligible["message"]
    assert error(payer.alice, "enroll_care_program", {"program_id": "yoga"})["kind"] == "not_found"
    after = {p["program_id"]: p for p in ok(payer.alice, "get_care_programs", {})["programs"]}
    assert after["back-care"]["enrollment_status"] == "enrolled"


def test_preventive_care(payer: Payer) -> None:
    care = ok(payer.alice, "get_preventive_care", {})
    assert care["age"] == 45
    assert "Colorectal cancer screening" in care["recommended"]
    assert "Lung cancer screening (current or former smokers)" not in care["recommended"]
    assert care["in_network_cost"] == {"cents": 0, "formatted": "$0"}
    assert (care["last_wellness_visit"], care["wellness_visit_due"]) == ("2025-06-19", False)
    bob = ok(payer.bob, "get_preventive_care", {})
    assert (bob["last_wellness_visit"], bob["wellness_visit_due"]) == (None, True)


def test_caller_without_membership_gets_a_clear_not_found(payer: Payer) -> None:
    for tool, args in SAMPLE_ARGS.items():
        assert error(payer.carol, tool, args) == {"kind": "not_found", "message": NO_MEMBER}, tool


def test_another_members_records_are_not_found(payer: Payer) -> None:
    for tool in ("get_claim_status", "get_claim_details", "get_eob"):
        problem = error(payer.alice, tool, {"claim_number": "CLM-B1"})
        assert problem == {"kind": "not_found", "message": UNKNOWN_CLAIM}, tool
    appeal = error(payer.alice, "file_claim_appeal", {"claim_number": "CLM-B1", "reason": "Mine!"})
    assert appeal["kind"] == "not_found"
    auth = error(payer.alice, "get_prior_auth_status", {"auth_number": "PA-B1"})
    assert auth == {"kind": "not_found", "message": UNKNOWN_AUTH}
    listed = ok(payer.alice, "list_prior_auths", {"status": "pending_review"})
    assert listed["prior_authorizations"] == []
    assert "CLM-B1" not in {
        c["claim_number"] for c in ok(payer.alice, "search_claims", {})["claims"]
    }
    for tool in ("search_claims", "check_eligibility", "get_deductible_status"):
        assert error(payer.alice, tool, {"member_id": "M-BOB"})["kind"] == "invalid", tool

    with session_scope() as session:
        claim = session.scalars(select(Claim).where(Claim.claim_number == "CLM-B1")).one()
        assert (claim.status, claim.appeal_reason) == ("denied", None)
        bob_enrolments = session.scalar(select(func.count()).select_from(CareProgramEnrollment))
        assert bob_enrolments == 1


@pytest.mark.parametrize(
    ("tool", "args", "where"),
    [
        ("search_claims", {"limit": 0}, "limit"),
        ("search_claims", {"status": "lost"}, "status"),
        ("search_claims", {"date_from": "yesterday"}, "date_from"),
        ("get_claim_status", {}, "claim_number"),
        ("get_claim_status", {"claim_number": "C" * 65}, "claim_number"),
        ("file_claim_appeal", {"claim_number": "CLM-A3", "reason": "no"}, "reason"),
        ("submit_prior_auth", {"procedure_code": "72148", "provider_npi": "123"}, "provider_npi"),
        ("submit_prior_auth", {"procedure_code": "7; DROP", "provider_npi": PCP_NPI}, "procedure"),
        ("check_prior_auth_required", {"diagnosis_code": "not-icd"}, "diagnosis_code"),
        ("search_providers", {"specialty": "cardiology", "zip_code": "9411%"}, "zip_code"),
        ("get_provider_details", {"npi": 1649283750}, "npi"),
        ("get_benefits_summary", {"member_id": "M-BOB"}, "member_id"),
    ],
)
def test_malformed_arguments_are_refused(
    tool: str, args: dict[str, Any], where: str, use_local_state: LocalStateStore
) -> None:
    problem = error("nobody", tool, args)
    assert problem["kind"] == "invalid"
    assert problem["message"].startswith(where)
