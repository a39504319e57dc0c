"""Demo data for local runs: one account per role and a little of everything in every domain.

So `make dev` opens on a working system: sign in as the demo user (or say the PIN on the voice
page), and every domain agent has something real to talk about. Refused in production.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from convonet.auth.passwords import hash_password
from convonet.auth.pins import pin_digest
from convonet.clock import utcnow
from convonet.config import get_settings
from convonet.db.models import (
    CalendarEvent,
    CallRecord,
    CallTranscriptLine,
    CareProgram,
    CareProgramEnrollment,
    Claim,
    ClaimLine,
    DiningTable,
    HealthMember,
    HealthPlan,
    KnowledgeArticle,
    MemberAccumulator,
    MenuItem,
    MortgageApplication,
    MortgageDebt,
    MortgageDocument,
    MortgageNote,
    PlanBenefit,
    PriorAuthorization,
    Provider,
    Reminder,
    Restaurant,
    Team,
    TeamMembership,
    Todo,
    User,
)
from convonet.db.models.restaurant import HANOK_ID, WEEKDAYS

DEMO_EMAIL = "demo@convonet.dev"
DEMO_PASSWORD = "convonet-demo"  # noqa: S105 - published demo credential, dev only
DEMO_PIN = "2468"
DEMO_PHONE = "+14155550100"
SUPERVISOR_EMAIL = "supervisor@convonet.dev"
AGENT_EMAIL = "agent2001@convonet.dev"
STAFF_EMAIL = "staff@convonet.dev"

DEMO_LOGINS: list[tuple[str, str]] = [
    (DEMO_EMAIL, f"user (voice PIN {DEMO_PIN}, phone {DEMO_PHONE})"),
    (SUPERVISOR_EMAIL, "supervisor (agent monitor)"),
    (AGENT_EMAIL, "call-center agent, extension 2001"),
    (STAFF_EMAIL, "Hanok restaurant staff"),
]

HANOK_TABLES = {4: 2, 6: 3, 8: 3, 10: 2}
HANOK_MENU = (
    # slug, name, Korean name, description, price in cents
    ("bulgogi", "Bulgogi", "불고기", "Soy and pear marinated grilled ribeye, scallions", 2400),
    (
        "galbi-jjim",
        "Galbi-jjim",
        "갈비찜",
        "Braised beef short ribs, chestnut, jujube, radish",
        3800,
    ),
    (
        "bibimbap",
        "Dolsot Bibimbap",
        "돌솥비빔밥",
        "Rice, seasoned vegetables, egg, hot stone",
        2200,
    ),
    ("japchae", "Japchae", "잡채", "Stir-fried sweet potato noodles with vegetables", 1800),
    ("haemul-pajeon", "Haemul Pajeon", "해물파전", "Crisp seafood and scallion pancake", 1800),
    ("kimchi-jjigae", "Kimchi Jjigae", "김치찌개", "Aged kimchi stew with pork and tofu", 1900),
)

KNOWLEDGE_ARTICLES = (
    (
        "hanok-hours",
        "Hanok opening hours and location",
        "Hanok is open every day from 11:30 to 22:00 (Pacific time). The last seating is 90 "
        "minutes before closing. We are closed on the dates listed as closures.",
        ["hours", "location"],
        "restaurant",
    ),
    (
        "hanok-reservation-policy",
        "Hanok reservation policy",
        "We take reservations for 1 to 20 guests in 30-minute slots; a table is held for two "
        "hours. When we are full you can join the waitlist; we call you as soon as a table "
        "frees up. Pre-order dishes with your booking and get 7% off the food. Please cancel "
        "at least two hours ahead. Reservations can be made online, by phone or by voice.",
        ["reservations", "waitlist", "cancellation", "preorder"],
        "restaurant",
    ),
    (
        "hanok-dietary",
        "Allergies and dietary requests at Hanok",
        "Tell us about allergies in the special requests of your booking. Bibimbap and japchae "
        "can be made vegetarian; the pancake contains shellfish and wheat.",
        ["allergies", "vegetarian", "special requests"],
        "restaurant",
    ),
    (
        "mortgage-documents",
        "Which documents does a mortgage application need?",
        "Most applications need two recent pay stubs, W-2s for two years, two months of bank "
        "statements, a photo ID and the purchase agreement. Self-employed applicants add two "
        "years of tax returns. A gift letter is needed when family help with the down payment.",
        ["documents", "application"],
        "mortgage",
    ),
    (
        "mortgage-dti",
        "What is a debt-to-income ratio?",
        "Debt-to-income (DTI) is your monthly debt payments, including the new mortgage, "
        "divided by gross monthly income. Under 36% is excellent, under 43% good, under 50% "
        "acceptable for some programmes; above that approval is unlikely.",
        ["dti", "income", "debt"],
        "mortgage",
    ),
    (
        "plan-deductible",
        "How the deductible and out-of-pocket maximum work",
        "You pay the full allowed amount for most services until you meet your deductible; "
        "then the plan shares costs through coinsurance. Once you reach the out-of-pocket "
        "maximum for the plan year, covered in-network care is paid in full. Copays for "
        "primary care and preventive care do not wait for the deductible.",
        ["deductible", "out-of-pocket", "coinsurance"],
        "healthcare",
    ),
    (
        "plan-prior-auth",
        "When is prior authorisation needed?",
        "Advanced imaging (MRI, CT, PET), planned inpatient stays and some specialty drugs need "
        "prior authorisation. Your provider submits the request; urgent requests are decided "
        "within 72 hours, standard ones within 14 days.",
        ["prior authorization", "imaging"],
        "healthcare",
    ),
)


class DemoDataRefused(RuntimeError):
    """Demo accounts with published passwords must never reach production."""


def seed_demo_data(session: Session) -> bool:
    """Add the demo data unless the demo user exists. True if it seeded.

    Flushes but does not commit: the caller's unit of work decides. Shared reference data
    (restaurant, knowledge base) is added only when absent, so it can coexist with data
    another process created first.
    """
    settings = get_settings()
    if settings.is_prod:
        raise DemoDataRefused("demo data is never loaded in production")
    if session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is not None:
        return False

    now = utcnow()
    password_hash = hash_password(DEMO_PASSWORD)  # Argon2 is slow on purpose: hash once.
    demo = User(
        email=DEMO_EMAIL,
        password_hash=password_hash,
        display_name="Demo User",
        phone_e164=DEMO_PHONE,
        voice_pin_hash=pin_digest(DEMO_PIN, settings.secret("pin_hash_secret")),
        roles=["user"],
    )
    supervisor = User(
        email=SUPERVISOR_EMAIL,
        password_hash=password_hash,
        display_name="Sam Supervisor",
        roles=["user", "supervisor"],
    )
    agent = User(
        email=AGENT_EMAIL,
        password_hash=password_hash,
        display_name="Alex Agent",
        roles=["user", "agent"],
        agent_extension="2001",
    )
    staff = User(
        email=STAFF_EMAIL,
        password_hash=password_hash,
        display_name="Min-ji Staff",
        roles=["user", "staff"],
    )
    session.add_all([demo, supervisor, agent, staff])
    session.flush()

    _seed_productivity(session, demo, supervisor, now)
    _seed_mortgage(session, demo, now)
    _seed_healthcare(session, demo, now)
    _seed_call(session, demo, now)
    _seed_knowledge(session)
    _seed_hanok(session)
    session.flush()
    return True


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=UTC)


def _seed_productivity(session: Session, demo: User, supervisor: User, now: datetime) -> None:
    team = Team(name="Demo Team", description="Everyone trying Convonet locally")
    team.memberships = [
        TeamMembership(user=demo, role="owner"),
        TeamMembership(user=supervisor, role="member"),
    ]
    session.add(team)
    session.flush()
    tomorrow = now + timedelta(days=1)
    session.add_all(
        [
            Todo(
                owner_id=demo.id,
                title="Buy groceries for the week",
                priority="medium",
                due_at=_at(tomorrow, 1),
            ),
            Todo(
                owner_id=demo.id,
                title="Call the bank about the mortgage rate lock",
                description="Ask whether a 45-day lock is available",
                priority="high",
                due_at=_at(tomorrow, 17),
            ),
            Todo(
                owner_id=demo.id,
                title="Renew car registration",
                priority="low",
                completed=True,
                completed_at=now - timedelta(days=2),
            ),
            Todo(
                owner_id=demo.id,
                team_id=team.id,
                assignee_id=supervisor.id,
                title="Review the call-center greeting script",
                priority="urgent",
                due_at=_at(now + timedelta(days=2), 18),
            ),
            Todo(
                owner_id=demo.id,
                team_id=team.id,
                title="Prepare the quarterly customer survey",
                priority="medium",
                due_at=_at(now + timedelta(days=7), 20),
            ),
            Reminder(
                owner_id=demo.id,
                text="Pick up the dry cleaning",
                remind_at=_at(tomorrow, 23),
                importance="low",
                channel="sms",
            ),
            Reminder(
                owner_id=demo.id,
                text="Dentist appointment at 3 pm",
                remind_at=_at(now + timedelta(days=3), 20),
                importance="high",
                channel="call",
            ),
            CalendarEvent(
                owner_id=demo.id,
                title="Team stand-up",
                starts_at=_at(tomorrow, 16),
                ends_at=_at(tomorrow, 16, 15),
                location="Video call",
            ),
            CalendarEvent(
                owner_id=demo.id,
                title="Mortgage consultation",
                description="Bring the latest pay stubs",
                starts_at=_at(now + timedelta(days=2), 21),
                ends_at=_at(now + timedelta(days=2), 22),
                location="1450 Mission St, San Francisco",
            ),
        ]
    )


def _seed_mortgage(session: Session, demo: User, now: datetime) -> None:
    application = MortgageApplication(
        owner_id=demo.id,
        status="document_collection",
        loan_amount_cents=48_000_000,
        property_value_cents=60_000_000,
        down_payment_cents=12_000_000,
        annual_income_cents=16_500_000,
        monthly_debt_cents=95_000,
        closing_costs_cents=1_450_000,
        savings_cents=15_500_000,
        credit_score=742,
        employment_status="employed",
        loan_type="conventional",
        property_address="221 Valencia St, San Francisco, CA 94103",
        financial_info_complete=True,
    )
    application.debts = [
        MortgageDebt(
            debt_type="auto_loan",
            creditor="Bay Auto Finance",
            monthly_payment_cents=45_000,
            balance_cents=1_800_000,
            interest_rate_pct=5.9,
        ),
        MortgageDebt(
            debt_type="student_loan",
            creditor="Federal Student Aid",
            monthly_payment_cents=32_000,
            balance_cents=2_400_000,
            interest_rate_pct=4.5,
        ),
        MortgageDebt(
            debt_type="credit_card",
            creditor="Golden Gate Card",
            monthly_payment_cents=18_000,
            balance_cents=310_000,
        ),
    ]
    application.documents = [
        MortgageDocument(
            doc_type="pay_stub",
            name="Pay stub (last month)",
            status="verified",
            uploaded_at=now - timedelta(days=6),
            verified_at=now - timedelta(days=4),
        ),
        MortgageDocument(
            doc_type="w2",
            name="W-2 (last year)",
            status="uploaded",
            uploaded_at=now - timedelta(days=2),
        ),
        MortgageDocument(doc_type="bank_statement", name="Bank statements (2 months)"),
    ]
    application.notes = [
        MortgageNote(body="Applicant prefers a 30-year fixed; asked about rate locks."),
    ]
    session.add(application)


def _seed_healthcare(session: Session, demo: User, now: datetime) -> None:
    plan = HealthPlan(
        code="CNV-PPO-GOLD",
        name="Convonet Gold PPO",
        plan_type="ppo",
        metal_tier="gold",
        deductible_individual_cents=150_000,
        deductible_family_cents=300_000,
        oop_max_individual_cents=450_000,
        oop_max_family_cents=900_000,
    )
    plan.benefits = [
        PlanBenefit(
            service_type="preventive_care",
            description="Annual physical, screenings and immunisations",
            in_network_copay_cents=0,
            deductible_applies=False,
        ),
        PlanBenefit(
            service_type="primary_care",
            description="Primary care office visit",
            in_network_copay_cents=2_500,
            out_of_network_coinsurance_pct=40,
            deductible_applies=False,
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
            out_of_network_coinsurance_pct=40,
        ),
        PlanBenefit(
            service_type="emergency_room",
            description="Emergency room visit (copay waived if admitted)",
            in_network_copay_cents=25_000,
            in_network_coinsurance_pct=20,
            out_of_network_coinsurance_pct=20,
        ),
        PlanBenefit(
            service_type="advanced_imaging",
            description="MRI, CT and PET scans",
            in_network_coinsurance_pct=20,
            out_of_network_coinsurance_pct=40,
            requires_prior_auth=True,
        ),
        PlanBenefit(
            service_type="physical_therapy",
            description="Outpatient physical therapy",
            in_network_copay_cents=4_000,
            out_of_network_coinsurance_pct=40,
            visit_limit_per_year=30,
        ),
        PlanBenefit(
            service_type="mental_health",
            description="Outpatient mental health visit",
            in_network_copay_cents=2_500,
            out_of_network_coinsurance_pct=40,
            deductible_applies=False,
        ),
        PlanBenefit(
            service_type="generic_drugs",
            description="Tier 1 generic prescriptions (30-day supply)",
            in_network_copay_cents=1_000,
            deductible_applies=False,
        ),
    ]
    providers = [
        Provider(
            npi="1649283750",
            name="Dr. Grace Park",
            specialty="family_medicine",
            organization="Mission Family Health",
            phone_e164="+14155550121",
            address="2100 Mission St",
            city="San Francisco",
            state="CA",
            postal_code="94110",
        ),
        Provider(
            npi="1831456902",
            name="Dr. Luis Romero",
            specialty="orthopedics",
            organization="Bay Orthopedic Group",
            phone_e164="+14155550134",
            address="450 Sutter St",
            city="San Francisco",
            state="CA",
            postal_code="94108",
        ),
        Provider(
            npi="1972035418",
            name="Golden Gate Imaging",
            specialty="radiology",
            organization="Golden Gate Imaging",
            phone_e164="+14155550156",
            address="3838 California St",
            city="San Francisco",
            state="CA",
            postal_code="94118",
        ),
        Provider(
            npi="1265874309",
            name="Dr. Aisha Bello",
            specialty="cardiology",
            organization="Oakland Heart Center",
            phone_e164="+15105550177",
            address="350 Hawthorne Ave",
            city="Oakland",
            state="CA",
            postal_code="94609",
            accepting_new_patients=False,
        ),
    ]
    session.add_all([plan, *providers])
    session.flush()
    pcp, orthopedist, imaging = providers[:3]

    year = now.year
    member = HealthMember(
        user_id=demo.id,
        member_number="CNV100234567",
        plan_id=plan.id,
        first_name="Demo",
        last_name="User",
        date_of_birth=date(1985, 4, 12),
        coverage_start=date(year, 1, 1),
        pcp_provider_id=pcp.id,
    )
    session.add(member)
    session.flush()
    today = now.date()
    session.add_all(
        [
            Claim(
                claim_number="CLM-000101",
                member_id=member.id,
                provider_id=pcp.id,
                service_date=today - timedelta(days=40),
                received_at=now - timedelta(days=38),
                status="paid",
                diagnosis_codes=["Z00.00"],
                billed_cents=32_000,
                allowed_cents=21_000,
                plan_paid_cents=21_000,
                member_responsibility_cents=0,
                paid_at=now - timedelta(days=30),
                lines=[
                    ClaimLine(
                        line_number=1,
                        procedure_code="99396",
                        description="Preventive visit, established patient, 40-64",
                        billed_cents=26_000,
                        allowed_cents=17_000,
                        plan_paid_cents=17_000,
                        member_responsibility_cents=0,
                    ),
                    ClaimLine(
                        line_number=2,
                        procedure_code="80053",
                        description="Comprehensive metabolic panel",
                        billed_cents=6_000,
                        allowed_cents=4_000,
                        plan_paid_cents=4_000,
                        member_responsibility_cents=0,
                    ),
                ],
            ),
            Claim(
                claim_number="CLM-000187",
                member_id=member.id,
                provider_id=imaging.id,
                service_date=today - timedelta(days=12),
                received_at=now - timedelta(days=10),
                status="in_review",
                diagnosis_codes=["M54.50"],
                billed_cents=185_000,
                lines=[
                    ClaimLine(
                        line_number=1,
                        procedure_code="72148",
                        description="MRI lumbar spine without contrast",
                        billed_cents=185_000,
                    ),
                ],
            ),
            Claim(
                claim_number="CLM-000203",
                member_id=member.id,
                provider_id=orthopedist.id,
                service_date=today - timedelta(days=20),
                received_at=now - timedelta(days=18),
                status="denied",
                diagnosis_codes=["M54.50"],
                billed_cents=48_000,
                allowed_cents=0,
                plan_paid_cents=0,
                member_responsibility_cents=48_000,
                denial_reason="Service billed twice; a corrected claim is expected.",
                lines=[
                    ClaimLine(
                        line_number=1,
                        procedure_code="99204",
                        description="New patient visit, moderate complexity",
                        billed_cents=48_000,
                        allowed_cents=0,
                        plan_paid_cents=0,
                        member_responsibility_cents=48_000,
                    ),
                ],
            ),
            MemberAccumulator(
                member_id=member.id,
                plan_year=year,
                deductible_met_cents=85_000,
                deductible_limit_cents=plan.deductible_individual_cents,
                oop_met_cents=132_000,
                oop_limit_cents=plan.oop_max_individual_cents,
            ),
            PriorAuthorization(
                auth_number="PA-004512",
                member_id=member.id,
                provider_id=imaging.id,
                procedure_code="72148",
                procedure_description="MRI lumbar spine without contrast",
                diagnosis_code="M54.50",
                status="approved",
                requested_at=now - timedelta(days=16),
                decided_at=now - timedelta(days=14),
                decision_reason="Meets criteria: six weeks of conservative therapy documented",
                approved_units=1,
                valid_from=today - timedelta(days=14),
                valid_until=today + timedelta(days=76),
            ),
        ]
    )
    programs = [
        CareProgram(
            code="diabetes-management",
            name="Diabetes Management",
            description="Coaching, glucose monitor supplies and quarterly check-ins",
            category="chronic_condition",
            eligibility={"diagnosis_prefixes": ["E11"]},
        ),
        CareProgram(
            code="heart-health",
            name="Heart Health",
            description="Blood-pressure coaching with a nurse and a home cuff",
            category="chronic_condition",
            eligibility={"diagnosis_prefixes": ["I10"]},
        ),
        CareProgram(
            code="back-care",
            name="Back Care",
            description="Guided physical therapy and ergonomics for back pain",
            category="musculoskeletal",
            eligibility={"diagnosis_prefixes": ["M54"]},
        ),
        CareProgram(
            code="wellness-coaching",
            name="Wellness Coaching",
            description="Monthly sessions on sleep, nutrition and activity",
            category="wellness",
        ),
    ]
    session.add_all(programs)
    session.flush()
    session.add(
        CareProgramEnrollment(
            member_id=member.id,
            program_id=programs[-1].id,
            status="enrolled",
            enrolled_at=now - timedelta(days=60),
        )
    )


def _seed_call(session: Session, demo: User, now: datetime) -> None:
    started = now - timedelta(days=1, hours=2)
    turns = [
        ("assistant", "Hi, this is Convonet. Please say or enter your PIN."),
        ("user", "Two four six eight."),
        ("assistant", "Thanks, Demo User. How can I help?"),
        ("user", "Add a todo to buy milk tomorrow."),
        ("assistant", "Done: buy milk, due tomorrow. Anything else?"),
        ("user", "No, that's all."),
    ]
    call = CallRecord(
        owner_id=demo.id,
        call_sid="CA0d3m0c0nv0net00000000000000001",
        channel="phone",
        from_e164=DEMO_PHONE,
        to_e164="+14155550199",
        started_at=started,
        ended_at=started + timedelta(seconds=95),
        status="completed",
        summary="Caller authenticated by PIN and added a todo to buy milk tomorrow.",
        retention_until=now + timedelta(days=90),
        lines=[
            CallTranscriptLine(
                seq=seq, speaker=speaker, text=text, at=started + timedelta(seconds=8 * seq)
            )
            for seq, (speaker, text) in enumerate(turns)
        ],
    )
    session.add(call)


def _seed_knowledge(session: Session) -> None:
    existing = set(session.scalars(select(KnowledgeArticle.slug)))
    session.add_all(
        KnowledgeArticle(slug=slug, title=title, body=body, tags=tags, domain=domain)
        for slug, title, body, tags, domain in KNOWLEDGE_ARTICLES
        if slug not in existing
    )


def _seed_hanok(session: Session) -> None:
    if session.get(Restaurant, HANOK_ID) is not None:
        return
    hanok = Restaurant(
        id=HANOK_ID,
        name="Hanok",
        timezone="America/Los_Angeles",
        phone_e164="+14155550142",
        address="598 Valencia St, San Francisco, CA 94110",
        opening_hours={day: [["11:30", "22:00"]] for day in WEEKDAYS},
    )
    hanok.tables = [
        DiningTable(label=f"T{capacity}-{n}", capacity=capacity)
        for capacity, count in HANOK_TABLES.items()
        for n in range(1, count + 1)
    ]
    hanok.menu_items = [
        MenuItem(
            id=slug,
            name=name,
            name_ko=name_ko,
            description=description,
            price_cents=price,
            sort_order=position,
        )
        for position, (slug, name, name_ko, description, price) in enumerate(HANOK_MENU)
    ]
    session.add(hanok)
