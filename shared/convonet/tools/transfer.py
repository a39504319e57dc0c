"""Call transfer: hand the caller to a human in a department (TRANSFER_EXTENSIONS).

`transfer_to_agent` decides nothing by itself: it returns a `transfer` object that the agent
layer turns into the turn's transfer (Twilio <Dial>, the browser's SIP call).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from convonet.config import get_settings
from convonet.tools.registry import ToolContext, ToolRegistry

DEFAULT_DEPARTMENT = "support"


class TransferArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str = Field(
        default=DEFAULT_DEPARTMENT,
        min_length=1,
        max_length=40,
        description="Department to transfer to (see get_available_departments).",
    )
    reason: str = Field(
        min_length=1, max_length=300, description="Why the caller wants a human, in one sentence."
    )


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _extensions() -> dict[str, str]:
    """Department -> extension; an empty setting still leaves support on 2001."""
    configured = get_settings().transfer_extensions.items()
    return {name.lower(): ext for name, ext in configured} or {DEFAULT_DEPARTMENT: "2001"}


def _default_department(extensions: dict[str, str]) -> str:
    return DEFAULT_DEPARTMENT if DEFAULT_DEPARTMENT in extensions else next(iter(extensions))


def _transfer(ctx: ToolContext, args: TransferArgs) -> dict[str, Any]:
    extensions = _extensions()
    asked = args.department.strip().lower()
    result: dict[str, Any] = {}
    department = asked
    if asked not in extensions:
        department = _default_department(extensions)
        result["note"] = f"There is no {args.department} department; transferring to {department}."
    result["transfer"] = {
        "department": department,
        "extension": extensions[department],
        "reason": args.reason.strip(),
    }
    return result


def _departments(ctx: ToolContext, args: NoArgs) -> dict[str, Any]:
    extensions = _extensions()
    return {
        "departments": [{"name": name, "extension": ext} for name, ext in extensions.items()],
        "default": _default_department(extensions),
    }


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
    registry.tool(
        "transfer_to_agent",
        "Transfer the caller to a human agent. Use when they ask for a person, or when you "
        "cannot help. Say you are transferring them before calling.",
        TransferArgs,
        domain="transfer",
        side_effects=False,
        blocking=False,
    )(_transfer)
    registry.tool(
        "get_available_departments",
        "List the departments the caller can be transferred to, with their extensions.",
        NoArgs,
        domain="transfer",
        side_effects=False,
        blocking=False,
    )(_departments)
