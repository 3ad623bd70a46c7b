"""The policy's part of a tenant's configuration: the rules a site sets for the personal
data it holds and the API it offers, validated strictly against the platform floor. The
policy owns it; a tenant's file (``tenancy/config.py``) holds one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from jobgraph import places
from jobgraph.policy.fields import (
    NEVER_PUBLIC,
    WEBHOOK_FIELDS,
    DataUse,
    ResumeField,
    ResumeVisibility,
    ThirdPartyDisclosure,
)

Origin = Annotated[str, StringConstraints(pattern=r"^https?://[a-z0-9.-]+(:\d{1,5})?$")]

# An enum, given by its name as a string in a file or a JSON patch (strict mode would
# take only the Python member).
Visibility = Annotated[ResumeVisibility, Strict(False)]
Field_ = Annotated[ResumeField, Strict(False)]
Use = Annotated[DataUse, Strict(False)]
ThirdParties = Annotated[ThirdPartyDisclosure, Strict(False)]

MAX_PAGE_SIZE_CEILING = 100
MAX_STATISTICS_EPSILON = 2.0
StatisticsAttribute = Literal["nationality", "visa_status", "career_level", "japanese_level"]
GroupLabel = Annotated[str, StringConstraints(min_length=1, max_length=60)]
# The labels statistics may show: a closed vocabulary per attribute, never a seeker's own
# free text (a value of one seeker would be personal data as a label).
DEFAULT_GROUPS: dict[StatisticsAttribute, tuple[str, ...]] = {
    "nationality": (
        "Brazil", "China", "France", "India", "Indonesia", "Nepal", "Philippines",
        "South Korea", "Thailand", "United Kingdom", "United States", "Vietnam",
    ),
    "visa_status": (
        "Dependent", "Engineer/Specialist in Humanities", "Highly Skilled Professional",
        "Permanent resident", "Specified Skilled Worker", "Spouse of Japanese", "Student",
        "Working holiday",
    ),
    "career_level": ("ENTRY", "MID", "SENIOR", "EXECUTIVE"),
    "japanese_level": ("BASIC", "CONVERSATIONAL", "BUSINESS", "NATIVE"),
}  # fmt: skip
MAX_TOKENS_CEILING = 10_000
MIN_STATISTICS_CELL = 3


class StrictModel(BaseModel):
    # Strict types: "no" is not a boolean, "30" not a number, 1 not true, in a file or a
    # JSON patch alike (enums are named by their strings, below).
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class FeedPolicy(StrictModel):
    """Which of its main site's postings a partner site shows. Empty lists select all."""

    categories: list[str] = []
    # Any spelling of a prefecture (大阪府, osaka, 27): kept as its English name.
    prefectures: list[str] = []
    include_companies: list[str] = Field(default=[], description="company names; empty: all")
    exclude_companies: list[str] = []
    include_own_postings: bool = True

    @field_validator("prefectures")
    @classmethod
    def _prefectures(cls, names: list[str]) -> list[str]:
        found = [places.prefecture_of(name) for name in names]
        for name, prefecture in zip(names, found, strict=True):
            if prefecture is None:
                raise ValueError(places.unknown_prefecture(name))
        return [prefecture.name for prefecture in found if prefecture is not None]


class ApiPolicy(StrictModel):
    max_page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE_CEILING)
    allowed_origins: list[Origin] = []
    site_key_requests_per_minute: int = Field(default=600, ge=1)
    # Requests a minute from one address without a key or a token (an anonymous visitor).
    anonymous_requests_per_minute: int = Field(default=300, ge=1)
    # Without a key or a token, callers may only sign in: the site's own pages, widgets and
    # servers use their site key or OAuth client, each with its own limit.
    require_site_key: bool = False
    # Queries over GET (cacheable by proxies); mutations never go over GET.
    allow_get_queries: bool = False
    # With GET allowed: how long anonymous GET reads of public data (postings, companies,
    # the site's settings) may be cached, by browsers, CDNs and the service itself (0: not).
    public_cache_max_age_s: int = Field(default=0, ge=0, le=3600)
    # Site keys and partner clients may run only the documents they registered.
    trusted_documents_only: bool = False
    # Automatic persisted queries (the Apollo protocol): a client may send only a query's
    # sha256 hash once the service has seen the query. Off unless the site turns it on.
    automatic_persisted_queries: bool = False
    # What one GraphQL document may ask (see graphql/limits.py).
    max_depth: int = Field(default=12, ge=2, le=30)
    max_aliases: int = Field(default=30, ge=0, le=100)
    max_tokens: int = Field(default=2000, ge=50, le=MAX_TOKENS_CEILING)
    max_cost: int = Field(default=5000, ge=10, le=100_000)
    # A budget of cost points per caller (graphql/budget.py): an account, a partner client,
    # a site key's visitor (key and address) or an anonymous address has a bucket holding at
    # most cost_budget points, refilled by cost_restore_per_second; a query takes its
    # estimated cost before it runs and gets back what it did not use.
    cost_budget: int = Field(default=20_000, ge=100, le=10_000_000)
    cost_restore_per_second: int = Field(default=2_000, ge=1, le=1_000_000)
    # Introspection and "Did you mean" suggestions: for everyone, for signed-in people
    # (employers in the console, staff), or for no one.
    introspection: Literal["on", "signed_in", "off"] = "signed_in"
    # Subscriptions over WebSocket: live connections one account may hold open (across every
    # process of the service), and subscriptions one connection may run at once.
    live_connections_per_account: int = Field(default=5, ge=1, le=100)
    subscriptions_per_connection: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _a_full_bucket_holds_the_costliest_query(self) -> Self:
        if self.max_cost > self.cost_budget:
            raise ValueError(
                f"max_cost: {self.max_cost} is more than cost_budget ({self.cost_budget}): "
                "a query the site allows must fit in a caller's full budget"
            )
        return self


