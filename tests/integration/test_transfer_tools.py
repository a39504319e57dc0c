"""Transfer tools: department -> extension from TRANSFER_EXTENSIONS, unknown -> the default."""

from __future__ import annotations

from convonet.tools import ToolContext, get_registry


def _call(name: str, args: dict[str, object]) -> dict:  # type: ignore[type-arg]
    result = get_registry().call(ToolContext(user_id="caller", channel="phone"), name, args)
    assert result.status == "ok", result.error
    return result.result  # type: ignore[no-any-return]


def test_default_support_extension() -> None:
    assert _call("transfer_to_agent", {"reason": "Wants a person"}) == {
        "transfer": {"department": "support", "extension": "2001", "reason": "Wants a person"}
    }
    assert _call("get_available_departments", {}) == {
        "departments": [{"name": "support", "extension": "2001"}],
        "default": "support",
    }


def test_configured_departments(configure) -> None:  # type: ignore[no-untyped-def]
    configure(TRANSFER_EXTENSIONS='{"support": "2001", "Sales": "3001", "billing": "4001"}')
    sales = _call("transfer_to_agent", {"department": "sales", "reason": "Upgrade plan"})
    assert sales == {
        "transfer": {"department": "sales", "extension": "3001", "reason": "Upgrade plan"}
    }
    listed = _call("get_available_departments", {})
    assert [d["name"] for d in listed["departments"]] == ["support", "sales", "billing"]


def test_unknown_department_falls_back_with_a_note(configure) -> None:  # type: ignore[no-untyped-def]
    unknown = _call("transfer_to_agent", {"department": "legal", "reason": "Question"})
    assert unknown["transfer"]["department"] == "support"
    assert unknown["transfer"]["extension"] == "2001"
    assert "legal" in unknown["note"]

    configure(TRANSFER_EXTENSIONS='{"sales": "3001"}')
    without_support = _call("transfer_to_agent", {"department": "legal", "reason": "Question"})
    assert without_support["transfer"]["extension"] == "3001"


def test_transfer_arguments_are_checked() -> None:
    registry = get_registry()
    ctx = ToolContext(user_id="caller")
    for args in (
        {},
        {"reason": ""},
        {"reason": "x", "department": ""},
        {"reason": "x", "extension": "9999"},
    ):
        result = registry.call(ctx, "transfer_to_agent", args)
        assert result.status == "error" and result.error["kind"] == "invalid", args
    tools = {t.name for t in registry.tools(["transfer"])}
    assert tools == {"transfer_to_agent", "get_available_departments"}
