"""A partner site made through the operator API."""

from __future__ import annotations

TOKYO_PARTNER = {
    "slug": "tokyo-jobs",
    "name": "Tokyo Jobs",
    "hostnames": ["tokyo.jobboard.localhost"],
    "parent": "jobboard",
    "branding": {"site_name": "Tokyo Jobs"},
    "policy": {"resume_visibilities": ["PRIVATE"]},
}


async def create_tenant(api, operator: str, config: dict) -> dict:
    return await api.data(
        "mutation($c: JSON!) { createTenant(config: $c) { settings { slug version source } } }",
        {"c": config},
        tenant="jobboard",
        token=operator,
    )
