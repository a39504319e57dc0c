"""Healthcare payer tools: always about the health plan member linked to the caller.

No tool takes a member id: the member is found from `ctx.user_id`, so a model cannot be talked
into reading someone else's claims. Argument names match the domain functions' keywords, so
every handler is the same small adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from convonet.db.engine import session_scope
from convonet.domain import healthcare
from convonet.tools.registry import Tool, ToolContext, ToolRegistry

DOMAIN = "healthcare"

ClaimStatus = Literal["submitted", "in_review", "approved", "denied", "paid", "appealed"]
PriorAuthStatus = Literal[
    "submitted", "pending_review", "approved", "denied", "cancelled", "expired"
]
ProcedureCode = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9]{5}$", description="CPT or HCPCS code, e.g. 72148.")
]
DiagnosisCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][0-9][0-9A-Za-z](\.[0-9A-Za-z]{1,4})?$",
        description="ICD-10 diagnosis code, e.g. M54.50.",
    ),
]
Npi = Annotated[str, Field(pattern=r"^\d{10}$", description="The provider's 10-digit NPI.")]
ServiceType = Annotated[
    str,
    Field(
        min_length=2,
        max_length=64,
        description="Kind of care, e.g. specialist_visit, urgent_care, emergency_room, "
        "advanced_imaging, physical_therapy, mental_health, primary_care, generic_drugs.",
    ),
]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    pass


class ClaimRef(_Args):
    claim_number: str = Field(
        min_length=1, max_length=64, description="The claim number, e.g. CLM-000187."
    )


class SearchClaimsArgs(_Args):
    date_from: date | None = Field(None, description="Earliest service date (YYYY-MM-DD).")
    date_to: date | None = Field(None, description="Latest service date (YYYY-MM-DD).")
    status: ClaimStatus | None = None
    limit: int = Field(10, ge=1, le=25)


class FileAppealArgs(ClaimRef):
    reason: str = Field(
        min_length=5, max_length=2000, description="Why the caller disagrees, in their words."
    )


class ServiceArgs(_Args):
    service_type: ServiceType


class PriorAuthRequiredArgs(_Args):
    procedure_code: ProcedureCode | None = None
    service_type: ServiceType | None = None
    diagnosis_code: DiagnosisCode | None = None


class SubmitPriorAuthArgs(_Args):
    procedure_code: ProcedureCode
    provider_npi: Npi
    diagnosis_code: DiagnosisCode | None = None
    procedure_description: str | None = Field(None, max_length=300)
    clinical_notes: str | None = Field(None, max_length=4000)
    is_urgent: bool = Field(False, description="True when waiting could seriously harm health.")


class AuthRef(_Args):
    auth_number: str = Field(
        min_length=1, max_length=64, description="The authorisation number, e.g. PA-004512."
    )


class ListPriorAuthsArgs(_Args):
    status: PriorAuthStatus | None = None


class SearchProvidersArgs(_Args):
    specialty: str = Field(
        min_length=2, max_length=100, description="e.g. cardiology, orthopedics, primary care."
    )
    zip_code: str | None = Field(None, pattern=r"^\d{5}$", description="Near this US ZIP code.")
    in_network_only: bool = True
    limit: int = Field(10, ge=1, le=25)


class NpiArgs(_Args):
    npi: Npi


class EnrollArgs(_Args):
    program_id: str = Field(
        min_length=1, max_length=64, description="Programme id from get_care_programs."
    )


def _for_member(
    run: Callable[..., dict[str, Any]],
) -> Callable[[ToolContext, BaseModel], dict[str, Any]]:
    """A handler running `run(session, caller, **arguments)` in one unit of work."""

    def handler(ctx: ToolContext, args: BaseModel) -> dict[str, Any]:
        with session_scope() as session:
            return run(session, ctx.user_id, **args.model_dump())

    return handler


def _tool(
    name: str,
    description: str,
    args: type[BaseModel],
    run: Callable[..., dict[str, Any]],
    *,
    side_effects: bool = False,
) -> Tool:
    return Tool(name, description, args, _for_member(run), DOMAIN, side_effects)


TOOLS = (
    _tool(
        "check_eligibility",
        "Check whether the caller's health plan coverage is active today, with their plan and "
        "member number. Use first when they ask 'am I covered?'.",
        NoArgs,
        healthcare.check_eligibility,
    ),
    _tool(
        "get_coverage_dates",
        "Get when the caller's coverage started and ends, and how many days remain.",
        NoArgs,
        healthcare.coverage_dates,
    ),
    _tool(
        "search_claims",
        "Find the caller's claims, newest first, optionally between service dates or by status.",
        SearchClaimsArgs,
        healthcare.search_claims,
    ),
    _tool(
        "get_claim_status",
        "Get the status of one of the caller's claims by claim number, with any denial reason.",
        ClaimRef,
        healthcare.claim_status,
    ),
    _tool(
        "get_claim_details",
        "Get one of the caller's claims in detail: each billed service line and what the plan "
        "allowed and paid.",
        ClaimRef,
        healthcare.claim_details,
    ),
    _tool(
        "file_claim_appeal",
        "File an appeal of one of the caller's denied claims, with their reason. Confirm the "
        "claim number and reason with the caller before calling.",
        FileAppealArgs,
        healthcare.file_appeal,
        side_effects=True,
    ),
    _tool(
        "get_eob",
        "Get the explanation of benefits for a processed claim: billed, allowed, paid by the "
        "plan and what the caller owes.",
        ClaimRef,
        healthcare.explanation_of_benefits,
    ),
    _tool(
        "get_benefits_summary",
        "Summarise the caller's plan: deductible, out-of-pocket maximum and the copay or "
        "coinsurance for each kind of care.",
        NoArgs,
        healthcare.benefits_summary,
    ),
    _tool(
        "check_benefit_coverage",
        "Check whether the caller's plan covers a kind of care, and on what terms.",
        ServiceArgs,
        healthcare.benefit_coverage,
    ),
    _tool(
        "get_deductible_status",
        "How much of this year's deductible the caller has met and how much remains.",
        NoArgs,
        healthcare.deductible_status,
    ),
    _tool(
        "get_out_of_pocket_status",
        "How much the caller has paid toward this year's out-of-pocket maximum and what remains.",
        NoArgs,
        healthcare.out_of_pocket_status,
    ),
    _tool(
        "get_copay_info",
        "The caller's copay and coinsurance for a kind of care, in and out of network.",
        ServiceArgs,
        healthcare.copay_info,
    ),
    _tool(
        "check_prior_auth_required",
        "Check whether the caller's plan needs prior authorisation for a procedure (CPT code) "
        "or kind of care, and whether they already have an approval.",
        PriorAuthRequiredArgs,
        healthcare.prior_auth_required,
    ),
    _tool(
        "submit_prior_auth",
        "Submit a prior authorisation request for the caller, for a procedure with a provider "
        "(by NPI). Confirm the details with the caller before calling.",
        SubmitPriorAuthArgs,
        healthcare.submit_prior_auth,
        side_effects=True,
    ),
    _tool(
        "get_prior_auth_status",
        "Get the status of one of the caller's prior authorisations by its number.",
        AuthRef,
        healthcare.prior_auth_status,
    ),
    _tool(
        "list_prior_auths",
        "List the caller's prior authorisations, newest first, optionally by status.",
        ListPriorAuthsArgs,
        healthcare.list_prior_auths,
    ),
    _tool(
        "search_providers",
        "Find doctors and facilities by specialty, near a ZIP code, in the caller's network.",
        SearchProvidersArgs,
        healthcare.search_providers,
    ),
    _tool(
        "check_provider_network",
        "Check whether a provider (by NPI) is in the caller's network and taking new patients.",
        NpiArgs,
        healthcare.provider_network,
    ),
    _tool(
        "get_provider_details",
        "Get a provider's specialty, address and phone number by NPI.",
        NpiArgs,
        healthcare.provider_details,
    ),
    _tool(
        "get_care_programs",
        "List the plan's care programmes (chronic conditions, wellness) with whether the "
        "caller qualifies and is enrolled.",
        NoArgs,
        healthcare.care_programs,
    ),
    _tool(
        "enroll_care_program",
        "Enrol the caller in a care programme by its id from get_care_programs. Confirm with "
        "the caller first.",
        EnrollArgs,
        healthcare.enroll_care_program,
        side_effects=True,
    ),
    _tool(
        "get_preventive_care",
        "Preventive services recommended for the caller's age, their cost, and whether the "
        "yearly wellness visit is due.",
        NoArgs,
        healthcare.preventive_care,
    ),
)


def register(registry: ToolRegistry) -> None:
    """Adds the twenty-two healthcare payer tools."""
    for tool in TOOLS:
        registry.add(tool)
