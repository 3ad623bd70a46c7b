"""Per-request loaders of the identity domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from aiodataloader import DataLoader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.identity.models import Account


class AccountByIdLoader(DataLoader[uuid.UUID, Account | None]):
    def __init__(self, db: AsyncSession, pool_id: str) -> None:
        super().__init__()
        self.db = db
        self.pool_id = pool_id

    async def batch_load_fn(self, ids: Iterable[uuid.UUID]) -> list[Account | None]:
        ids = list(ids)
        rows = await self.db.scalars(
            select(Account).where(Account.pool_id == self.pool_id, Account.id.in_(ids))
        )
        by_id = {row.id: row for row in rows}
        return [by_id.get(account_id) for account_id in ids]
