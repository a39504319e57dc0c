"""One tool call in-process (the registry, as the agent calls it) against the same call over
MCP stdio (`python -m convonet.mcp`, the real `mcp` client), as the original system did.

The original's MultiServerMCPClient opened a stdio session per tool call: spawn the server,
initialize, call, exit. That is the "MCP stdio, new session" row; "MCP stdio, warm session"
keeps one session open. Two tools: `get_available_departments` (no I/O: pure overhead) and
`search_knowledge_base` (a database read). SQLite demo data; p50/p95 and ratios. Figures only.

    .venv/bin/python bench/tool_call.py [--calls 500] [--spawns 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

CASES: dict[str, dict[str, Any]] = {
    "get_available_departments": {},
    "search_knowledge_base": {"query": "opening hours"},
}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _prepare(workdir: Path) -> str:
    """Migrate and seed a SQLite database; returns a demo user's id."""
    os.environ["DATA_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'tools.db'}"
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.db.models import User
    from convonet.demo import seed_demo_data
    from sqlalchemy import select

    upgrade(os.environ["DATABASE_URL"])
    with session_scope() as session:
        seed_demo_data(session)
        return str(session.scalars(select(User.id).order_by(User.email)).first())


def _in_process(user_id: str, name: str, args: dict[str, Any], calls: int) -> list[float]:
    from convonet.tools import ToolContext, get_registry

    registry, ctx = get_registry(), ToolContext(user_id=user_id)
    samples = []
    for n in range(calls + 20):
        started = time.perf_counter()
        result = registry.call(ctx, name, args)
        elapsed = (time.perf_counter() - started) * 1000
        assert result.status == "ok", result.error
        if n >= 20:
            samples.append(elapsed)
    return samples


def _server(token: str) -> Any:
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "CONVONET_TOKEN": token, "LOG_LEVEL": "WARNING"}
    return StdioServerParameters(command=sys.executable, args=["-m", "convonet.mcp"], env=env)


async def _timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    result = await work()
    assert not getattr(result, "is_error", False), result
    return (time.perf_counter() - started) * 1000


def _mcp_warm(token: str, name: str, args: dict[str, Any], calls: int) -> list[float]:
    from mcp import Client

    async def run() -> list[float]:
        async with Client(_server(token)) as client:
            for _ in range(20):
                await client.call_tool(name, args)
            return [await _timed(lambda: client.call_tool(name, args)) for _ in range(calls)]

    return anyio.run(run)


def _mcp_new_session(token: str, name: str, args: dict[str, Any], spawns: int) -> list[float]:
    from mcp import Client

    async def once() -> Any:
        async with Client(_server(token)) as client:
            return await client.call_tool(name, args)

    async def run() -> list[float]:
        return [await _timed(once) for _ in range(spawns)]

    return anyio.run(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--spawns", type=int, default=5)
    args = parser.parse_args()
    from convonet.auth.tokens import issue_user_token

    with tempfile.TemporaryDirectory() as tmp:
        user_id = _prepare(Path(tmp))
        token = issue_user_token(user_id, ["user"], [], "access").token
        for name, arguments in CASES.items():
            local = _percentiles(_in_process(user_id, name, arguments, args.calls))
            warm = _percentiles(_mcp_warm(token, name, arguments, args.calls))
            spawned = statistics.median(_mcp_new_session(token, name, arguments, args.spawns))
            print(f"{name}:")
            print(f"  in-process registry   p50 {local[0]:8.3f} ms  p95 {local[1]:8.3f} ms")
            print(
                f"  MCP stdio, warm       p50 {warm[0]:8.3f} ms  p95 {warm[1]:8.3f} ms"
                f"  ({warm[0] / local[0]:.0f}x in-process p50)"
            )
            print(
                f"  MCP stdio, new session median {spawned:8.1f} ms"
                f"  ({spawned / local[0]:.0f}x in-process p50)"
            )


if __name__ == "__main__":
    main()
