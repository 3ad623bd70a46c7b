"""Deterministic demo data for the demo tenants: companies, postings (in English and
Japanese), seekers. The same scale always yields the same rows; ``--scale`` multiplies them
for benchmarks. Loaded as the service role, through row-level security, one pool at a time."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jobgraph.agreements.models import DocumentAcceptance, LegalDocument
from jobgraph.db.engine import bind_pool
from jobgraph.identity.emails import normalize_email
from jobgraph.identity.models import Account, CompanyMember, Operator, TenantAdmin
from jobgraph.identity.passwords import hash_password
from jobgraph.identity.second_factor import enrol_now
from jobgraph.jobs.models import Company, JobPosting
from jobgraph.resumes.models import Application, Resume
from jobgraph.tenancy.registry import Tenant, TenantRegistry

DEMO_PASSWORD = "demo-password-2026"
DEMO_OPERATOR = "operator@jobgraph.test"
# The demo's staff (admin@<site>.test, the operator) come enrolled with this second
# factor: `make run` prints it, and any authenticator app (or pyotp) makes its codes.
DEMO_TOTP_SECRET = "JOBGRAPHDEMOSTAFFSECONDFACTORKEY"
DEMO_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)

PLACES = [  # prefecture, city, nearest station
    ("Tokyo", "Shibuya", "Shibuya"),
    ("Tokyo", "Shinjuku", "Shinjuku"),
    ("Tokyo", "Minato", "Roppongi"),
    ("Tokyo", "Chiyoda", "Tokyo"),
    ("Kanagawa", "Yokohama", "Yokohama"),
    ("Aichi", "Nagoya", "Nagoya"),
    ("Osaka", "Osaka", "Umeda"),
    ("Osaka", "Osaka", "Namba"),
    ("Kyoto", "Kyoto", "Kyoto"),
    ("Hyogo", "Kobe", "Sannomiya"),
    ("Nara", "Nara", "Kintetsu-Nara"),
    ("Fukuoka", "Fukuoka", "Hakata"),
    ("Hokkaido", "Sapporo", "Sapporo"),
]
TITLES = {
    "ENGINEERING": [
        "Backend Engineer (Python)",
        "Frontend Developer",
        "ソフトウェアエンジニア",
        "インフラエンジニア（クラウド）",
        "Data Engineer",
        "QA Engineer",
    ],
    "TEACHING": [
        "English Teacher",
        "英語講師",
        "Assistant Language Teacher",
        "日本語教師",
        "Kindergarten Teacher",
    ],
    "SALES": ["Account Executive", "法人営業（英語使用）", "Business Development Manager"],
    "MARKETING": ["Digital Marketing Specialist", "マーケティング担当", "Content Writer"],
    "HOSPITALITY": ["Hotel Front Desk Staff", "ホテルフロントスタッフ", "Restaurant Manager"],
    "FINANCE": ["Financial Analyst", "経理スタッフ（バイリンガル）", "Compliance Officer"],
    "DESIGN": ["UI/UX Designer", "グラフィックデザイナー", "Product Designer"],
    "TRANSLATION": ["Japanese-English Translator", "翻訳・通訳スタッフ", "Localization Specialist"],
}
DESCRIPTIONS = [
    "Join an international team in {city}. You will work with colleagues from around the world "
    "and use English every day.",
    "{city}にあるオフィスで、日本語と英語を使って働くポジションです。外国籍の方も歓迎します。",
    "We are growing fast and looking for people who enjoy learning. Visa support is available "
    "for the right candidate.",
    "東京本社と連携しながら、日本語でのコミュニケーションを中心に業務を行います。",
]
COMPANY_WORDS = (
    [
        "Sakura",
        "Fuji",
        "Kaze",
        "Hikari",
        "Midori",
        "Aozora",
        "Tsubasa",
        "Kirin",
        "Yamato",
        "Minato",
        "Hoshi",
        "Umi",
    ],
    [
        "Technologies",
        "Education",
        "Trading",
        "Hospitality Group",
        "Labs",
        "Consulting",
        "Finance",
        "Design Studio",
    ],
)
INDUSTRIES = ["Software", "Education", "Trading", "Hospitality", "Finance", "Design"]
EMPLOYMENT_TYPES = ["FULL_TIME", "FULL_TIME", "FULL_TIME", "PART_TIME", "CONTRACT", "INTERNSHIP"]
JLPT = ["NONE", "N5", "N4", "N3", "N2", "N1"]
TAGS = [
    "english",
    "bilingual",
    "remote-friendly",
    "startup",
    "visa-support",
    "no-japanese",
    "python",
    "teaching",
    "weekends-off",
    "relocation",
]
FIRST_NAMES = ["Alex", "Maria", "Chen", "Priya", "Liam", "Sofia", "Noah", "Aiko", "Minh", "Ana"]
LAST_NAMES = ["Smith", "Garcia", "Wang", "Patel", "Nguyen", "Silva", "Kim", "Muller", "Rossi"]


@dataclass(frozen=True)
class DemoSize:
    companies: int
    postings: int
    seekers: int


BASE_SIZES = {
    "jobboard": DemoSize(12, 150, 40),
    "kansai-jobs": DemoSize(3, 20, 0),
    "community": DemoSize(8, 60, 20),
}


async def load_demo(
    sessions: async_sessionmaker[AsyncSession],
    registry: TenantRegistry,
    secret_key: str,
    scale: int = 1,
    reset: bool = False,
    progress: Callable[[str], None] = lambda _message: None,
    applications: bool = False,
) -> dict[str, int]:
    """Load the demo rows of every demo tenant present in the registry; returns postings
    added per tenant. A pool that already has companies is left alone unless ``reset``.
    With ``applications`` (`make run`'s demo), seekers have applied to each demo employer's
    newest postings, so the console's "review applicants" has something to show; the
    tests' data set has none (their employers are no seeker's applicant by design)."""
    added: dict[str, int] = {}
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: argon2 is slow on purpose
    second_factor = _demo_second_factor(secret_key)
    pools: dict[str, list[Tenant]] = {}
    for slug in BASE_SIZES:
        tenant = registry.get(slug)
        if tenant is not None:
            pools.setdefault(tenant.pool_id, []).append(tenant)
    for pool_id, tenants in pools.items():
        # A partner site's visitors are its main site's seekers.
        pool_seekers: list[dict[str, Any]] = []
        async with sessions() as session, session.begin():
            bind_pool(session, pool_id)
            if reset:
                for model in (
                    Application,
                    DocumentAcceptance,
                    LegalDocument,
                    Resume,
                    CompanyMember,
                    TenantAdmin,
                    JobPosting,
                    Company,
                    Account,
                ):
                    await session.execute(delete(model))
            elif await session.scalar(select(Company.id).limit(1)) is not None:
                progress(f"pool {pool_id}: demo data already present, left as it is")
                continue
            for tenant in tenants:
                rng = random.Random(f"{tenant.slug}-{scale}")
                rows = _demo_rows(
                    rng,
                    tenant.slug,
                    pool_id,
                    BASE_SIZES[tenant.slug],
                    scale,
                    password_hash,
                    [str(v) for v in tenant.config.policy.resume_visibilities],
                )
                for model, batch in rows:
                    for start in range(0, len(batch), 5000):
                        await session.execute(insert(model), batch[start : start + 5000])
                counts = {model.__tablename__: len(batch) for model, batch in rows}
                for model, batch in _staff_rows(tenant, rows, password_hash, second_factor):
                    await session.execute(insert(model), batch)
                for model, batch in _legal_rows(tenant, rows):
                    if batch:  # a partner site's demo may have no seekers of its own
                        await session.execute(insert(model), batch)
                pool_seekers += next(batch for model, batch in rows if model is Account)
                if applications:
                    applied = _demo_applications(tenant, rows, pool_seekers)
                    if applied:
                        await session.execute(insert(Application), applied)
                added[tenant.slug] = counts["job_postings"]
                progress(
                    f"{tenant.slug}: {counts['companies']} companies, "
                    f"{counts['job_postings']} postings, {counts['accounts']} seekers, "
                    f"employer@{tenant.slug}.test and admin@{tenant.slug}.test"
                )
    await _ensure_operator(sessions, password_hash, second_factor, progress)
    return added


def _demo_second_factor(secret_key: str) -> dict[str, Any]:
    """The columns of an account or operator enrolled with ``DEMO_TOTP_SECRET``."""
    holder = Operator()
    enrol_now(holder, secret_key, DEMO_TOTP_SECRET)
    return {
        "totp_secret": holder.totp_secret,
        "second_factor_enrolled_at": holder.second_factor_enrolled_at,
        "recovery_code_hashes": [],
    }


async def _ensure_operator(
    sessions: async_sessionmaker[AsyncSession],
    password_hash: str,
    second_factor: dict[str, Any],
    progress: Callable[[str], None],
) -> None:
    async with sessions() as session, session.begin():
        exists = await session.scalar(
            select(Operator.id).where(Operator.email_normalized == DEMO_OPERATOR)
        )
        if exists is None:
            session.add(
                Operator(
                    email_normalized=DEMO_OPERATOR, password_hash=password_hash, **second_factor
                )
            )
            progress(f"platform operator {DEMO_OPERATOR}")


DEMO_DOCUMENTS_IN_FORCE = datetime(2026, 11, 1, tzinfo=UTC)


def _legal_rows(
    tenant: Tenant, rows: list[tuple[type[Any], list[dict[str, Any]]]]
) -> list[tuple[type[Any], list[dict[str, Any]]]]:
    """The site's privacy policy and terms (version 2026-11-01), written from its policy,
    accepted by every demo seeker when they registered."""
    policy = tenant.config.policy
    site = tenant.config.branding.site_name
    privacy = "\n\n".join(
        (
            f"{site} keeps the information you give it to find you work.",
            "Your resume is "
            + ", or ".join(str(v) for v in policy.resume_visibilities)
            + f" as you choose (new resumes: {policy.default_resume_visibility}).",
            "An employer you apply to sees: "
            + ", ".join(str(f) for f in policy.application_disclosed_fields)
            + ".",
            f"Disclosure to third parties: {policy.third_party_disclosure}.",
            "We use your data for: " + ", ".join(str(u) for u in policy.data_uses) + ".",
            "You may see, correct, export or delete your data at any time.",
        )
    )
    # A partner site is governed by its main site's documents (published there).
    owner = tenant.config.parent or tenant.slug
    documents: list[dict[str, Any]] = [
        {
            "pool_id": tenant.pool_id,
            "tenant_slug": owner,
            "id": uuid.uuid5(uuid.NAMESPACE_URL, f"jobgraph-demo/{owner}/{kind}"),
            "kind": kind,
            "version": "2026-11-01",
            "title": title,
            "body": body,
            "effective_at": DEMO_DOCUMENTS_IN_FORCE,
            "published_by": "demo",
        }
        for kind, title, body in (
            ("PRIVACY", f"{site} privacy policy", privacy),
            ("TERMS", f"{site} terms of use", f"Use {site} lawfully and truthfully."),
        )
    ]
    accounts = next(batch for model, batch in rows if model is Account)
    acceptances = [
        {
            "pool_id": tenant.pool_id,
            "tenant_slug": tenant.slug,
            "id": uuid.uuid5(document["id"], str(account["id"])),
            "account_id": account["id"],
            "document_id": document["id"],
            "created_at": account.get("created_at", DEMO_DOCUMENTS_IN_FORCE),
        }
        for account in accounts
        for document in documents
    ]
    own_documents = documents if owner == tenant.slug else []
    return [(LegalDocument, own_documents), (DocumentAcceptance, acceptances)]


def _demo_applications(
    tenant: Tenant,
    rows: list[tuple[type[Any], list[dict[str, Any]]]],
    seekers: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Three seekers applied on this site to each of the three newest published postings of
    the demo employer's company (the first company)."""
    companies = rows[0][1]
    postings = sorted(
        (
            posting
            for posting in next(batch for model, batch in rows if model is JobPosting)
            if posting["company_id"] == companies[0]["id"] and posting["status"] == "PUBLISHED"
        ),
        key=lambda posting: posting["published_at"],
        reverse=True,
    )[:3]
    return [
        {
            "pool_id": tenant.pool_id,
            "id": uuid.uuid5(posting["id"], str(seeker["id"])),
            "tenant_slug": tenant.slug,
            "job_id": posting["id"],
            "account_id": seeker["id"],
            "cover_note": "I would like to hear more about this position.",
            "status": "SUBMITTED",
        }
        for posting in postings
        for seeker in seekers[1:4]
    ]


