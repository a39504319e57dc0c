"""The agent graph and turn runner on the real StateStore adapters, with a scripted model.

Tools come from a registry with the real transfer tools plus a few test tools (one that
stalls, two that only finish together), so budgets and parallelism are observable.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from convonet.agent import usage
from convonet.agent.checkpointer import THREADS, CheckpointTooLarge, StateStoreCheckpointer
from convonet.agent.graph import (
    ERROR_APOLOGY,
    TIMEOUT_APOLOGY,
    Agent,
    repair_history,
)
from convonet.agent.turn import TurnRequest, TurnRunner, thread_id
from convonet.llm.base import ChatEvent, ChatMessage, ChatModel, ProviderError, TextDelta, ToolCall
from convonet.llm.scripted import ScriptedChatModel, ScriptedResponse, call_tool, say
from convonet.state import StateStore, set_state_store
from convonet.state.base import Document
from convonet.state.local import LocalStateStore
from convonet.tools import ToolRegistry
from convonet.tools import transfer as transfer_tools
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict

pytestmark = pytest.mark.usefixtures("use_local_state", "clock")


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptTools:
    """A stalling tool and a pair that rendezvous (they only finish if run in parallel)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.barrier = threading.Barrier(2, timeout=5)

    def registry(self) -> ToolRegistry:
        registry = ToolRegistry()
        transfer_tools.register(registry)
        registry.tool("stall", "Waits.", NoArgs, domain="knowledge", side_effects=False)(
            lambda _ctx, _args: self.release.wait(10)
        )
        for name in ("left", "right"):
            registry.tool(name, "Meets.", NoArgs, domain="knowledge", side_effects=False)(
                lambda _ctx, _args, name=name: {"side": name, "met": self.barrier.wait() >= 0}
            )
        return registry


@pytest.fixture
def tools() -> Iterator[ScriptTools]:
    test_tools = ScriptTools()
    yield test_tools
    test_tools.release.set()


def make_runner(
    model: ChatModel, registry: ToolRegistry, store: StateStore | None = None
) -> TurnRunner:
    agent = Agent(StateStoreCheckpointer(store), registry)
    return TurnRunner(agent, models=lambda _requested, _user: ("scripted", model))


def turn(prompt: str, session: str = "s1", user: str = "u1", **extra: Any) -> TurnRequest:
    return TurnRequest(user_id=user, session_id=session, prompt=prompt, provider="x", **extra)


def events(runner: TurnRunner, request: TurnRequest) -> list[tuple[str, dict[str, Any]]]:
    return list(runner.stream_sync(request))


class RecordingStore(LocalStateStore):
    """The local store, logging `<method> <collection>` of each read and write it serves."""

    def __init__(self, path: Path, log: list[str]) -> None:
        super().__init__(path)
        self.log = log

    def get(self, collection: str, key: str) -> Document | None:
        self.log.append(f"get {collection}")
        return super().get(collection, key)

    def set(self, collection: str, key: str, data: Document, *, ttl_s: float | None = None) -> None:
        self.log.append(f"set {collection}")
        super().set(collection, key, data, ttl_s=ttl_s)

    def merge(self, collection: str, key: str, data: Document) -> None:
        self.log.append(f"merge {collection}")
        super().merge(collection, key, data)

    def transact(
        self, collection: str, key: str, update: Callable[[Document | None], Document | None]
    ) -> Document | None:
        self.log.append(f"transact {collection}")
        return super().transact(collection, key, update)

    def delete(self, collection: str, key: str) -> None:
        self.log.append(f"delete {collection}")
        super().delete(collection, key)


