"""The one tool registry: typed tools the model (and MCP clients) can call.

A tool is a name, a description written for a model, a pydantic arguments model (its JSON
schema is what the model sees), a handler `(ctx, args) -> result`, its domain, whether it
has side effects and whether it blocks (does I/O). The caller's identity is always `ctx`
(from a verified credential), never an argument. Side-effecting calls go through the ledger,
so a retried or interrupted call runs once and the repeat gets the first result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from convonet.domain.errors import DomainError

Channel = Literal["api", "voice", "phone", "mcp", "agent"]
ResultStatus = Literal["ok", "error"]


@dataclass(frozen=True)
class ToolContext:
    """Who is calling and from where; built from the authenticated session only."""

    user_id: str
    team_ids: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset({"user"})
    session_id: str = ""
    request_id: str = ""
    channel: Channel = "api"
    tool_call_id: str | None = None
    locale: str = "en"
    caller_phone: str | None = None


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args_model: type[BaseModel]
    handler: Callable[[ToolContext, Any], Any]
    domain: str
    side_effects: bool
    blocking: bool = True
    """Does I/O (database, StateStore, network): a caller with a time budget runs it on a worker
    thread. False only for a tool that computes from memory, which may run inline."""

    def json_schema(self) -> dict[str, Any]:
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        return schema


@dataclass
class ToolResult:
    name: str
    status: ResultStatus
    result: Any = None
    error: dict[str, str] | None = None
    duration_ms: float = 0.0
    replayed: bool = False
    arguments: dict[str, Any] = field(default_factory=dict)

    def for_model(self) -> dict[str, Any]:
        """What the model reads back: the result, or the error phrased to be explained."""
        if self.status == "ok":
            return {"ok": True, "result": self.result}
        return {"ok": False, "error": self.error}


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def add(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name} registered twice")
        self._tools[tool.name] = tool

    def tool(
        self,
        name: str,
        description: str,
        args: type[BaseModel],
        *,
        domain: str,
        side_effects: bool,
        blocking: bool = True,
    ) -> Callable[[Callable[[ToolContext, Any], Any]], Callable[[ToolContext, Any], Any]]:
        """Decorator form of `add`."""

        def register(
            handler: Callable[[ToolContext, Any], Any],
        ) -> Callable[[ToolContext, Any], Any]:
            self.add(Tool(name, description, args, handler, domain, side_effects, blocking))
            return handler

        return register

    def get(self, name: str) -> Tool:
        return self._tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def blocks(self, name: str) -> bool:
        """Whether calling `name` may block: the tool does I/O, or the ledger does for it."""
        tool = self._tools.get(name)
        return tool is not None and (tool.blocking or tool.side_effects)

    def tools(self, domains: Iterable[str] | None = None) -> list[Tool]:
        wanted = set(domains) if domains is not None else None
        return [t for t in self._tools.values() if wanted is None or t.domain in wanted]

    def call(self, ctx: ToolContext, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Validate, run once (ledger for side effects), and return a typed result; never raises
        for the model's mistakes or domain refusals."""
        started = time.perf_counter()
        tool = self._tools.get(name)
        if tool is None:
            return _error(name, "invalid", f"There is no tool named {name}.", arguments, started)
        try:
            args = tool.args_model.model_validate(arguments)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "arguments"
            return _error(name, "invalid", f"{where}: {first['msg']}", arguments, started)
        if tool.side_effects:
            from convonet.tools.ledger import run_once

            outcome = run_once(ctx, tool, args, lambda: _invoke(tool, ctx, args))
        else:
            outcome = _invoke(tool, ctx, args)
        outcome.arguments = arguments
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        return outcome


def _invoke(tool: Tool, ctx: ToolContext, args: BaseModel) -> ToolResult:
    try:
        result = tool.handler(ctx, args)
    except DomainError as exc:
        return ToolResult(tool.name, "error", error={"kind": exc.kind, "message": exc.message})
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return ToolResult(tool.name, "ok", result=result)


def _error(
    name: str, kind: str, message: str, arguments: dict[str, Any], started: float
) -> ToolResult:
    return ToolResult(
        name,
        "error",
        error={"kind": kind, "message": message},
        duration_ms=(time.perf_counter() - started) * 1000,
        arguments=arguments,
    )
