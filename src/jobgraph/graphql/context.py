"""What every resolver receives as ``info.context``: one per request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from jobgraph.tenancy.registry import Tenant


@dataclass
class Context:
    request: Request
    response: Response
    tenant: Tenant
    db: AsyncSession
