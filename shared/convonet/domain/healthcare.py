"""Healthcare payer: eligibility, claims, benefits, prior authorisation, providers, programmes.

Every function takes the session and the acting user's id and works on the one member record
linked to that user (`HealthMember.user_id`); there is no way to name another member. A claim,
authorisation or programme that is not the caller's is reported as not found. Results are
JSON-ready and short enough to read aloud: money as cents plus a formatted string, dates ISO.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.db.models import (
    CareProgram,
    CareProgramEnrollment,
    Claim,
    HealthMember,
    MemberAccumulator,
    PlanBenefit,
    PriorAuthorization,
    Provider,
)
from convonet.domain.errors import Conflict, Invalid, NotFound
from convonet.domain.mortgage import money

NO_MEMBER = "I couldn't find a health plan membership linked to your account."
UNKNOWN_CLAIM = "I couldn't find that claim on your membership. Could you check the claim number?"
UNKNOWN_AUTH = "I couldn't find that prior authorisation on your membership."
UNKNOWN_PROGRAM = "I couldn't find that care programme."

# Claims a member can still contest, and how long a post-service appeal decision may take.
APPEALABLE_CLAIM_STATUSES = ("denied",)
APPEAL_DECISION_DAYS = 60
PROCESSED_CLAIM_STATUSES = ("approved", "denied", "paid", "appealed")
OPEN_AUTH_STATUSES = ("submitted", "pending_review")
# Decision times for prior authorisation: expedited (urgent) and standard requests.
URGENT_AUTH_DECISION = timedelta(hours=72)
STANDARD_AUTH_DECISION = timedelta(days=14)

# CPT code ranges -> the plan's service categories (the codes a voice caller reads from a
# referral; anything else is answered as "ask your provider").
_CPT_SERVICE_TYPES: tuple[tuple[int, int, str], ...] = (
    (70450, 70498, "advanced_imaging"),
    (70540, 70559, "advanced_imaging"),
    (71250, 71275, "advanced_imaging"),
    (71550, 71555, "advanced_imaging"),
    (72125, 72159, "advanced_imaging"),
    (72191, 72198, "advanced_imaging"),
    (73200, 73225, "advanced_imaging"),
    (73700, 73725, "advanced_imaging"),
    (74150, 74185, "advanced_imaging"),
    (78608, 78816, "advanced_imaging"),
    (90832, 90853, "mental_health"),
    (97010, 97799, "physical_therapy"),
    (99202, 99215, "primary_care"),
    (99281, 99285, "emergency_room"),
    (99381, 99397, "preventive_care"),
)

# How callers name specialties -> the directory's specialty names.
_SPECIALTY_ALIASES = {
    "primary_care": "family_medicine",
    "family_doctor": "family_medicine",
    "pcp": "family_medicine",
    "cardiologist": "cardiology",
    "heart": "cardiology",
    "orthopedist": "orthopedics",
    "orthopedic": "orthopedics",
    "orthopaedics": "orthopedics",
    "radiologist": "radiology",
    "imaging": "radiology",
    "dermatologist": "dermatology",
    "pediatrician": "pediatrics",
}

# Age-based preventive services covered at no cost in network (USPSTF A/B grade summary).
_PREVENTIVE_SERVICES: tuple[tuple[str, int, int], ...] = (
    ("Annual wellness visit", 0, 120),
    ("Flu vaccine, every year", 0, 120),
    ("Blood pressure screening", 18, 120),
    ("Cervical cancer screening (women)", 21, 65),
    ("Diabetes screening", 35, 70),
    ("Cholesterol and statin check", 40, 75),
    ("Mammogram every two years (women)", 40, 74),
    ("Colorectal cancer screening", 45, 75),
    ("Lung cancer screening (current or former smokers)", 50, 80),
    ("Shingles vaccine", 50, 120),
)


def member_for_user(session: Session, user_id: str) -> HealthMember:
    member = session.scalars(select(HealthMember).where(HealthMember.user_id == user_id)).first()
    if member is None:
        raise NotFound(NO_MEMBER, code="member_not_found")
    return member


def check_eligibility(session: Session, user_id: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    today = _today()
    plan = member.plan
    return {
        "member_number": member.member_number,
        "name": f"{member.first_name} {member.last_name}",
        "eligible": member.is_covered_on(today) and plan.is_active,
        "coverage_status": _coverage_status(member, today),
        "plan": {"code": plan.code, "name": plan.name, "type": plan.plan_type.upper()},
        "coverage_start": member.coverage_start.isoformat(),
        "coverage_end": _iso(member.coverage_end),
        "primary_care_provider": member.pcp.name if member.pcp else None,
    }


def coverage_dates(session: Session, user_id: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    today = _today()
    end = member.coverage_end
    return {
        "coverage_start": member.coverage_start.isoformat(),
        "coverage_end": _iso(end),
        "coverage_status": _coverage_status(member, today),
        "days_remaining": (end - today).days if end and end >= today else None,
    }


def search_claims(
    session: Session,
    user_id: str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    status: str | None = None,
    limit: int = 10,
) -> dict[str, Any]:
    """The member's claims, newest service first, optionally by service dates and status."""
    member = member_for_user(session, user_id)
    if date_from and date_to and date_from > date_to:
        raise Invalid("The start date is after the end date.", code="invalid_dates")
    query = select(Claim).where(Claim.member_id == member.id)
    if date_from:
        query = query.where(Claim.service_date >= date_from)
    if date_to:
        query = query.where(Claim.service_date <= date_to)
    if status:
        query = query.where(Claim.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Claim.service_date.desc(), Claim.claim_number).limit(limit)
    )
    return {"total": total, "claims": [_claim_summary(c) for c in rows]}


