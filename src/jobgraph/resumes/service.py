"""Resumes, applications, invitations and candidate search, below the API."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from sqlalchemy import ColumnElement, Select, TextClause, and_, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.utils.str_converters import to_camel_case

from jobgraph.caches import CacheSpec, text_bytes
from jobgraph.db.engine import in_pool, kept_rows, rows_changed
from jobgraph.db.views import RowView
from jobgraph.errors import BadUserInput, NotFound
from jobgraph.identity.models import Account
from jobgraph.jobs.models import Company
from jobgraph.notifications.outbox import enqueue
from jobgraph.paging import checked_offset, page_size
from jobgraph.policy.disclosure import searchable_visibilities
from jobgraph.policy.fields import ResumeVisibility
from jobgraph.policy.models import DisclosureRecord
from jobgraph.resumes.models import Resume
from jobgraph.tenancy.registry import Tenant


class ApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    REVIEWING = "REVIEWING"
    INTERVIEW = "INTERVIEW"
    OFFER = "OFFER"
    HIRED = "HIRED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"  # by the seeker: ends further disclosure


class InvitationStatus(StrEnum):
    PENDING = "PENDING"  # sent, not answered
    ACCEPTED = "ACCEPTED"  # the seeker applied
    DECLINED = "DECLINED"


EMPLOYER_MOVES = {
    ApplicationStatus.REVIEWING,
    ApplicationStatus.INTERVIEW,
    ApplicationStatus.OFFER,
    ApplicationStatus.HIRED,
    ApplicationStatus.REJECTED,
}

# The longest lists a resume holds (the cost model counts them at this length).
MAX_LANGUAGES = 10
MAX_EDUCATION_HISTORY = 10
MAX_WORK_HISTORY = 20
RESUME_LIST_LIMITS = {
    "languages": MAX_LANGUAGES,
    "education_history": MAX_EDUCATION_HISTORY,
    "work_history": MAX_WORK_HISTORY,
}

_TEXT_LIMITS = {
    "full_name": 200,
    "gender": 30,
    "nationality": 60,
    "residence_country": 60,
    "residence_region": 60,
    "nearest_station": 100,
    "phone": 40,
    "visa_status": 60,
    "education_level": 30,
    "career_level": 30,
}


def check_visibility(tenant: Tenant, visibility: ResumeVisibility) -> None:
    offered = tenant.config.policy.resume_visibilities
    if visibility not in offered:
        raise BadUserInput(
            f"This site offers the visibilities {', '.join(offered)}; "
            f"{visibility} is not one of them.",
            field="visibility",
        )


def clean_resume(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name, limit in _TEXT_LIMITS.items():
        value = cleaned.get(name)
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and len(value) > limit:
                raise BadUserInput(f"{name} must have at most {limit} characters.", field=name)
            cleaned[name] = value
    birth = cleaned.get("birth_date")
    if birth is not None and not date(1900, 1, 1) <= birth <= date.today():
        raise BadUserInput("birthDate must be a past date after 1900.", field="birthDate")
    for name in ("skills", "hobbies", "desired_categories", "desired_locations"):
        if name not in cleaned:
            continue  # a partial update leaves it as it is
        items = [item.strip() for item in cleaned[name] or [] if item.strip()]
        if len(items) > 50 or any(len(item) > 60 for item in items):
            raise BadUserInput(f"{name}: at most 50 items of at most 60 characters.", field=name)
        cleaned[name] = list(dict.fromkeys(items))
    for name, limit in RESUME_LIST_LIMITS.items():
        if len(cleaned.get(name) or []) > limit:
            field = to_camel_case(name)
            raise BadUserInput(f"{field}: at most {limit} entries.", field=field)
    for job in cleaned.get("work_history") or []:
        start, end = job.get("start_date"), job.get("end_date")
        if start and end and end < start:
            raise BadUserInput("A job cannot end before it starts.", field="workHistory")
    return cleaned


async def own_resume(db: AsyncSession, account_id: uuid.UUID) -> Resume | None:
    return await db.scalar(select(Resume).where(Resume.account_id == account_id))


async def update_resume(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, values: dict[str, Any]
) -> Resume:
    """Change the given parts of one's resume; there must be one."""
    if await own_resume(db, account_id) is None:
        raise NotFound("You have no resume yet: save one first.")
    return await save_resume(db, tenant, account_id, values)


async def save_resume(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, values: dict[str, Any]
) -> Resume:
    row = await own_resume(db, account_id)
    cleaned = clean_resume(values)
    if row is None:
        visibility = (
            cleaned.pop("visibility", None) or tenant.config.policy.default_resume_visibility
        )
        check_visibility(tenant, ResumeVisibility(visibility))
        row = Resume(
            pool_id=tenant.pool_id,
            tenant_slug=tenant.slug,
            id=uuid.uuid4(),
            account_id=account_id,
            visibility=str(visibility),
            **cleaned,
        )
        db.add(row)
    else:
        if cleaned.get("visibility") is not None:
            check_visibility(tenant, ResumeVisibility(cleaned["visibility"]))
        for name, value in cleaned.items():
            if name != "visibility" or value is not None:
                setattr(row, name, str(value) if name == "visibility" else value)
        row.updated_at = datetime.now(UTC)
    await db.flush()
    await db.refresh(row)
    return row