def _staff_rows(
    tenant: Tenant,
    rows: list[tuple[type[Any], list[dict[str, Any]]]],
    password_hash: str,
    second_factor: dict[str, Any],
) -> list[tuple[type[Any], list[dict[str, Any]]]]:
    """An employer (owner of the tenant's first company) and an admin of the tenant, each
    with the demo password; the admin enrolled with the demo's second factor."""
    no_second_factor: dict[str, Any] = {key: None for key in second_factor} | {
        "recovery_code_hashes": []
    }
    companies = rows[0][1]
    staff = {
        kind: {
            "pool_id": tenant.pool_id,
            "id": uuid.uuid5(uuid.NAMESPACE_DNS, f"{kind}.{tenant.slug}"),
            "tenant_slug": tenant.slug,
            "email": f"{kind}@{tenant.slug}.test",
            "email_normalized": f"{kind}@{tenant.slug}.test",
            "password_hash": password_hash,
            "full_name": f"Demo {kind.title()}",
            **(second_factor if kind == "admin" else no_second_factor),
        }
        for kind in ("employer", "admin")
    }
    members = [
        {
            "pool_id": tenant.pool_id,
            "company_id": companies[0]["id"],
            "account_id": staff["employer"]["id"],
            "role": "OWNER",
            "granted_by": "demo",
        }
    ]
    admins = [
        {
            "pool_id": tenant.pool_id,
            "account_id": staff["admin"]["id"],
            "tenant_slug": tenant.slug,
            "granted_by": "demo",
        }
    ]
    return [(Account, list(staff.values())), (CompanyMember, members), (TenantAdmin, admins)]