def claim_status(session: Session, user_id: str, claim_number: str) -> dict[str, Any]:
    return _claim_status(_member_claim(session, user_id, claim_number))


def claim_details(session: Session, user_id: str, claim_number: str) -> dict[str, Any]:
    """The claim with its service lines, as the provider billed them and the plan priced them."""
    claim = _member_claim(session, user_id, claim_number)
    return {
        **_claim_status(claim),
        "diagnosis_codes": list(claim.diagnosis_codes),
        "provider_npi": claim.provider.npi if claim.provider else None,
        "lines": [
            {
                "line": line.line_number,
                "procedure_code": line.procedure_code,
                "description": line.description,
                "units": line.units,
                "billed": money(line.billed_cents),
                "allowed": money(line.allowed_cents),
                "plan_paid": money(line.plan_paid_cents),
                "you_owe": money(line.member_responsibility_cents),
            }
            for line in claim.lines
        ],
    }


def file_appeal(session: Session, user_id: str, claim_number: str, reason: str) -> dict[str, Any]:
    """Appeals a denied claim; the plan then reviews it again."""
    claim = _member_claim(session, user_id, claim_number)
    if claim.status == "appealed":
        raise Conflict(
            f"Claim {claim.claim_number} has already been appealed; the appeal is under review.",
            code="already_appealed",
        )
    if claim.status not in APPEALABLE_CLAIM_STATUSES:
        raise Invalid(
            f"Claim {claim.claim_number} is {claim.status.replace('_', ' ')}, not denied, "
            "so there is nothing to appeal yet.",
            code="not_appealable",
        )
    claim.status = "appealed"
    claim.appeal_reason = reason
    session.flush()
    return {
        "claim_number": claim.claim_number,
        "status": claim.status,
        "appeal_reason": reason,
        "decision_expected_by": (_today() + timedelta(days=APPEAL_DECISION_DAYS)).isoformat(),
    }


def explanation_of_benefits(session: Session, user_id: str, claim_number: str) -> dict[str, Any]:
    """The EOB: what was billed, what the plan allowed and paid, and what the member owes."""
    claim = _member_claim(session, user_id, claim_number)
    if claim.status not in PROCESSED_CLAIM_STATUSES:
        return {
            "claim_number": claim.claim_number,
            "available": False,
            "status": claim.status,
            "message": "The explanation of benefits is ready once the claim is processed.",
        }
    return {
        "claim_number": claim.claim_number,
        "available": True,
        "status": claim.status,
        "service_date": claim.service_date.isoformat(),
        "provider": claim.provider.name if claim.provider else None,
        "billed": money(claim.billed_cents),
        "allowed": money(claim.allowed_cents),
        "plan_paid": money(claim.plan_paid_cents),
        "you_owe": money(claim.member_responsibility_cents),
        "denial_reason": claim.denial_reason,
    }