def test_two_graph_instances_continue_one_thread(
    state_store_factory: Callable[[str], StateStore], tools: ScriptTools
) -> None:
    namespace = f"t{uuid.uuid4().hex[:12]}"
    first = make_runner(
        ScriptedChatModel([say("Hanok has a table at seven. Shall I book it?")]),
        tools.registry(),
        state_store_factory(namespace),
    )
    answer = first.run_sync(turn("book a table for two tonight"))
    assert answer["agent"] == "restaurant"

    second_model = ScriptedChatModel([say("Booked for six instead.")])
    second = make_runner(second_model, tools.registry(), state_store_factory(namespace))
    follow_up = second.run_sync(turn("actually make it six people"))

    assert follow_up["agent"] == "restaurant"  # the sticky domain came from the checkpoint
    seen = [(m.role, m.content) for m in second_model.calls[0].messages]
    assert seen == [
        ("user", "book a table for two tonight"),
        ("assistant", "Hanok has a table at seven. Shall I book it?"),
        ("user", "actually make it six people"),
    ]


def _earlier_graph_thread(store: StateStore, thread: str) -> None:
    """Store a thread the way the graph stored it before one node ran the whole turn: a
    domain agent node that asked for a tool, a tools node, the agent again (a deployment's
    stored conversations outlive the graph shape that wrote them)."""
    from convonet.agent.graph import AgentState
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command

    asked = {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "left"}]}
    answer = {"role": "assistant", "content": "Hanok has a table at seven."}
    result = {"role": "tool", "tool_call_id": "c1", "name": "left", "content": "{}"}

    def restaurant_agent(state: AgentState) -> Command[str]:
        if state["rounds"] == 0:
            return Command(update={"messages": [asked], "domain": "restaurant"}, goto="tools")
        return Command(update={"messages": [answer]}, goto=END)

    def tools(_state: AgentState) -> Command[str]:
        return Command(update={"messages": [result], "rounds": 1}, goto="restaurant_agent")

    graph = StateGraph(AgentState)
    graph.add_node("restaurant_agent", restaurant_agent, destinations=("tools", END))
    graph.add_node("tools", tools, destinations=("restaurant_agent",))
    graph.add_edge(START, "restaurant_agent")
    earlier = graph.compile(checkpointer=StateStoreCheckpointer(store))
    user = {"role": "user", "content": "book a table for two tonight"}
    config: RunnableConfig = {"configurable": {"thread_id": thread}}
    earlier.invoke({"messages": [user], "rounds": 0, "stop": False}, config, durability="exit")


def test_a_thread_stored_by_the_earlier_graph_shape_continues(
    state_store_factory: Callable[[str], StateStore], tools: ScriptTools
) -> None:
    store = state_store_factory(f"t{uuid.uuid4().hex[:12]}")
    _earlier_graph_thread(store, thread_id("u1", "s1"))
    model = ScriptedChatModel(
        [call_tool("get_available_departments", {}, "c2"), say("Booked for six.")]
    )

    follow_up = make_runner(model, tools.registry(), store).run_sync(turn("make it six"))

    assert follow_up["response"] == "Booked for six."
    assert follow_up["agent"] == "restaurant"  # the sticky domain came from the old checkpoint
    assert [(m.role, m.content) for m in model.calls[0].messages] == [
        ("user", "book a table for two tonight"),
        ("assistant", ""),
        ("tool", "{}"),
        ("assistant", "Hanok has a table at seven."),
        ("user", "make it six"),
    ]
    assert [m.role for m in model.calls[1].messages][-2:] == ["assistant", "tool"]


def test_sessions_and_users_have_their_own_threads(tools: ScriptTools) -> None:
    model = ScriptedChatModel([say("One."), say("Two."), say("Three.")])
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello", session="a"))
    runner.run_sync(turn("hello again", session="b"))
    runner.run_sync(turn("hi", session="a", user="u2"))
    assert [len(call.messages) for call in model.calls] == [1, 1, 1]
    assert thread_id(None, "a") != thread_id(None, "a")


def test_a_forgotten_conversation_leaves_no_memory_and_still_continues(
    tools: ScriptTools,
) -> None:
    model = ScriptedChatModel([say("One."), say("Two.")])
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello", session="a"))
    assert runner.agent.kept_threads() == {"u1:a"}

    runner.forget("u1", "a")  # its session closed

    assert runner.agent.kept_threads() == set()
    runner.run_sync(turn("hello again", session="a"))  # resumed: reloaded from the store
    assert [m.content for m in model.calls[1].messages] == ["hello", "One.", "hello again"]


