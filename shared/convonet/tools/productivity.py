"""Tools of the productivity domain (registered by the engineer who builds that domain)."""

from __future__ import annotations

from convonet.tools.registry import ToolRegistry


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
