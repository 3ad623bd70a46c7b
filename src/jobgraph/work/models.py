"""The schedule of periodic work: one row per kind, shared by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base


class ScheduledWork(Base):
    """When a kind of periodic work is next due, and who holds it now: a process takes it
    with a lease (``lease_until``) and hands it back with its next due time; one that dies
    holding it loses it when the lease ends. No tenant's data, so not under row-level
    security (a platform table)."""

    __tablename__ = "scheduled_work"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    runs: Mapped[int] = mapped_column(BigInteger, default=0)
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