def test_stream_order_and_transfer(tools: ScriptTools) -> None:
    model = ScriptedChatModel(
        [
            call_tool("transfer_to_agent", {"department": "support", "reason": "asked"}, "t1"),
            say("Connecting you now. Please hold."),
        ]
    )
    stream = events(make_runner(model, tools.registry()), turn("transfer me to a human"))
    names = [name for name, _ in stream]
    assert names == ["tool_call", "tool_result", "delta", "delta", "delta", "final"]
    deltas = [data for name, data in stream if name == "delta"]
    # the response's text is complete once the model's stream ends: the last delta says so
    assert [d.get("end", False) for d in deltas] == [False, False, True]
    assert deltas[-1]["text"] == ""
    final = stream[-1][1]
    assert final["transfer"] == {"department": "support", "extension": "2001", "reason": "asked"}
    assert final["agent"] == "transfer"
    assert final["response"] == "Connecting you now. Please hold."
    assert final["tool_calls"][0]["status"] == "success"
    assert {"route_ms", "tools_ms", "llm_first_token_ms", "total_ms"} <= set(final["timings"])


def test_prompt_carries_date_and_restaurant_time_zone(tools: ScriptTools) -> None:
    model = ScriptedChatModel([say("Hi.")])
    make_runner(model, tools.registry()).run_sync(turn("hello"))
    system = model.calls[0].system
    # The fake clock is 2026-01-05 17:00 UTC: 09:00 in Los Angeles.
    assert "2026-01-05" in system and "09:00" in system and "America/Los_Angeles" in system


def test_stalling_model_gets_an_apology_and_transfer_offer(configure, tools: ScriptTools) -> None:  # type: ignore[no-untyped-def]
    configure(AGENT_TIMEOUT_S=0.3)
    model = ScriptedChatModel([say("Too late.")], latency_s=30)
    final = events(make_runner(model, tools.registry()), turn("hello"))[-1][1]
    assert final["response"] == TIMEOUT_APOLOGY
    assert final["status"] == "timeout"
    assert "transfer" in final["response"] and "Error" not in final["response"]


def test_stalling_tool_gets_an_apology(configure, tools: ScriptTools) -> None:  # type: ignore[no-untyped-def]
    configure(TOOL_TIMEOUT_S=0.2)
    model = ScriptedChatModel([call_tool("stall", {}, "s1"), say("never said")])
    runner = make_runner(model, tools.registry())
    final = runner.run_sync(turn("look it up in the knowledge base"))
    assert final["response"] == TIMEOUT_APOLOGY
    assert final["tool_calls"][0]["status"] == "timeout"
    assert len(model.calls) == 1  # the budget is spent: no second model call
    # The stored conversation is whole: the timed-out call has its result, then the apology.
    stored = _run(runner.agent.messages("u1:s1"))
    assert [m["role"] for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert '"timeout"' in stored[2]["content"]


def test_provider_failure_is_spoken_as_an_apology(tools: ScriptTools) -> None:
    def fail(_messages: Sequence[ChatMessage]) -> ScriptedResponse:
        raise ProviderError("scripted", "503 from upstream")

    final = make_runner(ScriptedChatModel([fail]), tools.registry()).run_sync(turn("hello"))
    assert final["response"] == ERROR_APOLOGY
    assert final["status"] == "failed"


def test_tool_calls_of_one_response_run_in_parallel(tools: ScriptTools) -> None:
    both = ScriptedResponse(tool_calls=(ToolCall("l1", "left", {}), ToolCall("r1", "right", {})))
    model = ScriptedChatModel([both, say("Both done.")])
    final = make_runner(model, tools.registry()).run_sync(turn("search the knowledge base"))
    assert [c["result"] for c in final["tool_calls"]] in (
        [{"side": "left", "met": True}, {"side": "right", "met": True}],
        [{"side": "right", "met": True}, {"side": "left", "met": True}],
    )
    assert final["response"] == "Both done."


def test_tool_rounds_are_bounded(configure, tools: ScriptTools) -> None:  # type: ignore[no-untyped-def]
    configure(AGENT_MAX_TOOL_ROUNDS=1)
    model = ScriptedChatModel(
        [call_tool("get_available_departments", {}, "d1"), say("Support and sales.")]
    )
    make_runner(model, tools.registry()).run_sync(turn("talk to a person"))
    assert model.calls[0].tools and model.calls[1].tools == ()


def test_corrupted_history_is_repaired_not_fatal(tools: ScriptTools) -> None:
    model = ScriptedChatModel([say("Hello."), say("Back on track.")])
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))
    corrupted = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "x1", "name": "stall"}]},
        {"role": "tool", "tool_call_id": "ghost", "name": "stall", "content": "{}"},
        {"role": "user", "content": "are you there"},
    ]
    _run(runner.agent.replace_messages("u1:s1", corrupted))
    final = runner.run_sync(turn("hello?"))
    assert final["response"] == "Back on track."
    sent = model.calls[1].messages
    assert [m.role for m in sent] == ["user", "assistant", "tool", "user"]
    assert sent[2].tool_call_id == "x1" and "interrupted" in sent[2].content
    assert sent[3].content == "are you there\nhello?"