def _demo_rows(
    rng: random.Random,
    slug: str,
    pool_id: str,
    size: DemoSize,
    scale: int,
    password_hash: str,
    visibilities: list[str] | None = None,
) -> list[tuple[type[Any], list[dict[str, Any]]]]:
    visibilities = visibilities or ["PRIVATE"]
    companies = []
    for index in range(size.companies * scale):
        first, second = rng.choice(COMPANY_WORDS[0]), rng.choice(COMPANY_WORDS[1])
        prefecture, city, _ = rng.choice(PLACES)
        companies.append(
            {
                "pool_id": pool_id,
                "id": uuid.UUID(int=rng.getrandbits(128)),
                "tenant_slug": slug,
                "name": f"{first} {second} {slug[:1].upper()}{index + 1} KK",
                "description": f"{first} {second} is based in {city}, {prefecture}.",
                "industry": rng.choice(INDUSTRIES),
                "size": rng.choice(["1-10", "11-50", "51-200", "201-1000", "1000+"]),
                "website": f"https://{first.lower()}-{index + 1}.{slug}.test",
                "logo_url": None,
                "locations": [city],
            }
        )
    postings = []
    for _ in range(size.postings * scale):
        company = rng.choice(companies)
        category = rng.choice(list(TITLES))
        prefecture, city, station = rng.choice(PLACES)
        salary_min = rng.randrange(2_400_000, 8_000_000, 100_000)
        published = DEMO_EPOCH - timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        status = rng.choices(["PUBLISHED", "DRAFT", "CLOSED"], weights=[90, 5, 5])[0]
        postings.append(
            {
                "pool_id": pool_id,
                "id": uuid.UUID(int=rng.getrandbits(128)),
                "tenant_slug": slug,
                "company_id": company["id"],
                "title": rng.choice(TITLES[category]),
                "description": rng.choice(DESCRIPTIONS).format(city=city),
                "category": category,
                "employment_type": rng.choice(EMPLOYMENT_TYPES),
                "prefecture": prefecture,
                "city": city,
                "nearest_station": station,
                "remote": rng.choice(["NONE", "NONE", "HYBRID", "FULL"]),
                "salary_min": salary_min,
                "salary_max": salary_min + rng.randrange(0, 3_000_000, 100_000),
                "salary_currency": "JPY",
                "salary_period": "YEAR",
                "japanese_level": rng.choice(JLPT),
                "english_level": rng.choice(["NONE", "CONVERSATIONAL", "BUSINESS", "NATIVE"]),
                "visa_sponsorship": rng.random() < 0.4,
                "benefits": rng.sample(
                    ["transport allowance", "social insurance", "housing support", "bonus"], 2
                ),
                "tags": rng.sample(TAGS, 3),
                "status": status,
                "published_at": published if status != "DRAFT" else None,
                "expires_at": published + timedelta(days=90) if status != "DRAFT" else None,
            }
        )
    seekers = []
    for index in range(size.seekers * scale):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        email = f"seeker{index + 1}@{slug}.test"
        seekers.append(
            {
                "pool_id": pool_id,
                "id": uuid.UUID(int=rng.getrandbits(128)),
                "tenant_slug": slug,
                "email": email,
                "email_normalized": normalize_email(email),
                "password_hash": password_hash,
                "full_name": name,
            }
        )
    resumes = [_demo_resume(rng, slug, pool_id, seeker, visibilities) for seeker in seekers]
    return [(Company, companies), (JobPosting, postings), (Account, seekers), (Resume, resumes)]