class Policy(StrictModel):
    resume_visibilities: list[Visibility] = Field(
        default=[ResumeVisibility.PRIVATE, ResumeVisibility.SEARCHABLE], min_length=1
    )
    default_resume_visibility: Visibility = ResumeVisibility.PRIVATE
    # What an employer sees of a seeker who applied to one of its postings.
    application_disclosed_fields: list[Field_] = list(ResumeField)
    # What anyone sees of a PUBLIC resume (only where PUBLIC is offered).
    public_profile_fields: list[Field_] = []
    # What a company's webhook endpoints receive of a seeker who applied on this site
    # (with application.received), within application_disclosed_fields; each delivery is
    # recorded as a disclosure. None by default: payloads carry ids only.
    webhook_applicant_fields: list[Field_] = []
    third_party_disclosure: ThirdParties = ThirdPartyDisclosure.LAW_ONLY
    signup_requires_full_name: bool = False
    # Staff (this site's admins, operators) use their powers (personal data, settings,
    # roles) only in a session that passed a second factor in the last 12 hours.
    # Operators always need one; a partner site cannot drop it where its main site has it.
    require_staff_second_factor: bool = True
    invitations_enabled: bool = True
    data_uses: list[Use] = list(DataUse)
    # Statistics of the site's seekers (policy/statistics.py): released once a period under
    # epsilon-differential privacy, grouped only by the closed vocabularies below (anything
    # else counts as "other"); a released count below the minimum cell is not shown.
    statistics_min_cell: int = Field(default=5, ge=MIN_STATISTICS_CELL)
    statistics_epsilon: float = Field(default=1.0, gt=0, le=MAX_STATISTICS_EPSILON)
    statistics_release_days: int = Field(default=30, ge=1, le=365)
    statistics_yearly_budget: float = Field(default=12.0, gt=0, le=50)
    statistics_groups: dict[StatisticsAttribute, list[GroupLabel]] = Field(
        default_factory=lambda: {key: list(labels) for key, labels in DEFAULT_GROUPS.items()}
    )
    # Seekers whose resume has not changed for this long are asked to review it.
    update_reminder_days: int = Field(default=180, ge=30)
    feed: FeedPolicy | None = None
    api: ApiPolicy = ApiPolicy()
    # Japan's Employment Security Act (2022) asks job information to be kept current: a
    # posting its employer has not confirmed (published, edited or confirmJob) for this
    # many days leaves search, feeds and the sitemap until confirmed; a week before, its
    # company is reminded by e-mail (`jobgraph postings remind`). None: no such limit.
    confirm_listings_every_days: int | None = Field(default=None, ge=14, le=365)
    # The address of a job's page on the site, "{id}" standing for the posting's id:
    # search engines get it in each posting's JSON-LD and in the site's /sitemap.xml.
    job_url_template: str | None = Field(default=None, max_length=500)
    # The GraphiQL console for employers at /console: on for main sites, off for partner
    # sites unless set (a partner's visitors are not offered it by default).
    employer_console: bool | None = None

    @field_validator("job_url_template")
    @classmethod
    def _job_url(cls, template: str | None) -> str | None:
        if template is not None and (
            not template.startswith(("https://", "http://"))
            or template.count("{id}") != 1
            or any(c.isspace() for c in template)
        ):
            raise ValueError(
                "must be an http(s) address with {id} once where the posting's id goes, "
                "such as https://jobs.example.jp/jobs/{id}"
            )
        return template

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_resume_visibility not in self.resume_visibilities:
            raise ValueError(
                "default_resume_visibility: must be one of resume_visibilities "
                f"({', '.join(self.resume_visibilities)})"
            )
        floor = sorted(set(self.public_profile_fields) & NEVER_PUBLIC)
        if floor:
            raise ValueError(
                f"public_profile_fields: may never include {', '.join(floor)}: the platform "
                "never shows contact details on public profiles"
            )
        structured = sorted(set(self.webhook_applicant_fields) - WEBHOOK_FIELDS)
        if structured:
            raise ValueError(
                f"webhook_applicant_fields: may not include {', '.join(structured)}: "
                "employers read the work and education history through the API"
            )
        if self.public_profile_fields and ResumeVisibility.PUBLIC not in self.resume_visibilities:
            raise ValueError(
                "public_profile_fields: is set, but PUBLIC is not one of resume_visibilities"
            )
        return self