def test_a_repaired_turn_with_a_tool_round_stores_every_step_in_order(
    tools: ScriptTools,
) -> None:
    model = ScriptedChatModel(
        [say("Hello."), call_tool("get_available_departments", {}, "c1"), say("Support is 2001.")]
    )
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))
    corrupted = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "x1", "name": "stall"}]},
    ]
    _run(runner.agent.replace_messages("u1:s1", corrupted))

    final = runner.run_sync(turn("which extension is support"))

    assert final["response"] == "Support is 2001."
    stored = _run(runner.agent.messages("u1:s1"))
    assert [(m["role"], m.get("tool_call_id")) for m in stored] == [
        ("user", None),
        ("assistant", None),
        ("tool", "x1"),  # the repair closed the interrupted call
        ("user", None),
        ("assistant", None),  # asks for the tool
        ("tool", "c1"),
        ("assistant", None),
    ]
    assert stored[-1]["content"] == "Support is 2001."
    assert [m.role for m in model.calls[2].messages] == [m["role"] for m in stored[:-1]]


def test_repair_history_cases() -> None:
    assert repair_history([{"role": "assistant", "content": "orphan start"}]) == []
    calls = [{"id": "a", "name": "t"}, {"id": "b", "name": "t"}]
    repaired = repair_history(
        [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": calls},
            {"role": "tool", "tool_call_id": "b", "name": "t", "content": "ok"},
        ]
    )
    assert [(m["role"], m.get("tool_call_id")) for m in repaired] == [
        ("user", None),
        ("assistant", None),
        ("tool", "b"),
        ("tool", "a"),
    ]


def test_model_breaks_a_routing_tie(tools: ScriptTools) -> None:
    model = ScriptedChatModel([say("healthcare"), say("Let me check your claims.")])
    final = make_runner(model, tools.registry()).run_sync(
        turn("I need to schedule a meeting about my claims")
    )
    assert final["agent"] == "healthcare"
    assert "healthcare" in model.calls[0].system and model.calls[0].tools == ()


def test_monthly_token_limit_is_spoken_without_calling_the_model(
    configure,
    tools: ScriptTools,  # type: ignore[no-untyped-def]
) -> None:
    configure(AGENT_MONTHLY_TOKEN_LIMIT=20)
    model = ScriptedChatModel([say("One.", input_tokens=10, output_tokens=5)], cycle=True)
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))
    runner.run_sync(turn("hello"))
    assert usage.tokens_this_month("u1") == 30
    limited = runner.run_sync(turn("hello"))
    assert limited["response"] == usage.LIMIT_MESSAGE
    assert len(model.calls) == 2


