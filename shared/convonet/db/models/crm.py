"""Local records of the SuiteCRM adapter: written at once, synced to the CRM later."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

CRM_KINDS = ("patient", "meeting", "case", "note", "call_summary")
CRM_SYNC_STATES = ("local_only", "pending", "synced", "failed")


class CrmRecord(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "crm_records"
    __table_args__ = (Index(None, "owner_id", "kind"),)

    owner_id: Mapped[str] = mapped_column(user_fk())
    kind: Mapped[str] = mapped_column(str_enum("crm_kind", *CRM_KINDS))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sync_state: Mapped[str] = mapped_column(
        str_enum("crm_sync_state", *CRM_SYNC_STATES), default="local_only", index=True
    )