# Candidate ids: the resume id encrypted deterministically (AES-SIV) with the employer's
# company as associated data: stable for one employer, unrelated across employers, and
# revealing nothing about the seeker to anyone without the service's secret.
def _candidate_cipher(secret_key: str) -> AESSIV:
    return AESSIV(hashlib.sha512(f"candidate-ids:{secret_key}".encode()).digest())


def candidate_ids(
    secret_key: str, company_id: uuid.UUID, resume_ids: Sequence[uuid.UUID]
) -> list[str]:
    """The ids under which ``company_id`` sees these resumes (one cipher for them all)."""
    cipher = _candidate_cipher(secret_key)
    return [
        "cand_"
        + base64.urlsafe_b64encode(cipher.encrypt(resume_id.bytes, [company_id.bytes]))
        .decode()
        .rstrip("=")
        for resume_id in resume_ids
    ]


def resume_of_candidate(secret_key: str, company_id: uuid.UUID, candidate: str) -> uuid.UUID:
    try:
        raw = candidate.removeprefix("cand_")
        token = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        return uuid.UUID(bytes=_candidate_cipher(secret_key).decrypt(token, [company_id.bytes]))
    except (ValueError, InvalidTag) as error:
        raise NotFound("No such candidate for this company.") from error


# Months of work in a resume's history (a current job counts until today). Built from
# dates only: a filter on it reveals nothing search withholds (employers are not read).
_MONTHS_OF_WORK = text("""(SELECT coalesce(sum(
    (extract(year FROM age(coalesce((job->>'end_date')::date, current_date),
                           (job->>'start_date')::date)) * 12
     + extract(month FROM age(coalesce((job->>'end_date')::date, current_date),
                              (job->>'start_date')::date)))::int), 0)
  FROM jsonb_array_elements(resumes.work_history) job
  WHERE job->>'start_date' IS NOT NULL) >= :months""")


async def search_candidates(
    db: AsyncSession,
    tenant: Tenant,
    size: int,
    languages: list[tuple[str, str]],
    skills: list[str],
    education_level: str | None,
    career_level: str | None,
    desired_categories: list[str],
    desired_locations: list[str],
    experience_years: int | None = None,
) -> list[Resume]:
    """Searchable resumes matching filters on fields resume search discloses, and nothing
    else: a filter on a withheld field could reveal it through what it finds."""
    visibilities = tuple(str(v) for v in searchable_visibilities(tenant))

    def conditions() -> list[ColumnElement[bool] | TextClause]:
        found: list[ColumnElement[bool] | TextClause] = [
            Resume.pool_id == tenant.pool_id,
            Resume.visibility.in_(visibilities),
        ]
        for language, level in languages:
            found.append(Resume.languages.contains([{"language": language, "level": level}]))
        if skills:
            found.append(Resume.skills.contains(skills))
        if education_level:
            found.append(Resume.education_level == education_level)
        if career_level:
            found.append(Resume.career_level == career_level)
        if desired_categories:
            found.append(Resume.desired_categories.overlap(desired_categories))
        if desired_locations:
            found.append(Resume.desired_locations.overlap(desired_locations))
        if experience_years:
            found.append(_MONTHS_OF_WORK.bindparams(months=experience_years * 12))
        return found

    key = (
        tenant.pool_id,
        *visibilities,
        tuple(languages),
        tuple(skills),
        education_level,
        career_level,
        tuple(desired_categories),
        tuple(desired_locations),
        experience_years,
        size,
    )
    return await _resume_page(db, key, conditions, size)


async def withdraw_visibilities(
    db: AsyncSession, tenant: Tenant, withdrawn: list[ResumeVisibility]
) -> int:
    """When a site stops offering visibilities (its policy tightened), its resumes that had
    them take its default at once, and their owners are told why; how many moved. Tenancy
    calls it, in the change's transaction, through ``TenancyHooks``."""
    fallback = tenant.config.policy.default_resume_visibility
    async with in_pool(db, tenant.pool_id):
        moved = (
            await db.execute(
                update(Resume)
                .where(
                    Resume.pool_id == tenant.pool_id,
                    Resume.tenant_slug == tenant.slug,
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
                    Account.pool_id == tenant.pool_id,
                    Account.id.in_([m.account_id for m in moved]),
                )
            )
        ).all()
        site = tenant.site_name
        for account_id, email in owners:
            await enqueue(
                db,
                tenant,
                account_id,
                email,
                "POLICY_CHANGE",
                f"visibility-withdrawn:{tenant.slug}:{tenant.version}:{account_id}",
                f"{site} changed who can see resumes",
                f"{site} no longer offers the visibility your resume had "
                f"({', '.join(withdrawn)}). Your resume is now {fallback}, effective "
                "immediately.\n\nYou can choose another visibility the site offers in your "
                "resume settings at any time.",
            )
    return len(moved)