def test_turns_add_their_usage_to_one_document_per_user_and_month(
    use_local_state: LocalStateStore, tools: ScriptTools
) -> None:
    model = ScriptedChatModel([say("Hi.", input_tokens=7, output_tokens=3)], cycle=True)
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))
    runner.run_sync(turn("hello again"))
    [(key, doc)] = use_local_state.query(usage.COLLECTION)
    assert key == usage.month_key("u1")
    tokens = (doc["scripted_input_tokens"], doc["scripted_output_tokens"], doc["total_tokens"])
    assert tokens == (14, 6, 20)


def test_checkpoint_is_written_after_the_first_sentence(tmp_path: Path, tools: ScriptTools) -> None:
    log: list[str] = []
    store = RecordingStore(tmp_path / "recording.db", log)
    model = ScriptedChatModel([say("First sentence. Second sentence.")])
    for name, _ in make_runner(model, tools.registry(), store).stream_sync(turn("hello")):
        log.append(name)
    assert log.index("delta") < log.index(f"set {THREADS}") < log.index("final")


def test_a_turn_reads_its_thread_with_one_get_and_stores_it_with_one_set(
    tmp_path: Path, tools: ScriptTools
) -> None:
    log: list[str] = []
    store = RecordingStore(tmp_path / "recording.db", log)
    model = ScriptedChatModel([say("One."), say("Two.")])
    runner = make_runner(model, tools.registry(), store)
    runner.run_sync(turn("hello"))
    runner.forget("u1", "s1")  # the second turn loads the checkpoint from the store
    runner.run_sync(turn("hello again"))

    assert [call for call in log if "agent" in call] == [f"get {THREADS}", f"set {THREADS}"] * 2
    assert [key for key, _doc in store.query(THREADS)] == ["u1:s1|"]
    assert [m.content for m in model.calls[1].messages] == ["hello", "One.", "hello again"]


def test_reset_thread_starts_over(tools: ScriptTools) -> None:
    model = ScriptedChatModel([say("One."), say("Fresh.")])
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))
    runner.run_sync(turn("hello", reset_thread=True))
    assert len(model.calls[1].messages) == 1


@pytest.mark.parametrize(
    "adapter", ["local", pytest.param("firestore", marks=pytest.mark.firestore)]
)
def test_checkpointer_keeps_the_newest_checkpoint_per_thread(
    adapter: str, request: pytest.FixtureRequest, tools: ScriptTools
) -> None:
    factory = request.getfixturevalue(f"{adapter}_store_factory")
    store = factory(f"t{uuid.uuid4().hex[:12]}")
    model = ScriptedChatModel([say("Ok.")], cycle=True)
    runner = make_runner(model, tools.registry(), store)
    for _ in range(5):
        runner.run_sync(turn("hello"))
    runner.run_sync(turn("hello", session="other"))
    saver = runner.agent.checkpointer
    config: RunnableConfig = {"configurable": {"thread_id": "u1:s1"}}
    history = list(saver.list(config))
    assert len(history) == 1
    latest = saver.get_tuple(config)
    assert latest is not None and latest.config == history[0].config
    assert len(latest.checkpoint["channel_values"]["messages"]) == 10
    assert len(store.query(THREADS)) == 2  # one document per thread, whatever its length
    saver.delete_thread("u1:s1")
    assert saver.get_tuple(config) is None
    assert [doc["thread_id"] for _key, doc in store.query(THREADS)] == ["u1:other"]


def test_checkpoints_larger_than_a_document_are_refused(tools: ScriptTools) -> None:
    saver = StateStoreCheckpointer()
    from langgraph.checkpoint.base import empty_checkpoint

    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"messages": [{"content": "x" * 1_100_000}]}
    with pytest.raises(CheckpointTooLarge):
        saver.put({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, checkpoint, {}, {})


def _run(coro: Any) -> Any:
    from convonet.agent.turn import _loop

    return _loop().run_until_complete(coro)


class MidSentenceModel:
    """A provider that says one sentence, then keeps generating until its stream is closed."""

    provider, model = "scripted", "mid-sentence-1"

    def __init__(self) -> None:
        self.closed = False

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[Any], **options: Any
    ) -> AsyncIterator[ChatEvent]:
        try:
            yield TextDelta("I looked at your list. ")
            await asyncio.sleep(3600)
            yield TextDelta("This part is never generated.")
        finally:
            self.closed = True


