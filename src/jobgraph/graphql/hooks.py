"""What the lower domains ask of the higher ones (``tenancy/hooks.py``, ``identity/hooks.py``,
``webhooks/hooks.py``), filled here once: the service (``app.create_app``) and the command
line both take them from here."""

from __future__ import annotations

from jobgraph.graphql.payloads import applicant_fields
from jobgraph.identity.accounts import actor_names
from jobgraph.identity.hooks import IdentityHooks
from jobgraph.jobs import members
from jobgraph.resumes.service import withdraw_visibilities
from jobgraph.tenancy.hooks import TenancyHooks
from jobgraph.webhooks.hooks import WebhookHooks
from jobgraph.webhooks.service import site_settings_changed


def tenancy_hooks() -> TenancyHooks:
    """What tenancy asks of the domains above it (``tenancy/hooks.py``)."""
    return TenancyHooks(
        withdraw_visibilities=withdraw_visibilities,
        actor_names=actor_names,
        settings_changed=site_settings_changed,
    )


def webhook_hooks() -> WebhookHooks:
    """What webhooks ask of the domains above them (``webhooks/hooks.py``)."""
    return WebhookHooks(applicant_fields=applicant_fields)


def identity_hooks() -> IdentityHooks:
    """What identity asks of the domains above it (``identity/hooks.py``)."""
    return IdentityHooks(memberships=members.memberships)
