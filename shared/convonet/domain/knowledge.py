"""Full-text search over the organisation's knowledge base (FAQs, policies).

PostgreSQL ranks with its own text search (`to_tsvector` / `websearch_to_tsquery`, English
stemming, title weighted above body). SQLite has no such thing, so the same question is
answered by a portable scored match: stop words dropped, words crudely stemmed, title hits
weighted above body hits. A spoken question rarely contains every word of the answer, so both
match any of its words and rank articles matching more of them first. Both return the same shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Float, String, bindparam, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from convonet.db.models import KnowledgeArticle

ANSWER_CHARS = 400
_WORD = re.compile(r"[a-z0-9]+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s")
_STOP_WORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "we",
        "us",
    }
)


@dataclass(frozen=True)
class Hit:
    article: KnowledgeArticle
    score: float


def search(
    session: Session, query: str, top_k: int = 3, domain: str | None = None
) -> dict[str, Any]:
    """The best `top_k` articles for `query`, each with a speakable answer excerpt."""
    if session.get_bind().dialect.name == "postgresql":
        hits = _search_postgres(session, query, top_k, domain)
    else:
        hits = _search_portable(session, query, top_k, domain)
    return {
        "query": query,
        "results": [
            {
                "slug": hit.article.slug,
                "title": hit.article.title,
                "domain": hit.article.domain,
                "answer": _excerpt(hit.article.body),
                "score": round(hit.score, 4),
            }
            for hit in hits
        ],
    }


def _search_postgres(session: Session, query: str, top_k: int, domain: str | None) -> list[Hit]:
    # Constants inlined as typed SQL literals (a bound parameter would arrive as varchar).
    english = literal_column("'english'::regconfig", type_=String)
    heading = KnowledgeArticle.title + " " + func.coalesce(cast(KnowledgeArticle.tags, String), "")
    document = func.setweight(func.to_tsvector(english, heading), literal_column("'A'")).op("||")(
        func.setweight(func.to_tsvector(english, KnowledgeArticle.body), literal_column("'B'"))
    )
    # websearch_to_tsquery ANDs the words; a spoken question needs OR (ranking favours all words).
    anded = cast(func.websearch_to_tsquery(english, bindparam("q", query)), String)
    tsquery = func.to_tsquery(english, func.replace(anded, " & ", " | "))
    score = func.ts_rank_cd(document, tsquery, type_=Float)
    stmt = select(KnowledgeArticle, score).where(document.op("@@", return_type=Boolean)(tsquery))
    if domain:
        stmt = stmt.where(KnowledgeArticle.domain == domain)
    stmt = stmt.order_by(score.desc(), KnowledgeArticle.slug).limit(top_k)
    return [Hit(article, float(value)) for article, value in session.execute(stmt).all()]


def _search_portable(session: Session, query: str, top_k: int, domain: str | None) -> list[Hit]:
    terms = set(_terms(query))
    if not terms:
        return []
    # A cheap prefilter in SQL (any stem as a substring), the scoring in Python.
    haystack = func.lower(
        KnowledgeArticle.title
        + " "
        + KnowledgeArticle.body
        + " "
        + cast(KnowledgeArticle.tags, String)
    )
    stmt = select(KnowledgeArticle).where(or_(*(haystack.contains(term) for term in terms)))
    if domain:
        stmt = stmt.where(KnowledgeArticle.domain == domain)
    hits = [Hit(article, _score(terms, article)) for article in session.scalars(stmt)]
    hits = [hit for hit in hits if hit.score > 0]
    hits.sort(key=lambda hit: (-hit.score, hit.article.slug))
    return hits[:top_k]


def _score(terms: set[str], article: KnowledgeArticle) -> float:
    heading = set(_terms(" ".join([article.title, *article.tags])))
    body = _terms(article.body)
    matched = terms & (heading | set(body))
    if not matched:
        return 0.0
    title_hits = len(terms & heading)
    body_hits = sum(1 for word in body if word in terms)
    coverage = len(matched) / len(terms)
    return coverage * (1.0 + title_hits) + body_hits / (len(body) + 10)


def _terms(text: str) -> list[str]:
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOP_WORDS]


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _excerpt(body: str) -> str:
    if len(body) <= ANSWER_CHARS:
        return body
    cut = body[:ANSWER_CHARS].rsplit(". ", 1)[0]
    return cut + "." if len(cut) > ANSWER_CHARS // 2 else body[:ANSWER_CHARS].rstrip() + "..."
