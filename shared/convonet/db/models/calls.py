"""Phone and browser calls with their transcripts (kept until `retention_until`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

CALL_CHANNELS = ("phone", "browser")
CALL_STATUSES = ("in_progress", "completed", "transferred", "failed", "abandoned")
TRANSCRIPT_SPEAKERS = ("user", "assistant", "agent")


class CallRecord(UUIDPrimaryKey, Timestamps, Base):
    """One call; owner_id is NULL until the caller authenticates (or if they never do)."""

    __tablename__ = "call_records"

    owner_id: Mapped[str | None] = mapped_column(user_fk("SET NULL"), index=True)
    # Twilio CallSid for phone calls, the voice session id for browser calls.
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(str_enum("call_channel", *CALL_CHANNELS))
    from_e164: Mapped[str | None] = mapped_column(String(16), index=True)
    to_e164: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(
        str_enum("call_status", *CALL_STATUSES), default="in_progress"
    )
    summary: Mapped[str | None] = mapped_column(Text)
    recording_url: Mapped[str | None] = mapped_column(String(2048))
    retention_until: Mapped[datetime | None] = mapped_column(index=True)

    lines: Mapped[list[CallTranscriptLine]] = relationship(
        back_populates="call",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CallTranscriptLine.seq",
    )


class CallTranscriptLine(UUIDPrimaryKey, Base):
    __tablename__ = "call_transcript_lines"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    call_id: Mapped[str] = mapped_column(ForeignKey("call_records.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(str_enum("transcript_speaker", *TRANSCRIPT_SPEAKERS))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    call: Mapped[CallRecord] = relationship(back_populates="lines")
