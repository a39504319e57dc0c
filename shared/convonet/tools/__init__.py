"""The tool registry with every domain's tools registered."""

from __future__ import annotations

import importlib
import threading

from convonet.tools.registry import Tool, ToolContext, ToolRegistry, ToolResult

__all__ = ["Tool", "ToolContext", "ToolRegistry", "ToolResult", "get_registry"]

# One module per domain; each exposes `register(registry)`.
TOOL_MODULES = (
    "productivity",
    "calls",
    "knowledge",
    "transfer",
    "mortgage",
    "healthcare",
    "crm",
    "restaurant",
)

_registry: ToolRegistry | None = None
_lock = threading.Lock()


def get_registry() -> ToolRegistry:
    global _registry
    with _lock:
        if _registry is None:
            registry = ToolRegistry()
            for name in TOOL_MODULES:
                module = importlib.import_module(f"convonet.tools.{name}")
                module.register(registry)
            _registry = registry
        return _registry
