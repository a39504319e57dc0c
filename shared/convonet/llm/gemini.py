"""Gemini through the official `google-genai` SDK (streamGenerateContent, Gemini API).

The SDK is imported when a stream starts, never at import time; its retries are off and its
automatic function calling too (the agent runs tools, through the ledger). Tool schemas are
cut down to the OpenAPI subset Gemini's `parameters` accepts. Gemini's thought signatures are
handed back with the function calls they came with, so multi-step tool use keeps its
reasoning; a call this process did not see (another provider answered it, or another instance)
gets the placeholder signature Google documents for histories from elsewhere.
"""

from __future__ import annotations

import base64
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from convonet.llm.base import (
    ChatEvent,
    ChatMessage,
    Finished,
    LoopBoundClient,
    ProviderError,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    Usage,
    object_schema,
    status_error,
    stop_reason,
    tool_result_value,
)

if TYPE_CHECKING:
    from google.genai import Client

# Documented value for function calls whose real signature is unknown (histories from elsewhere).
FOREIGN_SIGNATURE = base64.urlsafe_b64decode("skip_thought_signature_validator")
# Calls Gemini returned without an id get a local one, never sent back (Gemini pairs by name).
_LOCAL_ID_PREFIX = "gemini-local-"
_SIGNATURES_KEPT = 4096

_SCHEMA_KEYS = {
    "type",
    "format",
    "description",
    "nullable",
    "enum",
    "items",
    "properties",
    "required",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "anyOf",
}
_FORMATS = {"date-time", "enum", "int32", "int64", "float", "double"}
_MAX_SCHEMA_DEPTH = 32


