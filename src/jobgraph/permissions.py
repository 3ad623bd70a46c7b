"""Who may call which operation, declared on the schema fields in one style:
``@strawberry.field(permission_classes=[SignedIn])``. Each check is synchronous (the viewer
is resolved before execution) and refuses with a reason: ``UNAUTHENTICATED`` when signing
in would help, ``FORBIDDEN`` when it would not.

Resume disclosure is not decided here: that belongs to the policy module alone. Every
domain declares its fields with these, so they sit below the domains, above the policy."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from jobgraph.errors import Forbidden, Unauthenticated
from jobgraph.fields import Info
from jobgraph.policy.site import Site
from jobgraph.policy.staff import Power, require
from jobgraph.viewer import Scope, Viewer, ViewerKind


def _viewer(info: Info) -> Viewer:
    return info.context.viewer


def _require_signed_in(viewer: Viewer, what: str) -> None:
    if viewer.kind in (ViewerKind.SITE_KEY, ViewerKind.PARTNER_CLIENT):
        raise Forbidden(f"{what} is not available to partner-site keys or clients.")
    if not viewer.is_signed_in:
        raise Unauthenticated(f"{what} needs you to sign in.")


class _Check(BasePermission):
    what = "This operation"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        self.check(_viewer(info), info.context.tenant)
        return True

    def check(self, viewer: Viewer, tenant: Site) -> None:
        raise NotImplementedError


def permits(permission: type[BasePermission], viewer: Viewer, tenant: Site) -> bool:
    """Whether a root operation's permission class lets this viewer call it at all (for
    what introspection shows; per-object checks, which need their object, count as yes)."""
    if not issubclass(permission, _Check) or permission.check is _Check.check:
        return True
    try:
        permission().check(viewer, tenant)
    except (Forbidden, Unauthenticated):
        return False
    return True


def public_read(scope: Scope) -> type[BasePermission]:
    """Public data: anyone, site keys included; a partner client needs ``scope``."""

    class PublicRead(_Check):
        def check(self, viewer: Viewer, tenant: Site) -> None:
            if viewer.kind is ViewerKind.PARTNER_CLIENT and scope not in viewer.scopes:
                raise Forbidden(f"This client lacks the scope '{scope}' this field needs.")

    PublicRead.__name__ = f"PublicRead_{scope.name}"
    return PublicRead


TenantRead = public_read(Scope.TENANT_READ)
JobsRead = public_read(Scope.JOBS_READ)


class Visitor(_Check):
    """People, signed in or not (register, sign in): not partner keys or clients."""

    def check(self, viewer: Viewer, tenant: Site) -> None:
        if viewer.kind in (ViewerKind.SITE_KEY, ViewerKind.PARTNER_CLIENT):
            raise Forbidden(
                "Signing up and signing in are not available to partner-site keys or clients."
            )


class OperatorVisitor(_Check):
    """The operators' sign-in: for whoever is not signed in as an account (or is an
    operator already), so that a seeker's or an employer's schema explorer does not list it."""

    def check(self, viewer: Viewer, tenant: Site) -> None:
        if viewer.kind in (ViewerKind.SITE_KEY, ViewerKind.PARTNER_CLIENT):
            raise Forbidden("Operators do not sign in with partner-site keys or clients.")
        if viewer.kind is ViewerKind.ACCOUNT:
            raise Forbidden(
                "You are signed in with an account here: sign out to sign in as an operator."
            )


class SignedIn(_Check):
    def check(self, viewer: Viewer, tenant: Site) -> None:
        _require_signed_in(viewer, "This operation")


class AccountHolder(_Check):
    """A signed-in account of this tenant's pool (not an operator)."""

    def check(self, viewer: Viewer, tenant: Site) -> None:
        _require_signed_in(viewer, "This operation")
        if viewer.kind is not ViewerKind.ACCOUNT:
            raise Forbidden("This operation is for account holders; operators have none.")


class Employer(_Check):
    def check(self, viewer: Viewer, tenant: Site) -> None:
        _require_signed_in(viewer, "This operation")
        if not viewer.is_employer:
            raise Forbidden("This operation is for members of an employer on this site.")


def staff(power: Power) -> type[BasePermission]:
    """Staff of this site with ``power``: the policy module's table of staff powers decides
    (a partner site's admins run their own site only)."""

    class Staff(_Check):
        def check(self, viewer: Viewer, tenant: Site) -> None:
            _require_signed_in(viewer, "Administering this site")
            require(viewer, tenant, power)

    Staff.__name__ = f"Staff_{power.name}"
    return Staff


class Operator(_Check):
    def check(self, viewer: Viewer, tenant: Site) -> None:
        _require_signed_in(viewer, "This operation")
        if not viewer.is_operator:
            raise Forbidden("Only platform operators may do this.")


class MemberOfPostingCompany(_Check):
    """On a posting's fields: members of the company that posted it (its statistics)."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = _viewer(info)
        _require_signed_in(viewer, "A posting's statistics")
        if source.row.company_id not in viewer.companies and not viewer.is_operator:
            raise Forbidden("Only members of the company that posted this job see its statistics.")
        return True
