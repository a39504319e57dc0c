"""Initial schema: identity, productivity, calls, knowledge, mortgage, healthcare, CRM, Hanok.

Created 2026-11-29 10:19:25.662430.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_programs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column(
            "eligibility", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_care_programs_code")),
    )
    op.create_table(
        "health_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "plan_type",
            sa.Enum(
                "hmo",
                "ppo",
                "epo",
                "pos",
                "hdhp",
                name="plan_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("metal_tier", sa.String(length=32), nullable=True),
        sa.Column("deductible_individual_cents", sa.Integer(), nullable=False),
        sa.Column("deductible_family_cents", sa.Integer(), nullable=False),
        sa.Column("oop_max_individual_cents", sa.Integer(), nullable=False),
        sa.Column("oop_max_family_cents", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_health_plans_code")),
    )
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
        sa.UniqueConstraint("slug", name=op.f("uq_knowledge_articles_slug")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_articles_domain"), ["domain"], unique=False)

    op.create_table(
        "providers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("specialty", sa.String(length=100), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("in_network", sa.Boolean(), nullable=False),
        sa.Column("accepting_new_patients", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_providers")),
        sa.UniqueConstraint("npi", name=op.f("uq_providers_npi")),
    )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_providers_specialty_postal_code"),
            ["specialty", "postal_code"],
            unique=False,
        )

    op.create_table(
        "restaurants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column(
            "opening_hours",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("default_duration_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restaurants")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_name"), ["name"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=True),
        sa.Column("voice_pin_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "roles", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("agent_extension", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("llm_provider", sa.String(length=32), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("phone_e164", name=op.f("uq_users_phone_e164")),
        sa.UniqueConstraint("voice_pin_hash", name=op.f("uq_users_voice_pin_hash")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_agent_extension"), ["agent_extension"], unique=False
        )

    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("encrypted_refresh_token", sa.Text(), nullable=False),
        sa.Column("encrypted_access_token", sa.Text(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_connections_user_id")),
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.Column("google_event_id", sa.String(length=1024), nullable=True),
        sa.Column(
            "sync_state",
            sa.Enum(
                "local_only",
                "synced",
                "dirty",
                "deleted",
                name="calendar_sync_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_calendar_events_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
    )
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_events_google_event_id"), ["google_event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_events_owner_id_starts_at"),
            ["owner_id", "starts_at"],
            unique=False,
        )

    op.create_table(
        "call_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "browser",
                name="call_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("from_e164", sa.String(length=16), nullable=True),
        sa.Column("to_e164", sa.String(length=16), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "in_progress",
                "completed",
                "transferred",
                "failed",
                "abandoned",
                name="call_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recording_url", sa.String(length=2048), nullable=True),
        sa.Column("retention_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_call_records_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_records_call_sid")),
    )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_records_from_e164"), ["from_e164"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_records_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_call_records_retention_until"), ["retention_until"], unique=False
        )

    op.create_table(
        "crm_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "patient",
                "meeting",
                "case",
                "note",
                "call_summary",
                name="crm_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column(
            "sync_state",
            sa.Enum(
                "local_only",
                "pending",
                "synced",
                "failed",
                name="crm_sync_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_crm_records_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_records")),
    )
    with op.batch_alter_table("crm_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_records_external_id"), ["external_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_records_owner_id_kind"), ["owner_id", "kind"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crm_records_sync_state"), ["sync_state"], unique=False)

    op.create_table(
        "dining_tables",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name=op.f("fk_dining_tables_restaurant_id_restaurants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dining_tables")),
        sa.UniqueConstraint(
            "restaurant_id", "label", name=op.f("uq_dining_tables_restaurant_id_label")
        ),
    )
    op.create_table(
        "health_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("member_number", sa.String(length=32), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "relationship_to_subscriber",
            sa.Enum(
                "subscriber",
                "spouse",
                "dependent",
                name="member_relationship",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("coverage_start", sa.Date(), nullable=False),
        sa.Column("coverage_end", sa.Date(), nullable=True),
        sa.Column("pcp_provider_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pcp_provider_id"],
            ["providers.id"],
            name=op.f("fk_health_members_pcp_provider_id_providers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["health_plans.id"],
            name=op.f("fk_health_members_plan_id_health_plans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_health_members_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_members")),
        sa.UniqueConstraint("member_number", name=op.f("uq_health_members_member_number")),
        sa.UniqueConstraint("user_id", name=op.f("uq_health_members_user_id")),
    )
    with op.batch_alter_table("health_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_members_pcp_provider_id"), ["pcp_provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_health_members_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "menu_items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_ko", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name=op.f("fk_menu_items_restaurant_id_restaurants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_menu_items")),
    )
    with op.batch_alter_table("menu_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_menu_items_restaurant_id"), ["restaurant_id"], unique=False
        )

    op.create_table(
        "mortgage_applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "financial_review",
                "document_collection",
                "document_verification",
                "under_review",
                "pre_approved",
                "approved",
                "rejected",
                "cancelled",
                name="mortgage_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("loan_amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("property_value_cents", sa.BigInteger(), nullable=True),
        sa.Column("down_payment_cents", sa.BigInteger(), nullable=True),
        sa.Column("annual_income_cents", sa.BigInteger(), nullable=True),
        sa.Column("monthly_debt_cents", sa.BigInteger(), nullable=True),
        sa.Column("closing_costs_cents", sa.BigInteger(), nullable=True),
        sa.Column("savings_cents", sa.BigInteger(), nullable=True),
        sa.Column("credit_score", sa.Integer(), nullable=True),
        sa.Column(
            "employment_status",
            sa.Enum(
                "employed",
                "self_employed",
                "unemployed",
                "retired",
                "other",
                name="employment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "loan_type",
            sa.Enum(
                "conventional",
                "fha",
                "va",
                "usda",
                "jumbo",
                name="loan_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("loan_term_years", sa.Integer(), nullable=False),
        sa.Column("property_address", sa.String(length=500), nullable=True),
        sa.Column("financial_info_complete", sa.Boolean(), nullable=False),
        sa.Column("documents_complete", sa.Boolean(), nullable=False),
        sa.Column("review_complete", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_mortgage_applications_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mortgage_applications")),
    )
    with op.batch_alter_table("mortgage_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mortgage_applications_owner_id"), ["owner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mortgage_applications_status"), ["status"], unique=False
        )

    op.create_table(
        "plan_benefits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("service_type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("in_network_copay_cents", sa.Integer(), nullable=True),
        sa.Column("in_network_coinsurance_pct", sa.Integer(), nullable=True),
        sa.Column("out_of_network_coinsurance_pct", sa.Integer(), nullable=True),
        sa.Column("deductible_applies", sa.Boolean(), nullable=False),
        sa.Column("requires_prior_auth", sa.Boolean(), nullable=False),
        sa.Column("visit_limit_per_year", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["health_plans.id"],
            name=op.f("fk_plan_benefits_plan_id_health_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_benefits")),
        sa.UniqueConstraint(
            "plan_id", "service_type", name=op.f("uq_plan_benefits_plan_id_service_type")
        ),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "importance",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name="reminder_importance",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "cancelled",
                name="reminder_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "call",
                name="reminder_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_reminders_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminders_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reminders_status_remind_at"), ["status", "remind_at"], unique=False
        )

    op.create_table(
        "reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("confirmation_code", sa.String(length=16), nullable=False),
        sa.Column("guest_name", sa.String(length=255), nullable=False),
        sa.Column("guest_phone_e164", sa.String(length=16), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "confirmed",
                "waitlisted",
                "seated",
                "completed",
                "cancelled",
                name="reservation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "seating_status",
            sa.Enum(
                "allocated",
                "waitlist",
                "not_applicable",
                name="seating_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("special_requests", sa.Text(), nullable=True),
        sa.Column(
            "source_channel",
            sa.Enum(
                "online",
                "voice",
                "api",
                name="source_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "preferred_locale",
            sa.Enum(
                "en",
                "ko",
                name="guest_locale",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("food_subtotal_cents", sa.Integer(), nullable=False),
        sa.Column("discount_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column(
            "guest_priority",
            sa.Enum(
                "normal",
                "vip",
                name="guest_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name=op.f("fk_reservations_restaurant_id_restaurants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reservations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint("confirmation_code", name=op.f("uq_reservations_confirmation_code")),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservations_guest_phone_e164_starts_at"),
            ["guest_phone_e164", "starts_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reservations_restaurant_id_starts_at"),
            ["restaurant_id", "starts_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reservations_status_seating_status_starts_at"),
            ["status", "seating_status", "starts_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_reservations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "restaurant_closures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("restaurant_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["restaurant_id"],
            ["restaurants.id"],
            name=op.f("fk_restaurant_closures_restaurant_id_restaurants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restaurant_closures")),
        sa.UniqueConstraint(
            "restaurant_id", "date", name=op.f("uq_restaurant_closures_restaurant_id_date")
        ),
    )
    op.create_table(
        "team_memberships",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "admin",
                "member",
                "viewer",
                name="team_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_memberships_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_memberships_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_memberships")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_team_memberships_team_id_user_id")),
    )
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "todos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("team_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "medium",
                "high",
                "urgent",
                name="todo_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("google_event_id", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_todos_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_todos_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_todos_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_todos")),
    )
    with op.batch_alter_table("todos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_todos_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_todos_owner_id_completed_due_at"),
            ["owner_id", "completed", "due_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_todos_team_id"), ["team_id"], unique=False)

    op.create_table(
        "call_transcript_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "speaker",
            sa.Enum(
                "user",
                "assistant",
                "agent",
                name="transcript_speaker",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["call_records.id"],
            name=op.f("fk_call_transcript_lines_call_id_call_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_transcript_lines")),
        sa.UniqueConstraint("call_id", "seq", name=op.f("uq_call_transcript_lines_call_id_seq")),
    )
    op.create_table(
        "care_program_enrollments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "eligible",
                "enrolled",
                "completed",
                "withdrawn",
                name="enrollment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["health_members.id"],
            name=op.f("fk_care_program_enrollments_member_id_health_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["care_programs.id"],
            name=op.f("fk_care_program_enrollments_program_id_care_programs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_program_enrollments")),
        sa.UniqueConstraint(
            "member_id", "program_id", name=op.f("uq_care_program_enrollments_member_id_program_id")
        ),
    )
    with op.batch_alter_table("care_program_enrollments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_care_program_enrollments_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "claims",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claim_number", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "in_review",
                "approved",
                "denied",
                "paid",
                "appealed",
                name="claim_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "diagnosis_codes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("billed_cents", sa.BigInteger(), nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=True),
        sa.Column("plan_paid_cents", sa.BigInteger(), nullable=True),
        sa.Column("member_responsibility_cents", sa.BigInteger(), nullable=True),
        sa.Column("denial_reason", sa.Text(), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["health_members.id"],
            name=op.f("fk_claims_member_id_health_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_claims_provider_id_providers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("claim_number", name=op.f("uq_claims_claim_number")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claims_member_id_service_date"),
            ["member_id", "service_date"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_claims_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "member_accumulators",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("plan_year", sa.Integer(), nullable=False),
        sa.Column("deductible_met_cents", sa.Integer(), nullable=False),
        sa.Column("deductible_limit_cents", sa.Integer(), nullable=False),
        sa.Column("oop_met_cents", sa.Integer(), nullable=False),
        sa.Column("oop_limit_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["health_members.id"],
            name=op.f("fk_member_accumulators_member_id_health_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_accumulators")),
        sa.UniqueConstraint(
            "member_id", "plan_year", name=op.f("uq_member_accumulators_member_id_plan_year")
        ),
    )
    op.create_table(
        "mortgage_debts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column(
            "debt_type",
            sa.Enum(
                "credit_card",
                "auto_loan",
                "student_loan",
                "personal_loan",
                "mortgage",
                "other",
                name="debt_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("creditor", sa.String(length=200), nullable=True),
        sa.Column("monthly_payment_cents", sa.BigInteger(), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=True),
        sa.Column(
            "interest_rate_pct", sa.Numeric(precision=6, scale=3, asdecimal=False), nullable=True
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["mortgage_applications.id"],
            name=op.f("fk_mortgage_debts_application_id_mortgage_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mortgage_debts")),
    )
    with op.batch_alter_table("mortgage_debts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mortgage_debts_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "mortgage_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column(
            "doc_type",
            sa.Enum(
                "pay_stub",
                "w2",
                "tax_return",
                "bank_statement",
                "employment_verification",
                "photo_id",
                "credit_report",
                "purchase_agreement",
                "appraisal",
                "homeowners_insurance",
                "gift_letter",
                "asset_statement",
                name="mortgage_doc_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "uploaded",
                "verified",
                "rejected",
                name="mortgage_doc_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("storage_uri", sa.String(length=2048), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["mortgage_applications.id"],
            name=op.f("fk_mortgage_documents_application_id_mortgage_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mortgage_documents")),
    )
    with op.batch_alter_table("mortgage_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mortgage_documents_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "mortgage_notes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["mortgage_applications.id"],
            name=op.f("fk_mortgage_notes_application_id_mortgage_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_mortgage_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mortgage_notes")),
    )
    with op.batch_alter_table("mortgage_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mortgage_notes_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mortgage_notes_author_id"), ["author_id"], unique=False
        )

    op.create_table(
        "preorder_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("menu_item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["menu_item_id"],
            ["menu_items.id"],
            name=op.f("fk_preorder_lines_menu_item_id_menu_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_preorder_lines_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preorder_lines")),
        sa.UniqueConstraint(
            "reservation_id",
            "menu_item_id",
            name=op.f("uq_preorder_lines_reservation_id_menu_item_id"),
        ),
    )
    with op.batch_alter_table("preorder_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_preorder_lines_menu_item_id"), ["menu_item_id"], unique=False
        )

    op.create_table(
        "prior_authorizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("auth_number", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("procedure_code", sa.String(length=16), nullable=False),
        sa.Column("procedure_description", sa.String(length=300), nullable=True),
        sa.Column("diagnosis_code", sa.String(length=16), nullable=True),
        sa.Column("clinical_notes", sa.Text(), nullable=True),
        sa.Column("is_urgent", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "pending_review",
                "approved",
                "denied",
                "cancelled",
                "expired",
                name="prior_auth_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("approved_units", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["health_members.id"],
            name=op.f("fk_prior_authorizations_member_id_health_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_prior_authorizations_provider_id_providers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_authorizations")),
        sa.UniqueConstraint("auth_number", name=op.f("uq_prior_authorizations_auth_number")),
    )
    with op.batch_alter_table("prior_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prior_authorizations_member_id_status"),
            ["member_id", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_prior_authorizations_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "reservation_tables",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("table_id", sa.String(length=36), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_tables_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["dining_tables.id"],
            name=op.f("fk_reservation_tables_table_id_dining_tables"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_tables")),
        sa.UniqueConstraint(
            "reservation_id", "table_id", name=op.f("uq_reservation_tables_reservation_id_table_id")
        ),
    )
    with op.batch_alter_table("reservation_tables", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservation_tables_table_id_starts_at_ends_at"),
            ["table_id", "starts_at", "ends_at"],
            unique=False,
        )

    op.create_table(
        "claim_lines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("claim_id", sa.String(length=36), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("billed_cents", sa.BigInteger(), nullable=False),
        sa.Column("allowed_cents", sa.BigInteger(), nullable=True),
        sa.Column("plan_paid_cents", sa.BigInteger(), nullable=True),
        sa.Column("member_responsibility_cents", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_lines_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_lines")),
        sa.UniqueConstraint(
            "claim_id", "line_number", name=op.f("uq_claim_lines_claim_id_line_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("claim_lines")
    with op.batch_alter_table("reservation_tables", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservation_tables_table_id_starts_at_ends_at"))

    op.drop_table("reservation_tables")
    with op.batch_alter_table("prior_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prior_authorizations_provider_id"))
        batch_op.drop_index(batch_op.f("ix_prior_authorizations_member_id_status"))

    op.drop_table("prior_authorizations")
    with op.batch_alter_table("preorder_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preorder_lines_menu_item_id"))

    op.drop_table("preorder_lines")
    with op.batch_alter_table("mortgage_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mortgage_notes_author_id"))
        batch_op.drop_index(batch_op.f("ix_mortgage_notes_application_id"))

    op.drop_table("mortgage_notes")
    with op.batch_alter_table("mortgage_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mortgage_documents_application_id"))

    op.drop_table("mortgage_documents")
    with op.batch_alter_table("mortgage_debts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mortgage_debts_application_id"))

    op.drop_table("mortgage_debts")
    op.drop_table("member_accumulators")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_provider_id"))
        batch_op.drop_index(batch_op.f("ix_claims_member_id_service_date"))

    op.drop_table("claims")
    with op.batch_alter_table("care_program_enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_program_enrollments_program_id"))

    op.drop_table("care_program_enrollments")
    op.drop_table("call_transcript_lines")
    with op.batch_alter_table("todos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_todos_team_id"))
        batch_op.drop_index(batch_op.f("ix_todos_owner_id_completed_due_at"))
        batch_op.drop_index(batch_op.f("ix_todos_assignee_id"))

    op.drop_table("todos")
    with op.batch_alter_table("team_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_memberships_user_id"))

    op.drop_table("team_memberships")
    op.drop_table("restaurant_closures")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservations_user_id"))
        batch_op.drop_index(batch_op.f("ix_reservations_status_seating_status_starts_at"))
        batch_op.drop_index(batch_op.f("ix_reservations_restaurant_id_starts_at"))
        batch_op.drop_index(batch_op.f("ix_reservations_guest_phone_e164_starts_at"))

    op.drop_table("reservations")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_status_remind_at"))
        batch_op.drop_index(batch_op.f("ix_reminders_owner_id"))

    op.drop_table("reminders")
    op.drop_table("plan_benefits")
    with op.batch_alter_table("mortgage_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mortgage_applications_status"))
        batch_op.drop_index(batch_op.f("ix_mortgage_applications_owner_id"))

    op.drop_table("mortgage_applications")
    with op.batch_alter_table("menu_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_menu_items_restaurant_id"))

    op.drop_table("menu_items")
    with op.batch_alter_table("health_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_members_plan_id"))
        batch_op.drop_index(batch_op.f("ix_health_members_pcp_provider_id"))

    op.drop_table("health_members")
    op.drop_table("dining_tables")
    with op.batch_alter_table("crm_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_records_sync_state"))
        batch_op.drop_index(batch_op.f("ix_crm_records_owner_id_kind"))
        batch_op.drop_index(batch_op.f("ix_crm_records_external_id"))

    op.drop_table("crm_records")
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_records_retention_until"))
        batch_op.drop_index(batch_op.f("ix_call_records_owner_id"))
        batch_op.drop_index(batch_op.f("ix_call_records_from_e164"))

    op.drop_table("call_records")
    with op.batch_alter_table("calendar_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_events_owner_id_starts_at"))
        batch_op.drop_index(batch_op.f("ix_calendar_events_google_event_id"))

    op.drop_table("calendar_events")
    op.drop_table("calendar_connections")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_agent_extension"))

    op.drop_table("users")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_name"))

    op.drop_table("teams")
    op.drop_table("restaurants")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_providers_specialty_postal_code"))

    op.drop_table("providers")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_articles_domain"))

    op.drop_table("knowledge_articles")
    op.drop_table("health_plans")
    op.drop_table("care_programs")