def benefits_summary(session: Session, user_id: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    plan = member.plan
    return {
        "plan": plan.name,
        "plan_type": plan.plan_type.upper(),
        "deductible_individual": money(plan.deductible_individual_cents),
        "deductible_family": money(plan.deductible_family_cents),
        "out_of_pocket_max_individual": money(plan.oop_max_individual_cents),
        "out_of_pocket_max_family": money(plan.oop_max_family_cents),
        "benefits": [_benefit_dict(b) for b in _sorted_benefits(member)],
    }


def benefit_coverage(session: Session, user_id: str, service_type: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    benefit = _plan_benefit(member, service_type)
    return {**_benefit_dict(benefit), "description": benefit.description}


def copay_info(session: Session, user_id: str, service_type: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    benefit = _plan_benefit(member, service_type)
    return {
        "service_type": benefit.service_type,
        "covered": benefit.covered,
        "in_network_copay": money(benefit.in_network_copay_cents),
        "in_network_coinsurance_pct": benefit.in_network_coinsurance_pct,
        "out_of_network_coinsurance_pct": benefit.out_of_network_coinsurance_pct,
        "deductible_applies": benefit.deductible_applies,
    }


def deductible_status(session: Session, user_id: str) -> dict[str, Any]:
    totals = _accumulator(session, member_for_user(session, user_id))
    return {
        "plan_year": totals.plan_year,
        **_progress(totals.deductible_met_cents, totals.deductible_limit_cents),
    }


def out_of_pocket_status(session: Session, user_id: str) -> dict[str, Any]:
    totals = _accumulator(session, member_for_user(session, user_id))
    return {
        "plan_year": totals.plan_year,
        **_progress(totals.oop_met_cents, totals.oop_limit_cents),
    }


def prior_auth_required(
    session: Session,
    user_id: str,
    *,
    procedure_code: str | None = None,
    service_type: str | None = None,
    diagnosis_code: str | None = None,
) -> dict[str, Any]:
    """Whether the member's plan needs approval before this procedure or service."""
    member = member_for_user(session, user_id)
    if not procedure_code and not service_type:
        raise Invalid(
            "Tell me the procedure code or the kind of service, and I'll check.",
            code="procedure_required",
        )
    category = service_type or _service_type_for_code(procedure_code or "")
    if category is None:
        return {
            "procedure_code": procedure_code,
            "required": None,
            "message": "I can't tell for that procedure code; the provider's office can "
            "confirm with the plan before scheduling.",
        }
    benefit = _plan_benefit(member, category)
    result: dict[str, Any] = {
        "procedure_code": procedure_code,
        "service_type": benefit.service_type,
        "diagnosis_code": diagnosis_code,
        "required": benefit.requires_prior_auth,
    }
    if procedure_code:
        existing = _active_approval(session, member, procedure_code)
        result["existing_approval"] = _auth_summary(existing) if existing else None
    return result


def submit_prior_auth(
    session: Session,
    user_id: str,
    *,
    procedure_code: str,
    provider_npi: str,
    diagnosis_code: str | None = None,
    procedure_description: str | None = None,
    clinical_notes: str | None = None,
    is_urgent: bool = False,
) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    if not member.is_covered_on(_today()):
        raise Invalid(
            "Your coverage isn't active today, so a prior authorisation can't be submitted.",
            code="not_covered",
        )
    provider = _provider(session, provider_npi)
    open_request = session.scalars(
        select(PriorAuthorization).where(
            PriorAuthorization.member_id == member.id,
            PriorAuthorization.procedure_code == procedure_code,
            PriorAuthorization.provider_id == provider.id,
            PriorAuthorization.status.in_(OPEN_AUTH_STATUSES),
        )
    ).first()
    if open_request is not None:
        raise Conflict(
            f"A request for this procedure with this provider is already open: "
            f"{open_request.auth_number}.",
            code="auth_already_open",
        )
    now = get_clock().now()
    auth = PriorAuthorization(
        auth_number=f"PA-{secrets.token_hex(4).upper()}",
        member_id=member.id,
        provider_id=provider.id,
        procedure_code=procedure_code,
        procedure_description=procedure_description,
        diagnosis_code=diagnosis_code,
        clinical_notes=clinical_notes,
        is_urgent=is_urgent,
        status="submitted",
        requested_at=now,
    )
    session.add(auth)
    session.flush()
    wait = URGENT_AUTH_DECISION if is_urgent else STANDARD_AUTH_DECISION
    return {**_auth_summary(auth), "decision_expected_by": (now + wait).isoformat()}


def prior_auth_status(session: Session, user_id: str, auth_number: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    ref = auth_number.strip()
    auth = session.scalars(
        select(PriorAuthorization).where(
            PriorAuthorization.member_id == member.id,
            or_(PriorAuthorization.auth_number == ref.upper(), PriorAuthorization.id == ref),
        )
    ).first()
    if auth is None:
        raise NotFound(UNKNOWN_AUTH, code="auth_not_found")
    return {
        **_auth_summary(auth),
        "decision_reason": auth.decision_reason,
        "approved_units": auth.approved_units,
    }


def list_prior_auths(
    session: Session, user_id: str, *, status: str | None = None
) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    query = select(PriorAuthorization).where(PriorAuthorization.member_id == member.id)
    if status:
        query = query.where(PriorAuthorization.status == status)
    rows = session.scalars(query.order_by(PriorAuthorization.requested_at.desc()))
    return {"prior_authorizations": [_auth_summary(a) for a in rows]}


def search_providers(
    session: Session,
    user_id: str,
    *,
    specialty: str,
    zip_code: str | None = None,
    in_network_only: bool = True,
    limit: int = 10,
) -> dict[str, Any]:
    """Providers by specialty, those in the caller's ZIP code first, then nearby (same area)."""
    member_for_user(session, user_id)
    wanted = _normalise(specialty)
    wanted = _SPECIALTY_ALIASES.get(wanted, wanted)
    query = select(Provider).where(func.lower(Provider.specialty).contains(wanted, autoescape=True))
    if in_network_only:
        query = query.where(Provider.in_network.is_(True))
    if zip_code:
        query = query.where(Provider.postal_code.startswith(zip_code[:3], autoescape=True))
    rows = list(session.scalars(query.order_by(Provider.name)))
    if zip_code:
        rows.sort(key=lambda p: p.postal_code != zip_code)
    return {"providers": [_provider_summary(p) for p in rows[:limit]], "total": len(rows)}


def provider_network(session: Session, user_id: str, npi: str) -> dict[str, Any]:
    member_for_user(session, user_id)
    provider = _provider(session, npi)
    return {
        "npi": provider.npi,
        "name": provider.name,
        "in_network": provider.in_network,
        "accepting_new_patients": provider.accepting_new_patients,
    }


def provider_details(session: Session, user_id: str, npi: str) -> dict[str, Any]:
    member_for_user(session, user_id)
    provider = _provider(session, npi)
    address = ", ".join(
        part
        for part in (provider.address, provider.city, provider.state, provider.postal_code)
        if part
    )
    return {
        **_provider_summary(provider),
        "organization": provider.organization,
        "address": address or None,
    }


def care_programs(session: Session, user_id: str) -> dict[str, Any]:
    """Active programmes, with whether the caller qualifies and is enrolled."""
    member = member_for_user(session, user_id)
    diagnoses = _member_diagnoses(session, member)
    enrolment = _enrolments(session, member)
    programs = session.scalars(
        select(CareProgram).where(CareProgram.is_active.is_(True)).order_by(CareProgram.name)
    )
    return {
        "programs": [
            {
                "program_id": p.code,
                "name": p.name,
                "description": p.description,
                "category": p.category,
                "eligible": _qualifies(p, diagnoses),
                "enrollment_status": enrolment.get(p.id),
            }
            for p in programs
        ]
    }


def enroll_care_program(session: Session, user_id: str, program_id: str) -> dict[str, Any]:
    member = member_for_user(session, user_id)
    ref = program_id.strip()
    program = session.scalars(
        select(CareProgram).where(
            CareProgram.is_active.is_(True),
            or_(CareProgram.code == ref.lower(), CareProgram.id == ref),
        )
    ).first()
    if program is None:
        raise NotFound(UNKNOWN_PROGRAM, code="program_not_found")
    if not _qualifies(program, _member_diagnoses(session, member)):
        raise Invalid(
            f"{program.name} is for members with a qualifying diagnosis, and none is on your "
            "claims yet. Your doctor can refer you.",
            code="not_eligible",
        )
    enrolment = session.scalars(
        select(CareProgramEnrollment).where(
            CareProgramEnrollment.member_id == member.id,
            CareProgramEnrollment.program_id == program.id,
        )
    ).first()
    if enrolment is not None and enrolment.status == "enrolled":
        raise Conflict(f"You're already enrolled in {program.name}.", code="already_enrolled")
    if enrolment is None:
        enrolment = CareProgramEnrollment(member_id=member.id, program_id=program.id)
        session.add(enrolment)
    enrolment.status = "enrolled"
    enrolment.enrolled_at = get_clock().now()
    enrolment.ended_at = None
    session.flush()
    return {
        "program_id": program.code,
        "name": program.name,
        "status": enrolment.status,
        "enrolled_at": enrolment.enrolled_at.isoformat(),
    }


def preventive_care(session: Session, user_id: str) -> dict[str, Any]:
    """Preventive services for the member's age, and whether the yearly wellness visit is due."""
    member = member_for_user(session, user_id)
    today = _today()
    age = _age(member.date_of_birth, today)
    last_visit = _last_wellness_visit(session, member)
    benefit = next((b for b in member.plan.benefits if b.service_type == "preventive_care"), None)
    return {
        "age": age,
        "recommended": [name for name, low, high in _PREVENTIVE_SERVICES if low <= age <= high],
        "in_network_cost": money(benefit.in_network_copay_cents if benefit else None),
        "last_wellness_visit": _iso(last_visit),
        "wellness_visit_due": last_visit is None or (today - last_visit).days >= 365,
    }


def _today() -> date:
    return get_clock().now().date()


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _normalise(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _coverage_status(member: HealthMember, today: date) -> str:
    if today < member.coverage_start:
        return "not_started"
    return "active" if member.is_covered_on(today) else "ended"


def _member_claim(session: Session, user_id: str, claim_number: str) -> Claim:
    member = member_for_user(session, user_id)
    ref = claim_number.strip()
    claim = session.scalars(
        select(Claim).where(
            Claim.member_id == member.id,
            or_(Claim.claim_number == ref.upper(), Claim.id == ref),
        )
    ).first()
    if claim is None:
        raise NotFound(UNKNOWN_CLAIM, code="claim_not_found")
    return claim


def _claim_summary(claim: Claim) -> dict[str, Any]:
    return {
        "claim_number": claim.claim_number,
        "status": claim.status,
        "service_date": claim.service_date.isoformat(),
        "provider": claim.provider.name if claim.provider else None,
        "billed": money(claim.billed_cents),
        "you_owe": money(claim.member_responsibility_cents),
    }


def _claim_status(claim: Claim) -> dict[str, Any]:
    return {
        **_claim_summary(claim),
        "received_at": claim.received_at.isoformat(),
        "paid_at": _iso(claim.paid_at),
        "denial_reason": claim.denial_reason,
        "appeal_reason": claim.appeal_reason,
    }


def _benefit_dict(benefit: PlanBenefit) -> dict[str, Any]:
    return {
        "service_type": benefit.service_type,
        "covered": benefit.covered,
        "copay": money(benefit.in_network_copay_cents),
        "coinsurance_pct": benefit.in_network_coinsurance_pct,
        "deductible_applies": benefit.deductible_applies,
        "requires_prior_auth": benefit.requires_prior_auth,
        "visit_limit_per_year": benefit.visit_limit_per_year,
    }


def _sorted_benefits(member: HealthMember) -> list[PlanBenefit]:
    return sorted(member.plan.benefits, key=lambda b: b.service_type)


def _plan_benefit(member: HealthMember, service_type: str) -> PlanBenefit:
    """The plan's benefit for a service, matching loosely ("specialist" -> specialist_visit)."""
    wanted = _normalise(service_type)
    benefits = _sorted_benefits(member)
    exact = [b for b in benefits if b.service_type == wanted]
    partial = [b for b in benefits if wanted and wanted in b.service_type]
    matches = exact or partial
    if not matches:
        known = ", ".join(b.service_type.replace("_", " ") for b in benefits)
        raise NotFound(
            f"Your plan doesn't list a benefit for {service_type}. It lists: {known}.",
            code="benefit_not_found",
        )
    return matches[0]


def _accumulator(session: Session, member: HealthMember) -> MemberAccumulator:
    """This plan year's totals; a member with no claims yet has met nothing."""
    year = _today().year
    row = session.scalars(
        select(MemberAccumulator).where(
            MemberAccumulator.member_id == member.id, MemberAccumulator.plan_year == year
        )
    ).first()
    return row or MemberAccumulator(
        plan_year=year,
        deductible_met_cents=0,
        deductible_limit_cents=member.plan.deductible_individual_cents,
        oop_met_cents=0,
        oop_limit_cents=member.plan.oop_max_individual_cents,
    )


def _progress(met: int, limit: int) -> dict[str, Any]:
    remaining = max(limit - met, 0)
    return {
        "met": money(met),
        "limit": money(limit),
        "remaining": money(remaining),
        "percent_met": round(100 * met / limit) if limit else 100,
        "fully_met": remaining == 0,
    }


def _service_type_for_code(procedure_code: str) -> str | None:
    code = procedure_code.strip()
    if not code.isdigit():
        return None
    number = int(code)
    return next((kind for low, high, kind in _CPT_SERVICE_TYPES if low <= number <= high), None)


def _active_approval(
    session: Session, member: HealthMember, procedure_code: str
) -> PriorAuthorization | None:
    today = _today()
    return session.scalars(
        select(PriorAuthorization).where(
            PriorAuthorization.member_id == member.id,
            PriorAuthorization.procedure_code == procedure_code.strip(),
            PriorAuthorization.status == "approved",
            or_(PriorAuthorization.valid_until.is_(None), PriorAuthorization.valid_until >= today),
        )
    ).first()


def _auth_summary(auth: PriorAuthorization) -> dict[str, Any]:
    return {
        "auth_number": auth.auth_number,
        "status": auth.status,
        "procedure_code": auth.procedure_code,
        "procedure_description": auth.procedure_description,
        "is_urgent": auth.is_urgent,
        "requested_at": auth.requested_at.isoformat(),
        "valid_from": _iso(auth.valid_from),
        "valid_until": _iso(auth.valid_until),
    }


def _provider(session: Session, npi: str) -> Provider:
    provider = session.scalars(select(Provider).where(Provider.npi == npi.strip())).first()
    if provider is None:
        raise NotFound(
            f"I couldn't find a provider with NPI {npi} in the directory.",
            code="provider_not_found",
        )
    return provider


def _provider_summary(provider: Provider) -> dict[str, Any]:
    return {
        "npi": provider.npi,
        "name": provider.name,
        "specialty": provider.specialty.replace("_", " "),
        "city": provider.city,
        "phone": provider.phone_e164,
        "in_network": provider.in_network,
        "accepting_new_patients": provider.accepting_new_patients,
    }


def _member_diagnoses(session: Session, member: HealthMember) -> set[str]:
    codes = session.scalars(select(Claim.diagnosis_codes).where(Claim.member_id == member.id))
    return {code for row in codes for code in row}


def _qualifies(program: CareProgram, diagnoses: set[str]) -> bool:
    prefixes = program.eligibility.get("diagnosis_prefixes")
    if not prefixes:
        return True
    return any(code.startswith(prefix) for code in diagnoses for prefix in prefixes)


def _enrolments(session: Session, member: HealthMember) -> dict[str, str]:
    rows = session.scalars(
        select(CareProgramEnrollment).where(CareProgramEnrollment.member_id == member.id)
    )
    return {row.program_id: row.status for row in rows}


def _last_wellness_visit(session: Session, member: HealthMember) -> date | None:
    claims = session.scalars(
        select(Claim).where(Claim.member_id == member.id).order_by(Claim.service_date.desc())
    )
    for claim in claims:
        if any(
            _service_type_for_code(line.procedure_code) == "preventive_care" for line in claim.lines
        ):
            return claim.service_date
    return None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