def gemini_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A pydantic/JSON schema as Gemini's Schema: `$ref`s inlined from `$defs`, `anyOf [X, null]`
    as `nullable`, `const` as a one-value enum; keys Gemini rejects (`title`,
    `additionalProperties`, `default`, `$defs`, ...) dropped; unsupported formats told in words."""
    schema = object_schema(dict(parameters))
    return _clean(schema, schema.get("$defs", {}), 0)


def _clean(node: Mapping[str, Any], defs: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if depth > _MAX_SCHEMA_DEPTH:
        raise ValueError("tool schema nests too deep (recursive $ref?)")
    node = _resolved(node, defs)
    nullable = False
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        nullable = len(types) < len(node["type"])
        node = {**node, "type": types[0] if types else "string"}
    if "anyOf" in node:
        variants = [v for v in node["anyOf"] if _resolved(v, defs).get("type") != "null"]
        nullable = nullable or len(variants) < len(node["anyOf"])
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        node = (
            {**_resolved(variants[0], defs), **rest}
            if len(variants) == 1
            else rest | {"anyOf": variants}
        )
    out = {key: _clean_value(key, value, defs, depth) for key, value in node.items()}
    out = {key: value for key, value in out.items() if key in _SCHEMA_KEYS and value is not None}
    if "const" in node:
        out["enum"] = [node["const"]]
    if "enum" in out and not all(isinstance(v, str) for v in out["enum"]):
        out["description"] = _described(out, f"One of {out.pop('enum')}.")
    if node.get("format") and node["format"] not in _FORMATS:
        out["description"] = _described(out, f"Format: {out.pop('format')}.")
    if nullable:
        out["nullable"] = True
    return out


def _clean_value(key: str, value: Any, defs: Mapping[str, Any], depth: int) -> Any:
    if key == "properties":
        return {name: _clean(sub, defs, depth + 1) for name, sub in value.items()}
    if key == "items" and isinstance(value, Mapping):
        return _clean(value, defs, depth + 1)
    if key == "anyOf":
        return [_clean(sub, defs, depth + 1) for sub in value]
    if key == "type":
        return str(value).upper()
    return value


def _resolved(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    target = defs.get(ref.rsplit("/", 1)[-1])
    if target is None:
        raise ValueError(f"tool schema refers to an unknown definition {ref}")
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _described(node: Mapping[str, Any], note: str) -> str:
    description = node.get("description", "")
    return f"{description} {note}".strip()


def to_gemini(
    messages: Sequence[ChatMessage], system: str, signatures: Mapping[str, bytes]
) -> tuple[str, list[dict[str, Any]]]:
    """Port messages as Gemini contents: assistant turns as `model` with functionCall parts
    (each step's first call carrying its thought signature), tool results as functionResponse
    parts in a `user` turn; the system prompt apart; same-role neighbours merged."""
    system_parts = [system] if system else []
    names = {call.id: call.name for m in messages for call in m.tool_calls}
    contents: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            system_parts.append(message.content)
            continue
        role = "model" if message.role == "assistant" else "user"
        parts = _parts(message, names, signatures)
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return "\n\n".join(system_parts), contents


def _parts(
    message: ChatMessage, names: Mapping[str, str], signatures: Mapping[str, bytes]
) -> list[dict[str, Any]]:
    if message.role == "tool":
        call_id = message.tool_call_id or ""
        response = {
            "name": message.name or names.get(call_id, ""),
            "response": {"output": tool_result_value(message.content)},
        }
        return [{"function_response": _with_id(response, call_id)}]
    parts: list[dict[str, Any]] = [{"text": message.content}] if message.content else []
    for index, call in enumerate(message.tool_calls):
        part: dict[str, Any] = {
            "function_call": _with_id({"name": call.name, "args": call.arguments}, call.id)
        }
        if index == 0:
            part["thought_signature"] = signatures.get(call.id, FOREIGN_SIGNATURE)
        parts.append(part)
    return parts


def _with_id(payload: dict[str, Any], call_id: str) -> dict[str, Any]:
    if call_id and not call_id.startswith(_LOCAL_ID_PREFIX):
        payload["id"] = call_id
    return payload


class GeminiChatModel:
    provider = "gemini"

    def __init__(self, *, api_key: str, model: str, base_url: str | None = None) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._client: LoopBoundClient[Client] = LoopBoundClient(self._new_client)
        self._signatures: OrderedDict[str, bytes] = OrderedDict()

    def _new_client(self) -> Client:
        from google import genai
        from google.genai import types

        options = types.HttpOptions(
            base_url=self._base_url, retry_options=types.HttpRetryOptions(attempts=1)
        )
        return genai.Client(api_key=self._api_key, vertexai=False, http_options=options)

    async def stream(
        self,
        messages: Sequence[ChatMessage],
        tools: Sequence[ToolSpec],
        *,
        system: str = "",
        max_tokens: int = 1024,
        timeout_s: float = 10.0,
    ) -> AsyncIterator[ChatEvent]:
        from google.genai import errors, types

        system_prompt, contents = to_gemini(messages, system, self._signatures)
        config = types.GenerateContentConfig(
            system_instruction=system_prompt or None,
            tools=[_declarations(tools)] if tools else None,
            max_output_tokens=max_tokens,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            http_options=types.HttpOptions(timeout=int(timeout_s * 1000)),
        )
        try:
            chunks = await self._client.get().aio.models.generate_content_stream(
                model=self.model, contents=contents, config=config
            )
            async for event in _Translation(self._remember).events(chunks):
                yield event
        except errors.APIError as exc:
            raise _provider_error(exc) from exc
        except _transport_errors() as exc:
            raise ProviderError("gemini", f"transport failed: {exc!r}") from exc

    def _remember(self, call_id: str, signature: bytes) -> None:
        self._signatures[call_id] = signature
        while len(self._signatures) > _SIGNATURES_KEPT:
            self._signatures.popitem(last=False)


def _declarations(tools: Sequence[ToolSpec]) -> Any:
    from google.genai import types

    return types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name=t.name,
                description=t.description,
                parameters=types.Schema.model_validate(gemini_schema(t.parameters)),
            )
            for t in tools
        ]
    )


class _Translation:
    """Streamed GenerateContentResponse chunks -> port events (thought parts are not spoken)."""

    def __init__(self, remember: Any) -> None:
        self.remember = remember
        self.calls = 0
        self.usage = Usage()
        self.reason: str | None = None

    async def events(self, chunks: AsyncIterator[Any]) -> AsyncIterator[ChatEvent]:
        async for chunk in chunks:
            self._account(chunk)
            for part in self._parts(chunk):
                if part.function_call is not None:
                    yield ToolCallRequested(self._call(part))
                elif part.text and not part.thought:
                    yield TextDelta(part.text)
        yield Finished(stop_reason(self.reason, tool_calls=self.calls > 0), self.usage)

    def _account(self, chunk: Any) -> None:
        meta = chunk.usage_metadata
        if meta is not None:
            output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
            self.usage = Usage(meta.prompt_token_count or 0, output)
        feedback = chunk.prompt_feedback
        if not chunk.candidates and feedback is not None and feedback.block_reason:
            self.reason = "refusal"

    def _parts(self, chunk: Any) -> list[Any]:
        if not chunk.candidates:
            return []
        candidate = chunk.candidates[0]
        if candidate.finish_reason:
            self.reason = getattr(candidate.finish_reason, "value", str(candidate.finish_reason))
        return list(candidate.content.parts or []) if candidate.content else []

    def _call(self, part: Any) -> ToolCall:
        call = part.function_call
        self.calls += 1
        call_id = call.id or f"{_LOCAL_ID_PREFIX}{uuid.uuid4().hex[:12]}"
        if part.thought_signature:
            self.remember(call_id, part.thought_signature)
        return ToolCall(call_id, call.name or "", dict(call.args or {}))


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httpx

    errors: tuple[type[BaseException], ...] = (httpx.HTTPError, OSError, TimeoutError)
    try:
        import aiohttp
    except ImportError:
        return errors
    return (*errors, aiohttp.ClientError)


def _provider_error(exc: Any) -> ProviderError:
    return status_error("gemini", int(exc.code or 0), exc)