def test_a_consumer_leaving_mid_answer_stops_the_model_and_keeps_what_was_said(
    tools: ScriptTools,
) -> None:
    model = MidSentenceModel()
    runner = make_runner(model, tools.registry())

    async def barge_in() -> list[str]:
        events = runner.stream(turn("check my list"))
        seen = []
        async for name, _data in events:
            seen.append(name)
            if name == "delta":
                break
        await events.aclose()  # the listener barged in
        return seen

    assert _run(barge_in()) == ["delta"]
    assert model.closed, "the provider's stream was closed: it stops generating"
    stored = _run(runner.agent.messages("u1:s1"))
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", "check my list"),
        ("assistant", "I looked at your list."),
    ]


class EchoModel:
    """A provider whose answer follows from the conversation it is sent (so a request sent
    early and one sent late can be told apart). It logs `model` when a request starts and
    `closed` when a stream is closed before it finished; `stalls(history)` says which
    requests it never answers."""

    provider, model = "scripted", "echo-1"

    def __init__(
        self, log: list[str], stalls: Callable[[list[str]], bool] = lambda _history: False
    ) -> None:
        self.log, self.stalls = log, stalls
        self.requests: list[dict[str, Any]] = []

    async def stream(
        self, messages: Sequence[ChatMessage], tools: Sequence[Any], **options: Any
    ) -> AsyncIterator[ChatEvent]:
        request = {"history": [m.content for m in messages], "answered": False, "closed": False}
        self.requests.append(request)
        self.log.append("model")
        try:
            if self.stalls(request["history"]):
                await asyncio.Event().wait()
            yield TextDelta(f"Message {len(messages)}: you said {messages[-1].content}.")
            request["answered"] = True
        finally:
            if not request["answered"]:
                request["closed"] = True
                self.log.append("closed")


@pytest.mark.parametrize("early", [True, False], ids=["early", "AGENT_EARLY_REQUEST=false"])
def test_the_first_model_request_goes_out_before_the_thread_is_read(
    configure: Callable[..., Any], tmp_path: Path, tools: ScriptTools, early: bool
) -> None:
    configure(AGENT_EARLY_REQUEST=early)
    log: list[str] = []
    store = RecordingStore(tmp_path / "recording.db", log)
    model = EchoModel(log)
    runner = make_runner(model, tools.registry(), store)
    runner.run_sync(turn("hello"))
    del log[:]

    answer = runner.run_sync(turn("hello again"))

    # From the checkpoint this process kept, the request is sent while the graph starts.
    first_two = ["model", f"get {THREADS}"] if early else [f"get {THREADS}", "model"]
    assert [entry for entry in log if entry != f"set {THREADS}"][:2] == first_two
    assert answer["response"] == "Message 3: you said hello again."
    assert [r["history"] for r in model.requests] == [
        ["hello"],
        ["hello", "Message 1: you said hello.", "hello again"],
    ]
    assert not any(r["closed"] for r in model.requests)