class Ceiling(StrEnum):
    """How a partner site's setting of one policy key relates to its main site's."""

    WITHIN = "within"  # a list: only what the main site's list holds
    NO_OPENER = "no opener"  # third-party disclosure: no more open than the main site's
    AT_LEAST = "at least"  # a number: no smaller than the main site's (a floor of privacy)
    AT_MOST = "at most"  # a number: no larger than the main site's (a privacy loss)
    KEPT_ON = "kept on"  # a protection: on wherever the main site has it on
    KEPT_OFF = "kept off"  # a use of seekers' data: off wherever the main site has it off
    OWN = "own"  # the partner site's own matter (its feed, pages, API, reminders)


# One rule per key of ``Policy``: a test fails when a key has none.
PARTNER_CEILING: dict[str, Ceiling] = {
    "resume_visibilities": Ceiling.WITHIN,
    "default_resume_visibility": Ceiling.OWN,  # always one of its own visibilities
    "application_disclosed_fields": Ceiling.WITHIN,
    "public_profile_fields": Ceiling.WITHIN,
    "webhook_applicant_fields": Ceiling.WITHIN,
    "third_party_disclosure": Ceiling.NO_OPENER,
    "signup_requires_full_name": Ceiling.OWN,  # asks more of a new seeker, discloses nothing
    "require_staff_second_factor": Ceiling.KEPT_ON,
    "invitations_enabled": Ceiling.KEPT_OFF,
    "data_uses": Ceiling.WITHIN,
    "statistics_min_cell": Ceiling.AT_LEAST,
    "statistics_epsilon": Ceiling.AT_MOST,
    "statistics_release_days": Ceiling.AT_LEAST,
    "statistics_yearly_budget": Ceiling.AT_MOST,
    "statistics_groups": Ceiling.OWN,  # labels only: what is counted stays private
    "update_reminder_days": Ceiling.OWN,  # mail to seekers who consented, on its own site
    "feed": Ceiling.OWN,
    "api": Ceiling.OWN,
    "confirm_listings_every_days": Ceiling.OWN,
    "job_url_template": Ceiling.OWN,
    "employer_console": Ceiling.OWN,
}


def partner_excess(partner: Policy, parent: Policy) -> list[tuple[str, str]]:
    """Where a partner site's policy is looser than its main site's: (key, rule) pairs, by
    the one rule of each key (``PARTNER_CEILING``)."""
    problems: list[tuple[str, str]] = []
    for key, ceiling in PARTNER_CEILING.items():
        mine, theirs = getattr(partner, key), getattr(parent, key)
        problem = None
        if ceiling is Ceiling.WITHIN and (extra := sorted(set(mine) - set(theirs))):
            problem = f"a partner site cannot allow what its main site does not: {', '.join(extra)}"
        elif ceiling is Ceiling.NO_OPENER and mine.openness > theirs.openness:
            problem = f"a partner site cannot allow {mine} when its main site allows only {theirs}"
        elif ceiling is Ceiling.AT_LEAST and mine < theirs:
            problem = f"a partner site cannot go below its main site's {theirs}"
        elif ceiling is Ceiling.AT_MOST and mine > theirs:
            problem = f"a partner site cannot go above its main site's {theirs}"
        elif ceiling is Ceiling.KEPT_ON and theirs and not mine:
            problem = "a partner site cannot turn off a protection its main site has on"
        elif ceiling is Ceiling.KEPT_OFF and mine and not theirs:
            problem = "a partner site cannot turn on a use of seekers' data its main site has off"
        if problem is not None:
            problems.append((f"policy.{key}", problem))
    return problems
