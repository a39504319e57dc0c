"""Knowledge-base articles the assistant searches (restaurant policies, FAQs)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey


class KnowledgeArticle(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "knowledge_articles"

    slug: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    # The domain agent that owns the article: productivity, mortgage, healthcare, restaurant.
    domain: Mapped[str] = mapped_column(String(32), index=True)
