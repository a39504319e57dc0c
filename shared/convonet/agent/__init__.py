"""The agent: LangGraph graph, domain routing, StateStore checkpointer, prompts, the turn runner.

This package's __init__ imports nothing: `routing` and `usage` stay light, and only `graph`,
`checkpointer` and `turn` load LangGraph.
"""
