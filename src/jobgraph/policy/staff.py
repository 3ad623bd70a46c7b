"""THE table of staff powers: what each staff role may do on each kind of site.

A main site and its partner sites form one pool and share accounts, companies and
searchable resumes, but not staff: a partner site's admins are not the main site's
personnel (first seed policy: "only authorised personnel consult personal data"). They run
their own site (its settings, keys, clients, documents, inquiries, announcements and the
statistics of its own seekers) and nothing of the pool's companies or seekers' personal
information. The pool's own staff are the main site's admins and the platform operators.

A separate job site is the main site of a pool of its own: its admins are that pool's
staff. docs/privacy.md's table is generated from ``POWERS`` and a test compares the two.
"""

from __future__ import annotations

import re
from enum import StrEnum

from jobgraph.errors import Forbidden
from jobgraph.policy.site import Site
from jobgraph.viewer import Viewer


class StaffRole(StrEnum):
    OPERATOR = "platform operator"
    MAIN_SITE_ADMIN = "main-site admin"
    PARTNER_SITE_ADMIN = "partner-site admin"


class Power(StrEnum):
    CONFIGURE_SITE = "configure the site: branding, policy, history, site keys, clients, documents"
    GRANT_SITE_ADMIN = "make and remove admins of the site"
    READ_INQUIRIES = "read and close the site's inquiries"
    SEND_ANNOUNCEMENTS = "send announcements to the site's seekers who agreed"
    SITE_STATISTICS = "suppressed statistics of the site's seekers"
    MANAGE_COMPANY_MEMBERS = "add and remove members of any company of the pool"
    STAFF_ACCESS = "read seekers' personal information for a stated purpose; explainAccess"
    THIRD_PARTY_DISCLOSURE = "disclose to a third party the seeker consented to"
    LAWFUL_DISCLOSURE = "disclose to an authority as the law requires"


_EVERY_SITE = frozenset(StaffRole)
_POOL_STAFF = frozenset({StaffRole.OPERATOR, StaffRole.MAIN_SITE_ADMIN})

POWERS: dict[Power, frozenset[StaffRole]] = {
    Power.CONFIGURE_SITE: _EVERY_SITE,
    Power.GRANT_SITE_ADMIN: _EVERY_SITE,
    Power.READ_INQUIRIES: _EVERY_SITE,
    Power.SEND_ANNOUNCEMENTS: _EVERY_SITE,
    Power.SITE_STATISTICS: _EVERY_SITE,
    Power.MANAGE_COMPANY_MEMBERS: _POOL_STAFF,
    Power.STAFF_ACCESS: _POOL_STAFF,
    Power.THIRD_PARTY_DISCLOSURE: _POOL_STAFF,
    Power.LAWFUL_DISCLOSURE: frozenset({StaffRole.OPERATOR}),
}

_WHY_NOT = {
    StaffRole.PARTNER_SITE_ADMIN: "a partner site's admins run their own site only; the "
    "pool's companies and its seekers' personal information are for the main site's "
    "admins and platform operators",
    StaffRole.MAIN_SITE_ADMIN: "only platform operators may do this",
}


def staff_role(viewer: Viewer, tenant: Site) -> StaffRole | None:
    """The viewer's staff role on this site, if any."""
    if viewer.is_operator:
        return StaffRole.OPERATOR
    if viewer.tenant_admin:
        return StaffRole.PARTNER_SITE_ADMIN if tenant.is_partner_site else StaffRole.MAIN_SITE_ADMIN
    return None


def needs_second_factor(viewer: Viewer, tenant: Site) -> bool:
    """Whether the viewer's staff powers wait for a second factor: operators always, a
    site's admins where its policy requires one (the default; a partner site cannot drop
    it where its main site requires it)."""
    required = viewer.is_operator or tenant.policy.require_staff_second_factor
    return required and not viewer.second_factor_fresh


def may(viewer: Viewer, tenant: Site, power: Power) -> bool:
    role = staff_role(viewer, tenant)
    return role is not None and role in POWERS[power] and not needs_second_factor(viewer, tenant)


def require(viewer: Viewer, tenant: Site, power: Power) -> None:
    """Refuses with the reason when the viewer lacks the power on this site."""
    role = staff_role(viewer, tenant)
    if role is None:
        raise Forbidden("Only this site's admins and platform operators may do this.")
    if role not in POWERS[power]:
        what = re.split("[:;]", power.value)[0]
        raise Forbidden(f"As a {role} you may not {what}: {_WHY_NOT[role]}.")
    if needs_second_factor(viewer, tenant):
        raise Forbidden(
            f"Staff use this power only after a second factor: {SECOND_FACTOR_HELP}",
            reason="SECOND_FACTOR_REQUIRED",
        )


SECOND_FACTOR_HELP = (
    "enter the code of your authenticator app with verifySecondFactor(code:) (it holds "
    "for 12 hours), or enrol one first with enrolSecondFactor (the console's Site "
    "settings walk you through it)."
)


def markdown_table() -> str:
    """docs/privacy.md's table of staff powers, from ``POWERS``."""
    roles = list(StaffRole)
    lines = [
        "| power | " + " | ".join(roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for power, allowed in POWERS.items():
        cells = " | ".join("yes" if role in allowed else "no" for role in roles)
        lines.append(f"| {power.value} | {cells} |")
    return "\n".join(lines)
