"""Chat models behind one port: Claude, OpenAI, Gemini and the offline model.

Importing this package imports no vendor SDK: each adapter imports its own when it streams.
"""

from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    ChatModel,
    ChatResponse,
    Finished,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
    collect,
)
from convonet.llm.select import (
    AllProvidersFailed,
    FailoverChatModel,
    build_failover_model,
    build_model,
    choose_provider,
    configured_providers,
    failover_order,
)

__all__ = [
    "AllProvidersFailed",
    "ChatEvent",
    "ChatMessage",
    "ChatModel",
    "ChatResponse",
    "FailoverChatModel",
    "Finished",
    "ProviderError",
    "TextDelta",
    "ToolCall",
    "ToolCallRequested",
    "ToolSpec",
    "Usage",
    "build_failover_model",
    "build_model",
    "choose_provider",
    "collect",
    "configured_providers",
    "failover_order",
]
