"""The keys that sign access tokens (ES256), kept in the database so every process signs
and verifies with the same set, encrypted at rest with the secret key.

Rotation adds a new key and retires the old ones: a retired key no longer signs but stays
published in the JWKS, and keeps verifying, until every token it signed has expired. Each
process re-reads the keys every minute and whenever a token names a key it does not know.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.identity.models import SigningKey
from jobgraph.settings import Settings
from jobgraph.signing import sealer

ALGORITHM = "ES256"
_RELOAD_EVERY_S = 60.0
_UNKNOWN_KID_RELOAD_GAP_S = 5.0
_FIRST_KEY_LOCK = 0x6A6F6267  # pg_advisory_xact_lock key of first-key creation ("jobg")


class KeyRing:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._fernet = sealer(settings.secret_key)
        self._signing: ECKey | None = None
        self._verifying = KeySet([])
        self._loaded_at = 0.0
        self._unknown_kid_reload_at = 0.0

    @property
    def _published_for(self) -> timedelta:
        # A retired key verifies what it signed, until that expires (and a slow reload).
        return timedelta(
            seconds=self._settings.access_token_ttl_s
            + self._settings.token_leeway_s
            + _RELOAD_EVERY_S
        )

    async def signing_key(self) -> ECKey:
        if self._signing is None or time.monotonic() - self._loaded_at > _RELOAD_EVERY_S:
            await self.reload()
        if self._signing is None:
            await self.ensure()
        assert self._signing is not None
        return self._signing

    async def ensure(self) -> None:
        """Make the first signing key if there is none (at start-up, so the JWKS is never
        empty). Several processes starting at once make one key between them: the check
        and the insert happen under one transaction-scoped advisory lock."""
        await self.reload()
        if self._signing is not None:
            return
        async with self._sessions() as session, session.begin():
            await session.execute(select(func.pg_advisory_xact_lock(_FIRST_KEY_LOCK)))
            active = await session.scalar(
                select(func.count()).select_from(SigningKey).where(SigningKey.retired_at.is_(None))
            )
            if not active:
                session.add(self._new_key()[1])
        await self.reload()

    async def verification_keys(self, kid: str | None) -> KeySet:
        now = time.monotonic()
        if now - self._loaded_at > _RELOAD_EVERY_S:
            await self.reload()
        elif (
            kid is not None
            and not any(key.kid == kid for key in self._verifying.keys)
            and now - self._unknown_kid_reload_at > _UNKNOWN_KID_RELOAD_GAP_S
        ):
            # A key another process just made, or a forged kid: re-read, but not so often
            # that tokens with made-up kids could keep the database busy.
            self._unknown_kid_reload_at = now
            await self.reload()
        return self._verifying

    async def jwks(self) -> dict[str, Any]:
        await self.verification_keys(None)
        return dict(self._verifying.as_dict(private=False))

    async def reload(self) -> None:
        cutoff = datetime.now(UTC) - self._published_for
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(SigningKey)
                    .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > cutoff))
                    .order_by(SigningKey.created_at)
                )
            ).all()
        self._verifying = KeySet([ECKey.import_key(row.public_jwk) for row in rows])
        active = [row for row in rows if row.retired_at is None]
        self._signing = self._decrypt(active[-1]) if active else None
        self._loaded_at = time.monotonic()

    async def rotate(self) -> str:
        """Make a new signing key and retire the others; returns the new key id."""
        kid, row = self._new_key()
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(SigningKey)
                .where(SigningKey.retired_at.is_(None))
                .values(retired_at=datetime.now(UTC))
            )
            session.add(row)
        await self.reload()
        return kid

    def _new_key(self) -> tuple[str, SigningKey]:
        kid = secrets.token_urlsafe(12)
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": ALGORITHM})
        private = json.dumps(key.as_dict(private=True)).encode()
        return kid, SigningKey(
            kid=kid,
            algorithm=ALGORITHM,
            private_key=self._fernet.encrypt(private).decode(),
            public_jwk=key.as_dict(private=False),
        )

    def _decrypt(self, row: SigningKey) -> ECKey:
        return ECKey.import_key(json.loads(self._fernet.decrypt(row.private_key.encode())))
