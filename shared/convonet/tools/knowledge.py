"""Knowledge-base search: the organisation's FAQs and policies, answered from the database."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from convonet.db.engine import session_scope
from convonet.domain import knowledge
from convonet.tools.registry import ToolContext, ToolRegistry


class SearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1, max_length=300, description="The question or keywords, in plain words."
    )
    top_k: int = Field(default=3, ge=1, le=10, description="How many articles to return.")
    domain: Literal["productivity", "mortgage", "healthcare", "restaurant"] | None = Field(
        default=None, description="Only search articles of this area."
    )


def _search(ctx: ToolContext, args: SearchArgs) -> dict[str, Any]:
    with session_scope() as session:
        return knowledge.search(session, args.query, args.top_k, args.domain)


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
    registry.tool(
        "search_knowledge_base",
        "Search the organisation's FAQ and policy documents (Hanok restaurant hours, booking, "
        "cancellation and dietary policies; mortgage documents and DTI; health plan deductibles "
        "and prior authorisation). Answer policy questions from the best result, not from memory.",
        SearchArgs,
        domain="knowledge",
        side_effects=False,
    )(_search)