async def public_profiles(db: AsyncSession, tenant: Tenant, size: int) -> list[Resume]:
    """The pool's PUBLIC resumes, newest first (the policy decides what each shows)."""
    return await _resume_page(
        db,
        (tenant.pool_id, "public profiles", size),
        lambda: [
            Resume.pool_id == tenant.pool_id,
            Resume.visibility == ResumeVisibility.PUBLIC,
        ],
        size,
    )


# A page of resumes is read whole, into read-only rows with the model's attributes: the
# policy decides what of each is shown, and nothing of it is changed.
RESUME_ROWS = RowView.of(Resume)
# Their statements, built once and kept (run on the driver: ``db/driver.py``).
RESUME_PAGES: CacheSpec[tuple[Any, ...], Select[Any]] = CacheSpec(
    "resume_page_statements",
    key="a pool, the visibilities and filters of a page of resumes, its size",
    max_bytes=16 * 2**20,
    weigh=lambda key, _kept: 32 * 1024 + text_bytes(str(key)),
)


async def _resume_page(
    db: AsyncSession,
    key: tuple[Any, ...],
    conditions: Callable[[], Sequence[ColumnElement[bool] | TextClause]],
    size: int,
) -> list[Resume]:
    """The newest ``size`` resumes meeting ``conditions`` (which ``key`` says all of),
    by a statement built on the first page of its key."""
    statement = RESUME_PAGES.get(key)
    if statement is None:
        statement = (
            select(*RESUME_ROWS.columns)
            .where(and_(*conditions()))
            .order_by(Resume.updated_at.desc(), Resume.id.desc())
            .limit(size)
        )
        RESUME_PAGES.put(key, statement)
    return [RESUME_ROWS.row(row) for row in await kept_rows(db, statement)]


async def set_visibility(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, visibility: ResumeVisibility
) -> Resume:
    check_visibility(tenant, visibility)
    row = await own_resume(db, account_id)
    if row is None:
        raise NotFound("You have no resume yet: save one first.")
    row.visibility = str(visibility)
    row.updated_at = datetime.now(UTC)
    return row


async def delete_resume(db: AsyncSession, account_id: uuid.UUID) -> bool:
    """Delete one's resume (applications stay, without it); whether there was one."""
    deleted = await rows_changed(db, delete(Resume).where(Resume.account_id == account_id))
    return deleted > 0


def newest_first(model: Any, first: int, offset: int, tenant: Tenant) -> Select[Any]:
    """A page of one's own records (a few hundred at most: an offset is fine), newest
    first."""
    return (
        select(model)
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(page_size(tenant.max_page_size, first))
        .offset(checked_offset(offset))
    )


async def disclosures_to(
    db: AsyncSession, tenant: Tenant, account_id: uuid.UUID, first: int, offset: int
) -> list[DisclosureRecord]:
    """Who was shown this seeker's personal information, newest first, except what the
    law keeps from them (a disclosure to an authority that must stay secret)."""
    rows = await db.scalars(
        newest_first(DisclosureRecord, first, offset, tenant).where(
            DisclosureRecord.subject_account_id == account_id,
            DisclosureRecord.hidden_from_subject.is_(False),
        )
    )
    return list(rows)


_ACTOR = re.compile(r"\b(account|operator|webhook):[0-9a-f-]{36}")


async def recipient_names(
    db: AsyncSession, site_name: Callable[[str], str], rows: Sequence[DisclosureRecord]
) -> list[str]:
    """Each record's recipient as its subject understands it: the company and the site for
    an employer, "site staff of <site>" for its admins, "platform operators", "webhook of
    <company>", and a third party or authority by its name (its "via" staff named too),
    never an account's id. One statement at most, for the companies' names."""
    company_ids = {row.recipient_company_id for row in rows if row.recipient_company_id}
    companies: dict[uuid.UUID, str] = {}
    if company_ids:
        found = await db.execute(
            select(Company.id, Company.name).where(Company.id.in_(company_ids))
        )
        companies = {company_id: name for company_id, name in found}

    def named(row: DisclosureRecord, actor: str) -> str:
        kind = actor.partition(":")[0]
        site = site_name(row.tenant_slug)
        company = companies.get(row.recipient_company_id) if row.recipient_company_id else None
        if kind == "operator":
            return "platform operators"
        if kind == "webhook":
            return f"webhook of {company}" if company else f"a webhook of {site}"
        if company is not None:
            return f"{company} on {site}"
        return f"site staff of {site}"

    def in_words(row: DisclosureRecord) -> str:
        return _ACTOR.sub(lambda found: named(row, found[0]), row.recipient)

    return [in_words(row) for row in rows]
