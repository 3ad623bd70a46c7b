"""What privacy keeps of its own: records the law makes us keep after an account is gone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    String,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class RetainedRecord(PoolOwned, Base):
    """What the law makes us keep after an account is deleted, under a pseudonym: e.g. that
    a lawful disclosure took place, never the personal values disclosed."""

    __tablename__ = "retained_records"

    pseudonym: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
