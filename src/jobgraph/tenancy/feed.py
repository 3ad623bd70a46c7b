"""Which of a pool's companies and postings a tenant shows (a partner site's feed policy)."""

from __future__ import annotations

from jobgraph.policy.config import FeedPolicy
from jobgraph.tenancy.registry import Tenant


def feed_admits_company(feed: FeedPolicy | None, company_name: str) -> bool:
    if feed is None:
        return True
    if company_name in feed.exclude_companies:
        return False
    return not feed.include_companies or company_name in feed.include_companies


def company_present_on(tenant: Tenant, home_tenant: str, company_name: str) -> bool:
    """A company is present on the tenant it was created on, on the main site of its pool,
    and on each partner site whose feed admits it."""
    if home_tenant == tenant.slug or not tenant.is_partner_site:
        return True
    return feed_admits_company(tenant.config.policy.feed, company_name)
