"""Accounts: one per person per tenant pool (a partner site shares its main site's pool)."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jobgraph.db.models import Base, PoolOwned


class Account(PoolOwned, Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("pool_id", "email_normalized"),)

    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(200))
