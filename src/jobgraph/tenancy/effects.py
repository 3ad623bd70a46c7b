"""A tightened policy applies to the data already held, in the same unit of work as the
change itself: e.g. when a site stops offering PUBLIC profiles, its public resumes stop
being public at once and their owners are told why.

Rules that are read at every request (which fields an employer or the public sees) need no
change of data: the next request already follows them."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jobgraph.db.engine import in_pool
from jobgraph.identity.models import Account
from jobgraph.notifications.outbox import enqueue
from jobgraph.resumes.models import Resume
from jobgraph.tenancy.config import TenantConfig
from jobgraph.tenancy.models import TenantRow
from jobgraph.tenancy.registry import Tenant


async def apply_tightening(
    db: AsyncSession, row: TenantRow, before: TenantConfig, after: TenantConfig
) -> int:
    """Move resumes off visibilities the site no longer offers; returns how many moved."""
    withdrawn = sorted(
        set(before.policy.resume_visibilities) - set(after.policy.resume_visibilities)
    )
    if not withdrawn:
        return 0
    fallback = after.policy.default_resume_visibility
    async with in_pool(db, row.pool_id):
        moved = (
            await db.execute(
                update(Resume)
                .where(
                    Resume.pool_id == row.pool_id,
                    Resume.tenant_slug == row.slug,
                    Resume.visibility.in_([str(v) for v in withdrawn]),
                )
                .values(visibility=str(fallback))
                .returning(Resume.account_id, Resume.visibility)
            )
        ).all()
        if not moved:
            return 0
        owners = (
            await db.execute(
                select(Account.id, Account.email).where(
                    Account.pool_id == row.pool_id, Account.id.in_([m.account_id for m in moved])
                )
            )
        ).all()
        tenant = Tenant(row.slug, row.pool_id, row.version, after)
        site = after.branding.site_name
        for account_id, email in owners:
            await enqueue(
                db,
                tenant,
                account_id,
                email,
                "POLICY_CHANGE",
                f"visibility-withdrawn:{row.slug}:{row.version}:{account_id}",
                f"{site} changed who can see resumes",
                f"{site} no longer offers the visibility your resume had "
                f"({', '.join(withdrawn)}). Your resume is now {fallback}, effective "
                "immediately.\n\nYou can choose another visibility the site offers in your "
                "resume settings at any time.",
            )
    return len(moved)