NATIONALITIES = ["Philippines", "United States", "Vietnam", "Brazil", "India", "France"]
SKILLS = ["python", "teaching", "sales", "excel", "photoshop", "customer service", "sql"]
LANGUAGE_LEVELS = ["BASIC", "CONVERSATIONAL", "BUSINESS", "NATIVE"]


def _demo_resume(
    rng: random.Random, slug: str, pool_id: str, seeker: dict[str, Any], visibilities: list[str]
) -> dict[str, Any]:
    """Personal values carry the seeker's number, so a test can search any response for
    them (they must appear exactly where the policy allows)."""
    number = seeker["email"].split("@")[0].removeprefix("seeker")
    start = 2010 + rng.randrange(0, 10)
    return {
        "pool_id": pool_id,
        "id": uuid.UUID(int=rng.getrandbits(128)),
        "tenant_slug": slug,
        "account_id": seeker["id"],
        "visibility": visibilities[int(number) % len(visibilities)],
        "full_name": seeker["full_name"],
        "birth_date": date(1985 + rng.randrange(0, 15), 1, 2),
        "gender": rng.choice(["female", "male", "non-binary"]),
        "nationality": rng.choice(NATIONALITIES),
        "residence_country": "Japan",
        "residence_region": rng.choice(PLACES)[0],
        "nearest_station": rng.choice(PLACES)[2],
        "phone": f"+81-{80 if slug == 'community' else 90}-0000-{int(number):04d}",
        "visa_status": rng.choice(
            ["Engineer/Specialist in Humanities", "Spouse of Japanese", "Working holiday"]
        ),
        "languages": [
            {"language": "Japanese", "level": rng.choice(LANGUAGE_LEVELS)},
            {"language": "English", "level": "NATIVE"},
        ],
        "education_level": rng.choice(["BACHELOR", "MASTER", "HIGH_SCHOOL"]),
        "education_history": [
            {
                "school": "State University",
                "degree": "BA",
                "field": "Linguistics",
                "start_year": start - 4,
                "end_year": start,
            }
        ],
        "career_level": rng.choice(["ENTRY", "MID", "SENIOR"]),
        "work_history": [
            {
                "employer": f"First Employer {number} Ltd",
                "title": "Assistant",
                "start_date": f"{start}-04-01",
                "end_date": f"{start + 3}-03-31",
            },
            {
                "employer": f"Last Employer {slug} {number} KK",
                "title": "Specialist",
                "start_date": f"{start + 3}-04-01",
                "end_date": None,
            },
        ],
        "skills": rng.sample(SKILLS, 3),
        "hobbies": ["hiking"],
        "desired_categories": [rng.choice(list(TITLES))],
        "desired_locations": [rng.choice(PLACES)[0]],
    }
