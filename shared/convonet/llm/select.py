"""Which model answers a turn, and what happens when it cannot.

Choice: the request's provider, else the user's setting, else LLM_PROVIDER; a name that is
unknown or not configured is skipped. A provider is configured when its API key is set;
`offline` always is, and always comes last. The chosen provider is tried first, then the other
configured ones in PROVIDERS order, then `offline`, all within the turn's budget.

Failover rule: the next provider is tried on a ProviderError or when a provider has not started
answering within LLM_ATTEMPT_TIMEOUT_S, but never once text has reached the caller (it may
already have been spoken; a second voice would contradict the first). Tool calls are held back
until the response finishes, so a provider that fails after asking for a tool can still be
replaced without the tool having run.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from functools import lru_cache

from convonet.config import Settings, get_settings
from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    ChatModel,
    ProviderError,
    TextDelta,
    ToolCallRequested,
    ToolSpec,
)

log = logging.getLogger(__name__)

OFFLINE = "offline"
PROVIDERS = ("anthropic", "openai", "gemini")
_ALIASES = {"claude": "anthropic", "google": "gemini"}


@dataclass(frozen=True)
class _Vendor:
    """Where a provider's adapter lives and which settings configure it."""

    name: str
    adapter: str
    api_key: str

    @property
    def module(self) -> str:
        return f"convonet.llm.{self.name}"


_VENDORS = {
    v.name: v
    for v in (
        _Vendor("anthropic", "AnthropicChatModel", "anthropic_api_key"),
        _Vendor("openai", "OpenAIChatModel", "openai_api_key"),
        _Vendor("gemini", "GeminiChatModel", "google_api_key"),
    )
}


class AllProvidersFailed(ProviderError):
    """No provider answered within the budget; the agent speaks an apology instead."""

    def __init__(self, failures: Sequence[ProviderError]) -> None:
        summary = "; ".join(str(f) for f in failures) or "no provider was tried"
        super().__init__("failover", summary, retryable=any(f.retryable for f in failures))
        self.failures = tuple(failures)


def normalise_provider(name: str | None) -> str | None:
    if not name:
        return None
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def configured_providers(settings: Settings | None = None) -> list[str]:
    """Providers with an API key, in failover order, then `offline`."""
    settings = settings or get_settings()
    keyed = [p for p in PROVIDERS if settings.secret(_VENDORS[p].api_key)]
    return [*keyed, OFFLINE]


def choose_provider(
    requested: str | None = None,
    user_setting: str | None = None,
    settings: Settings | None = None,
) -> str:
    """The first configured of: the request's provider, the user's setting, LLM_PROVIDER."""
    settings = settings or get_settings()
    configured = configured_providers(settings)
    for source, name in (
        ("request", requested),
        ("user setting", user_setting),
        ("LLM_PROVIDER", settings.llm_provider),
    ):
        provider = normalise_provider(name)
        if provider in configured:
            return provider
        if provider:
            log.warning("llm provider %r from the %s is not configured; skipped", name, source)
    return configured[0]


def failover_order(first: str, settings: Settings | None = None) -> list[str]:
    """`first`, then every other configured provider, `offline` last."""
    configured = configured_providers(settings)
    return [first, *(p for p in configured if p != first)]


def build_model(
    provider: str, *, model: str | None = None, settings: Settings | None = None
) -> ChatModel:
    """The adapter for one provider, configured from settings (`model` overrides the model)."""
    settings = settings or get_settings()
    name = normalise_provider(provider)
    if name == OFFLINE:
        offline = importlib.import_module("convonet.llm.offline")
        return offline.OfflineChatModel()
    vendor = _VENDORS.get(name or "")
    if vendor is None:
        raise ValueError(f"unknown llm provider {provider!r}")
    api_key = settings.secret(vendor.api_key)
    if not api_key:
        raise ValueError(f"llm provider {name} is not configured ({vendor.api_key.upper()})")
    base_url: str | None = getattr(settings, f"{vendor.name}_base_url")
    return _adapter(vendor, model or getattr(settings, f"{vendor.name}_model"), api_key, base_url)


@lru_cache(maxsize=16)
def _adapter(vendor: _Vendor, model: str, api_key: str, base_url: str | None) -> ChatModel:
    """Adapters are reused, so their SDK clients keep connections warm between turns."""
    adapter = getattr(importlib.import_module(vendor.module), vendor.adapter)
    return adapter(api_key=api_key, model=model, base_url=base_url)


def build_failover_model(
    requested: str | None = None,
    user_setting: str | None = None,
    *,
    model: str | None = None,
    settings: Settings | None = None,
) -> FailoverChatModel:
    """The turn's model: the chosen provider first (with `model` if given), then failover."""
    settings = settings or get_settings()
    first = choose_provider(requested, user_setting, settings)
    models = [
        build_model(p, model=model if p == first else None, settings=settings)
        for p in failover_order(first, settings)
    ]
    return FailoverChatModel(models, attempt_timeout_s=settings.llm_attempt_timeout_s)


class FailoverChatModel:
    """A ChatModel over an ordered list of ChatModels (see the module docstring for the rule).

    `timeout_s` of `stream` is the whole budget across providers; each provider but the last
    must start answering within `attempt_timeout_s` of that budget.
    """

    provider = "failover"

    def __init__(self, models: Sequence[ChatModel], *, attempt_timeout_s: float) -> None:
        if not models:
            raise ValueError("failover needs at least one model")
        self.models = tuple(models)
        self.model = self.models[0].model
        self.attempt_timeout_s = attempt_timeout_s

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        failures: list[ProviderError] = []
        for index, model in enumerate(self.models):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            is_last = index == len(self.models) - 1
            start_by = deadline if is_last else loop.time() + min(self.attempt_timeout_s, remaining)
            relay = _Relay(model, start_by, deadline)
            stream = model.stream(
                messages, tools, system=system, max_tokens=max_tokens, timeout_s=remaining
            )
            try:
                async with aclosing(relay.events(stream)) as events:
                    async for event in events:
                        yield event
                return
            except ProviderError as exc:
                if relay.spoke:
                    raise
                failures.append(exc)
                log.warning("llm %s failed, failing over: %s", model.provider, exc)
        raise AllProvidersFailed(failures)


class _Relay:
    """One provider's attempt: passes text on at once, holds tool calls until it finishes."""

    def __init__(self, model: ChatModel, start_by: float, deadline: float) -> None:
        self.model = model
        self.start_by = start_by
        self.deadline = deadline
        self.started = False
        self.spoke = False

    async def events(self, stream: AsyncIterator[ChatEvent]) -> AsyncGenerator[ChatEvent, None]:
        held: list[ToolCallRequested] = []
        try:
            while (event := await self._next(stream)) is not None:
                self.started = True
                if isinstance(event, TextDelta):
                    self.spoke = True
                    yield event
                elif isinstance(event, ToolCallRequested):
                    held.append(event)
                else:
                    break
            for call in held:
                yield call
            if event is not None:
                yield event
        finally:
            if isinstance(stream, AsyncGenerator):
                await stream.aclose()

    async def _next(self, stream: AsyncIterator[ChatEvent]) -> ChatEvent | None:
        """The next event, within the time to start answering, then within the whole budget."""
        try:
            async with asyncio.timeout_at(self.deadline if self.started else self.start_by):
                return await anext(stream)
        except StopAsyncIteration:
            return None
        except TimeoutError as exc:
            raise ProviderError(self.model.provider, "timed out") from exc
