"""search_knowledge_base: PostgreSQL full-text ranking and the portable SQLite match agree."""

from __future__ import annotations

import pytest
from convonet.db.models import KnowledgeArticle
from convonet.demo import KNOWLEDGE_ARTICLES
from convonet.tools import ToolContext, get_registry
from sqlalchemy.orm import Session

RESULT_KEYS = {"slug", "title", "domain", "answer", "score"}


@pytest.fixture
def articles(db_session: Session) -> None:
    db_session.add_all(
        KnowledgeArticle(slug=slug, title=title, body=body, tags=tags, domain=domain)
        for slug, title, body, tags, domain in KNOWLEDGE_ARTICLES
    )
    db_session.add(
        KnowledgeArticle(
            slug="long-policy",
            title="Privacy policy for recorded calls",
            body="Recorded calls are kept for ninety days. " * 30,
            tags=["privacy"],
            domain="productivity",
        )
    )
    db_session.commit()


def _search(**args: object) -> dict:  # type: ignore[type-arg]
    result = get_registry().call(ToolContext(user_id="anyone"), "search_knowledge_base", args)
    assert result.status == "ok", result.error
    return result.result  # type: ignore[no-any-return]


@pytest.mark.usefixtures("articles")
@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("What are your opening hours?", "hanok-hours"),
        ("do I need prior authorization for an MRI", "plan-prior-auth"),
        ("which documents do I need for my mortgage application", "mortgage-documents"),
        ("debt-to-income ratio", "mortgage-dti"),
        ("can I cancel my reservation", "hanok-reservation-policy"),
        ("vegetarian allergies", "hanok-dietary"),
        ("how does the deductible work", "plan-deductible"),
    ],
)
def test_best_article_ranks_first(query: str, best: str) -> None:
    found = _search(query=query)
    assert found["query"] == query
    assert found["results"], f"nothing found for {query!r}"
    assert found["results"][0]["slug"] == best
    for hit in found["results"]:
        assert set(hit) == RESULT_KEYS and hit["score"] > 0
    scores = [hit["score"] for hit in found["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.usefixtures("articles")
def test_domain_filter_top_k_and_no_match() -> None:
    restaurant = _search(query="policy", domain="restaurant", top_k=5)
    assert restaurant["results"]
    assert {hit["domain"] for hit in restaurant["results"]} == {"restaurant"}
    assert len(_search(query="reservation waitlist cancel hours", top_k=1)["results"]) == 1
    assert _search(query="zebra xylophone quantum")["results"] == []
    assert _search(query="the of and")["results"] == []


@pytest.mark.usefixtures("articles")
def test_answers_are_short_enough_to_speak() -> None:
    hit = _search(query="recorded calls privacy")["results"][0]
    assert hit["slug"] == "long-policy"
    assert len(hit["answer"]) <= 403 and hit["answer"].endswith(".")


@pytest.mark.usefixtures("migrated_db")
def test_invalid_arguments() -> None:
    registry = get_registry()
    ctx = ToolContext(user_id="anyone")
    for args in (
        {},
        {"query": ""},
        {"query": "x" * 301},
        {"query": "a", "top_k": 11},
        {"query": "a", "domain": "weather"},
    ):
        result = registry.call(ctx, "search_knowledge_base", args)
        assert result.status == "error" and result.error["kind"] == "invalid", args
