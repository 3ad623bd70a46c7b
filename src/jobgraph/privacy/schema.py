"""Privacy's root fields: a seeker's data rights (export, erasure, who saw what), the staff's
dry run of the policy, statistics, and disclosure to third parties and authorities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.scalars import JSON

from jobgraph.agreements import consent
from jobgraph.errors import BadUserInput, Forbidden, NotFound, required_text
from jobgraph.fields import Info
from jobgraph.identity import accounts
from jobgraph.identity.accounts import find_by_email
from jobgraph.permissions import AccountHolder, staff
from jobgraph.policy.fields import DataUse, ThirdPartyDisclosure
from jobgraph.policy.models import DisclosureReason
from jobgraph.policy.staff import Power
from jobgraph.policy.statistics import ATTRIBUTES
from jobgraph.privacy import rights, statistics
from jobgraph.privacy.explain import AccessPath, explain, field_reasons
from jobgraph.privacy.types import (
    AccessExplanation,
    FieldAccess,
    LawfulDisclosureResult,
    SeekerStatistics,
    StatisticGroup,
)


def _site_names(info: Info) -> Callable[[str], str]:
    """A site of the request's pool's name by its slug."""
    return lambda slug: info.context.site(slug).site_name


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        permission_classes=[AccountHolder],
        description="Everything held about you, as one JSON document.",
    )
    async def export_my_data(self, info: Info) -> JSON:
        context = info.context
        return JSON(
            await rights.export(context.db, context.viewer.signed_in_account, _site_names(info))
        )

    @strawberry.field(
        permission_classes=[staff(Power.STAFF_ACCESS)],
        description="The policy's dry run: which fields of the seeker's resume the viewer "
        "(an account's e-mail address; none for an anonymous visitor) would see on a site "
        "of this pool (default: this one) by a path, and why. Recorded as staff access "
        "with your purpose.",
    )
    async def explain_access(
        self,
        info: Info,
        seeker_email: str,
        path: AccessPath,
        purpose: str,
        viewer_email: str | None = None,
        site: str | None = None,
    ) -> AccessExplanation:
        context = info.context
        purpose = required_text(purpose, "purpose", 200)
        async with context.transaction() as db:
            explained = await explain(
                db,
                context.sites,
                context.tenant,
                context.viewer,
                seeker_email,
                viewer_email,
                site,
                AccessPath(path),
                purpose,
            )
        disclosure = explained.disclosure
        return AccessExplanation(
            relationship=disclosure.relationship,
            level=disclosure.level,
            note=explained.note,
            fields=[
                FieldAccess(field=field, disclosed=shown, reason=reason)
                for field, shown, reason in field_reasons(disclosure)
            ],
        )

    @strawberry.field(permission_classes=[staff(Power.SITE_STATISTICS)])
    async def seeker_statistics(self, info: Info) -> SeekerStatistics:
        context = info.context
        if DataUse.STATISTICS not in context.tenant.config.policy.data_uses:
            raise Forbidden("This site does not use personal data for statistics.")
        policy = context.tenant.config.policy
        async with context.transaction() as db:
            released = await statistics.current(db, context.tenant)
        row = released.release
        counts: dict[str, list[list[Any]]] = row.counts if row is not None else {}
        return SeekerStatistics(
            threshold=policy.statistics_min_cell,
            released_at=row.created_at if row is not None else None,
            next_release_at=released.next_release_at,
            epsilon=row.epsilon if row is not None else 0.0,
            budget_spent=released.budget_spent,
            yearly_budget=policy.statistics_yearly_budget,
            **{
                name: [
                    StatisticGroup(value=value, count=count)
                    for value, count in counts.get(name, [])
                ]
                for name in ATTRIBUTES
            },
        )


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Erase every item of your personal information; your "
        "account and the rest of your resume stay.",
    )
    async def erase_my_personal_information(self, info: Info) -> bool:
        context = info.context
        async with context.transaction() as db:
            await rights.erase_personal_information(db, context.viewer.signed_in_account)
        if context.services.after_erasure is not None:
            await context.services.after_erasure()  # nothing left in the tables' files
        return True

    @strawberry.mutation(
        permission_classes=[AccountHolder],
        description="Delete your account and everything held about you, "
        "now. Give your password to confirm.",
    )
    async def delete_my_account(self, info: Info, password: str) -> bool:
        context = info.context
        async with context.transaction() as db:
            account = await accounts.confirmed_by_password(
                db, context.tenant, context.viewer.signed_in_account, password
            )
            sent = await rights.delete_account(
                db, context.tenant, account.id, context.services.settings.secret_key
            )
        await context.services.mail.forget(sent)  # the copies the sender kept (its folder)
        if context.services.after_erasure is not None:
            await context.services.after_erasure()  # nothing left in the tables' files
        return True

    @strawberry.mutation(
        permission_classes=[staff(Power.THIRD_PARTY_DISCLOSURE)],
        description="Disclose a seeker's data to a named third party: only where this "
        "site's policy allows it with consent, and only with the seeker's consent to that "
        "party; recorded.",
    )
    async def disclose_to_third_party(
        self, info: Info, email: str, third_party: str
    ) -> LawfulDisclosureResult:
        context = info.context
        if (
            context.tenant.config.policy.third_party_disclosure
            != ThirdPartyDisclosure.CONSENT_OR_LAW
        ):
            raise Forbidden(
                "This site discloses personal data to third parties only when the "
                "law requires it: use lawfulDisclosure."
            )
        async with context.transaction() as db:
            account = await find_by_email(db, email)
            if account is None or not await consent.consents_to_third_party(
                db, account.id, third_party.strip()
            ):
                # The same answer whether or not the address exists.
                raise Forbidden("No consent from this seeker to disclose to that third party.")
            data = await rights.disclose_everything(
                db,
                context.tenant,
                context.viewer,
                account.id,
                third_party.strip(),
                DisclosureReason.CONSENT,
                f"consent to {third_party.strip()}",
                hidden_from_subject=False,
                site_name=_site_names(info),
            )
        return LawfulDisclosureResult(data=JSON(data), recorded=True, hidden_from_subject=False)

    @strawberry.mutation(
        permission_classes=[staff(Power.LAWFUL_DISCLOSURE)],
        description="Disclose a seeker's data to an authority, as the law "
        "requires: the legal basis and reference are required, "
        "and the disclosure is recorded.",
    )
    async def lawful_disclosure(
        self,
        info: Info,
        email: str,
        authority: str,
        legal_basis: str,
        reference: str,
        withhold_from_subject: bool = False,
    ) -> LawfulDisclosureResult:
        context = info.context
        for name, value in (
            ("authority", authority),
            ("legalBasis", legal_basis),
            ("reference", reference),
        ):
            if not 3 <= len(value.strip()) <= 150:
                raise BadUserInput(f"{name} is required (3 to 150 characters).", field=name)
        async with context.transaction() as db:
            account = await find_by_email(db, email)
            if account is None:
                raise NotFound(f"No account with the e-mail address '{email}' on this site.")
            data = await rights.disclose_everything(
                db,
                context.tenant,
                context.viewer,
                account.id,
                authority.strip(),
                DisclosureReason.LAWFUL,
                f"basis: {legal_basis.strip()}; reference: {reference.strip()}",
                hidden_from_subject=withhold_from_subject,
                site_name=_site_names(info),
            )
        return LawfulDisclosureResult(
            data=JSON(data), recorded=True, hidden_from_subject=withhold_from_subject
        )