@pytest.mark.parametrize("early_answers", [True, False], ids=["answered", "still-waiting"])
def test_an_early_request_on_a_stale_thread_is_closed_and_asked_again(
    state_store_factory: Callable[[str], StateStore],
    tools: ScriptTools,
    early_answers: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = state_store_factory(f"t{uuid.uuid4().hex[:12]}")
    log: list[str] = []
    stale = ["one", "Message 1: you said one.", "three"]
    here = EchoModel(log, stalls=lambda history: not early_answers and history == stale)
    this_instance = make_runner(here, tools.registry(), store)
    other_instance = make_runner(EchoModel([]), tools.registry(), store)
    this_instance.run_sync(turn("one"))
    other_instance.run_sync(turn("two"))  # this instance's kept checkpoint is now stale
    del log[:]

    with caplog.at_level(logging.INFO, logger="convonet.agent.graph"):
        answer = this_instance.run_sync(turn("three"))

    assert "asks the model again: its thread changed elsewhere" in caplog.text
    early, asked = here.requests[1:]
    assert early["history"] == stale
    # The stale request is closed (its provider stops) before the model is asked again.
    assert log == ["model", "closed", "model"]
    assert asked["history"][-3:] == ["two", "Message 3: you said two.", "three"]
    assert answer["response"] == "Message 5: you said three."
    stored = _run(this_instance.agent.messages(thread_id("u1", "s1")))
    assert [m["content"] for m in stored][-2:] == ["three", "Message 5: you said three."]


def test_a_consumer_leaving_while_the_early_request_waits_closes_it(tools: ScriptTools) -> None:
    asked_again = asyncio.Event()

    def stalls(history: list[str]) -> bool:
        """The first turn is answered, the second never is."""
        if len(history) == 1:
            return False
        asked_again.set()
        return True

    model = EchoModel([], stalls)
    runner = make_runner(model, tools.registry())
    runner.run_sync(turn("hello"))

    async def leave() -> None:
        consumer = asyncio.ensure_future(runner.run(turn("hello again")))
        await asked_again.wait()  # the early request is out
        consumer.cancel()  # the listener is gone before a word was said
        with pytest.raises(asyncio.CancelledError):
            await consumer

    _run(leave())

    assert len(model.requests) == 2, "the request was not sent again"
    assert model.requests[1]["closed"], "the waiting request was closed: its provider stops"
    stored = _run(runner.agent.messages("u1:s1"))
    assert [m["content"] for m in stored] == ["hello", "Message 1: you said hello.", "hello again"]


def _thread_recording(store_class: type[Any], reads: list[tuple[str, bool]]) -> type[Any]:
    """`store_class`, noting for each read its collection and whether it ran on this thread."""
    test_thread = threading.get_ident()

    class ThreadRecording(store_class):  # type: ignore[misc,valid-type]
        def get(self, collection: str, key: str) -> Document | None:
            reads.append((collection, threading.get_ident() == test_thread))
            return super().get(collection, key)  # type: ignore[no-any-return]

    return ThreadRecording


@pytest.mark.parametrize(
    "adapter", ["local", pytest.param("firestore", marks=pytest.mark.firestore)]
)
def test_a_store_whose_reads_block_is_read_off_the_event_loop(
    adapter: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    configure,  # type: ignore[no-untyped-def]
    tools: ScriptTools,
) -> None:
    """A turn's reads (the limit's counter, the thread's checkpoint) run on a worker thread on
    Firestore, where each is an RPC that would stall every session the loop serves, and inline
    on the embedded store, where the hop would cost more than the read."""
    from convonet.state.firestore import FirestoreStateStore

    configure(AGENT_MONTHLY_TOKEN_LIMIT=1000)
    reads: list[tuple[str, bool]] = []
    store: StateStore
    if adapter == "firestore":
        request.getfixturevalue("firestore_env")
        store = _thread_recording(FirestoreStateStore, reads)(
            project="convonet-test", namespace=f"t{uuid.uuid4().hex[:12]}"
        )
        request.addfinalizer(store.close)  # type: ignore[attr-defined]
    else:
        store = _thread_recording(LocalStateStore, reads)(tmp_path / "recording.db")
    set_state_store(store)
    runner = make_runner(ScriptedChatModel([say("One."), say("Two.")]), tools.registry(), store)
    runner.run_sync(turn("hello"))
    runner.forget("u1", "s1")  # the second turn loads the checkpoint from the store
    runner.run_sync(turn("hello again"))

    inline = adapter == "local"
    assert (usage.COLLECTION, inline) in reads
    assert (THREADS, inline) in reads
    assert {on_loop for _collection, on_loop in reads} == {inline}
