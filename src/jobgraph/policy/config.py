"""The policy's part of a tenant's configuration: the rules a site sets for the personal
data it holds and the API it offers, validated strictly against the platform floor. The
policy owns it; a tenant's file (``tenancy/config.py``) holds one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self

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


def described(english: str, japanese: str, **field: Any) -> Any:
    """A policy key's field, with what it does in words the settings screen shows (in the
    site's language) and docs/tenants.md's table of keys repeats (``policy/describe.py``)."""
    return Field(description=english, json_schema_extra={"description_ja": japanese}, **field)


class StrictModel(BaseModel):
    # Strict types: "no" is not a boolean, "30" not a number, 1 not true, in a file or a
    # JSON patch alike (enums are named by their strings, below).
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class FeedPolicy(StrictModel):
    """Which of its main site's postings a partner site shows. Empty lists select all."""

    categories: list[str] = described(
        "Which categories of the main site's postings show; empty: all.",
        "親サイトの求人のうち表示する職種。空ならすべて。",
        default=[],
    )
    # Any spelling of a prefecture (大阪府, osaka, 27): kept as its English name.
    prefectures: list[str] = described(
        "Which prefectures' postings show, in any spelling (大阪府, osaka, 27); empty: all.",
        "表示する求人の都道府県（大阪府、osaka、27 など表記は自由）。空ならすべて。",
        default=[],
    )
    include_companies: list[str] = described(
        "Which companies' postings show, by name; empty: all.",
        "表示する求人の企業名。空ならすべて。",
        default=[],
    )
    exclude_companies: list[str] = described(
        "Companies whose postings never show, by name.",
        "求人を表示しない企業名。",
        default=[],
    )
    include_own_postings: bool = described(
        "Also show the postings made on the partner site itself.",
        "パートナーサイト自身で掲載された求人も表示します。",
        default=True,
    )

    @field_validator("prefectures")
    @classmethod
    def _prefectures(cls, names: list[str]) -> list[str]:
        found = [places.prefecture_of(name) for name in names]
        for name, prefecture in zip(names, found, strict=True):
            if prefecture is None:
                raise ValueError(places.unknown_prefecture(name))
        return [prefecture.name for prefecture in found if prefecture is not None]


class ApiPolicy(StrictModel):
    max_page_size: int = described(
        "The most results one page of a list may ask for.",
        "一覧の1ページで要求できる最大件数。",
        default=50,
        ge=1,
        le=MAX_PAGE_SIZE_CEILING,
    )
    allowed_origins: list[Origin] = described(
        "The browser origins (such as https://www.example.jp) whose pages may call the API with a"
        " site key. In development, a page on any port of the site's own loopback hostnames may "
        "too.",
        "サイトキーで API を呼べるページのオリジン（https://www.example.jp など）。開発中は、"
        "サイト自身のループバックのホスト名なら任意のポートから呼べます。",
        default=[],
    )
    site_key_requests_per_minute: int = described(
        "Requests a minute one site key may make.",
        "1つのサイトキーが1分間に送れるリクエスト数。",
        default=600,
        ge=1,
    )
    # Requests a minute from one address without a key or a token (an anonymous visitor).
    anonymous_requests_per_minute: int = described(
        "Requests a minute one address may make without a key or a token.",
        "キーもトークンもない1つのアドレスが1分間に送れるリクエスト数。",
        default=300,
        ge=1,
    )
    # Without a key or a token, callers may only sign in: the site's own pages, widgets and
    # servers use their site key or OAuth client, each with its own limit.
    require_site_key: bool = described(
        "Callers without a site key, a client or a sign-in may only sign in.",
        "サイトキー・クライアント・ログインのない呼び出しは、ログインしかできません。",
        default=False,
    )
    # Queries over GET (cacheable by proxies); mutations never go over GET.
    allow_get_queries: bool = described(
        "Queries may come over GET (cacheable by proxies); mutations never do.",
        "クエリを GET でも受け付けます（プロキシでキャッシュ可能）。ミューテーションは不可。",
        default=False,
    )
    # With GET allowed: how long anonymous GET reads of public data (postings, companies,
    # the site's settings) may be cached, by browsers, CDNs and the service itself (0: not).
    public_cache_max_age_s: int = described(
        "With GET allowed: the seconds anonymous GET reads of public data may be cached by "
        "browsers, CDNs and the service (0: not cached).",
        "GET を許可したとき、公開データの匿名 GET を"
        "ブラウザ・CDN・サービスがキャッシュできる秒数（0：キャッシュしない）。",
        default=0,
        ge=0,
        le=3600,
    )
    # Site keys and partner clients may run only the documents they registered.
    trusted_documents_only: bool = described(
        "Site keys and partner clients may run only the documents they registered.",
        "サイトキーとパートナークライアントは、登録したドキュメントだけを実行できます。",
        default=False,
    )
    # Automatic persisted queries (the Apollo protocol): a client may send only a query's
    # sha256 hash once the service has seen the query. Off unless the site turns it on.
    automatic_persisted_queries: bool = described(
        "A client may send only a query's sha256 hash once the service has seen the query "
        "(automatic persisted queries).",
        "一度受け取ったクエリは、その sha256 ハッシュだけで送れます（自動永続クエリ）。",
        default=False,
    )
    # What one GraphQL document may ask (see graphql/limits.py).
    max_depth: int = described(
        "How deep one query may nest.",
        "1つのクエリの入れ子の最大の深さ。",
        default=12,
        ge=2,
        le=30,
    )
    max_aliases: int = described(
        "The most aliases one query may use.",
        "1つのクエリで使えるエイリアスの最大数。",
        default=30,
        ge=0,
        le=100,
    )
    max_tokens: int = described(
        "The most tokens one query may have (counted while it is read).",
        "1つのクエリの最大トークン数（読み込み中に数えます）。",
        default=2000,
        ge=50,
        le=MAX_TOKENS_CEILING,
    )
    max_cost: int = described(
        "The highest estimated cost one query may have; at most cost_budget.",
        "1つのクエリの推定コストの上限。cost_budget 以下。",
        default=5000,
        ge=10,
        le=100_000,
    )
    # A budget of cost points per caller (graphql/budget.py): an account, a partner client,
    # a site key's visitor (key and address) or an anonymous address has a bucket holding at
    # most cost_budget points, refilled by cost_restore_per_second; a query takes its
    # estimated cost before it runs and gets back what it did not use.
    cost_budget: int = described(
        "The cost points a caller's budget holds when full (an account, a client, a site key's "
        "visitor, an address).",
        "呼び出し元（アカウント、クライアント、サイトキーの訪問者、アドレス）"
        "ごとの予算が満杯のときのコストポイント。",
        default=20_000,
        ge=100,
        le=10_000_000,
    )
    cost_restore_per_second: int = described(
        "The cost points a caller's budget regains each second.",
        "呼び出し元ごとの予算が1秒ごとに回復するコストポイント。",
        default=2_000,
        ge=1,
        le=1_000_000,
    )
    # Reading a document the server has not read before (parsing and validating it) costs
    # the service more than running a search page (graphql/budget.py): its caller pays for
    # it, before it is read.
    read_cost_per_token: int = described(
        "The cost points a caller pays per token of a document the server has not read "
        "before (parsing and validating it), at most max_cost; 0: reading is free. A document "
        "sent again, its values as variables, costs nothing to read.",
        "サーバーがまだ読んでいない文書のトークン1つごとに呼び出し元が支払うコストポイント"
        "（構文解析と検証の分）。上限は max_cost。0 なら無料。値を変数にして同じ文書を"
        "送り直せば、読む費用はかかりません。",
        default=25,
        ge=0,
        le=1000,
    )
    # Introspection and "Did you mean" suggestions: for everyone, for signed-in people
    # (employers in the console, staff), or for no one.
    introspection: Literal["on", "signed_in", "off"] = described(
        'Who may read the schema by introspection (and get "Did you mean" hints): on (everyone), '
        "signed_in (people signed in), off (no one).",
        "スキーマのイントロスペクション（と「もしかして」の候補）を使える人：on（全員）、"
        "signed_in（ログイン中の人）、off（なし）。",
        default="signed_in",
    )
    # Subscriptions over WebSocket: live connections one account may hold open (across every
    # process of the service), and subscriptions one connection may run at once.
    live_connections_per_account: int = described(
        "Live (WebSocket) connections one account may hold open at once.",
        "1つのアカウントが同時に開けるライブ（WebSocket）接続の数。",
        default=5,
        ge=1,
        le=100,
    )
    subscriptions_per_connection: int = described(
        "Subscriptions one connection may run at once.",
        "1つの接続で同時に実行できるサブスクリプションの数。",
        default=10,
        ge=1,
        le=100,
    )

    @model_validator(mode="after")
    def _a_full_bucket_holds_the_costliest_query(self) -> Self:
        if self.max_cost > self.cost_budget:
            raise ValueError(
                f"max_cost: {self.max_cost} is more than cost_budget ({self.cost_budget}): "
                "a query the site allows must fit in a caller's full budget"
            )
        return self


class Policy(StrictModel):
    resume_visibilities: list[Visibility] = described(
        "The visibilities a seeker may choose: PRIVATE (only the seeker and the employers they "
        "apply to), SEARCHABLE (found by employers' resume search, with personal data and the "
        "last employer withheld), PUBLIC (a public profile).",
        "求職者が選べる公開範囲：PRIVATE（本人と応募先の企業のみ）、"
        "SEARCHABLE（企業の履歴書検索に表示。個人情報と直近の勤務先は伏せます）、"
        "PUBLIC（公開プロフィール）。",
        default=[ResumeVisibility.PRIVATE, ResumeVisibility.SEARCHABLE],
        min_length=1,
    )
    default_resume_visibility: Visibility = described(
        "A new resume's visibility, and where resumes go when their visibility is withdrawn.",
        "新しい履歴書の公開範囲。公開範囲が廃止されたとき、その履歴書はこの範囲に移ります。",
        default=ResumeVisibility.PRIVATE,
    )
    # What an employer sees of a seeker who applied to one of its postings.
    application_disclosed_fields: list[Field_] = described(
        "What an employer sees of a seeker who applied to its posting on this site (an "
        "application made on another site of the pool shows what that site allows, narrowed by "
        "this one's).",
        "このサイトで求人に応募した求職者について、"
        "企業が見られる項目（同じプールの別サイトでの応募は、"
        "そのサイトの設定をこのサイトの設定でさらに絞ったもの）。",
        default=list(ResumeField),
    )
    # What anyone sees of a PUBLIC resume (only where PUBLIC is offered).
    public_profile_fields: list[Field_] = described(
        "What anyone sees of a PUBLIC resume (never EMAIL or PHONE).",
        "PUBLIC の履歴書で誰でも見られる項目（EMAIL と PHONE は不可）。",
        default=[],
    )
    # What a company's webhook endpoints receive of a seeker who applied on this site
    # (with application.received), within application_disclosed_fields; each delivery is
    # recorded as a disclosure. None by default: payloads carry ids only.
    webhook_applicant_fields: list[Field_] = described(
        "What a company's webhook endpoints receive of a seeker who applied on this site, within "
        "application_disclosed_fields (never the work or education history); each delivery is "
        "recorded in the seeker's disclosures. Empty: ids only.",
        "このサイトで応募した求職者について、"
        "企業の Webhook が受け取る項目（application_disclosed_fields の範囲内。職歴・学歴は不可）"
        "。送信ごとに求職者の開示記録に残ります。空なら ID のみ。",
        default=[],
    )
    third_party_disclosure: ThirdParties = described(
        "LAW_ONLY: personal data goes to third parties only by law; CONSENT_OR_LAW: also to a "
        "third party the seeker consented to by name (staff may then use discloseToThirdParty).",
        "LAW_ONLY：第三者への提供は法令に基づく場合のみ。"
        "CONSENT_OR_LAW：求職者が名指しで同意した第三者にも提供できます"
        "（スタッフが discloseToThirdParty を使えます）。",
        default=ThirdPartyDisclosure.LAW_ONLY,
    )
    signup_requires_full_name: bool = described(
        "Registration asks for the full name.",
        "登録時に氏名の入力を求めます。",
        default=False,
    )
    # Staff (this site's admins, operators) use their powers (personal data, settings,
    # roles) only in a session that passed a second factor in the last 12 hours.
    # Operators always need one; a partner site cannot drop it where its main site has it.
    require_staff_second_factor: bool = described(
        "The site's staff reach personal data, settings and roles only in a session that passed a"
        " second factor (an authenticator app) in the last 12 hours. A partner site cannot turn "
        "it off where its main site has it; operators always need it.",
        "サイトのスタッフは、直近12時間以内に二要素認証（認証アプリ）を通過したセッションでのみ、"
        "個人情報・設定・権限を扱えます。親サイトで有効ならパートナーサイトでは無効にできません。"
        "運営者は常に必要です。",
        default=True,
    )
    invitations_enabled: bool = described(
        "Employers may invite candidates (inviteCandidate), and seekers receive the invitations.",
        "企業が候補者をスカウト（inviteCandidate）でき、求職者はスカウトを受け取ります。",
        default=True,
    )
    data_uses: list[Use] = described(
        "Which uses of seekers' data the site makes: STATISTICS, UPDATE_REQUESTS, "
        "SITE_UPDATE_MAIL, JOB_ALERT_MAIL (mail only with the seeker's consent, asked only for "
        "the uses listed here), RESUME_SEARCH (without it, no candidate search).",
        "サイトが行う求職者データの利用：STATISTICS、UPDATE_REQUESTS、SITE_UPDATE_MAIL、"
        "JOB_ALERT_MAIL（メールは求職者の同意がある場合のみ。"
        "同意はここにある利用についてだけ尋ねます）、"
        "RESUME_SEARCH（ないと候補者検索はできません）。",
        default=list(DataUse),
    )
    # Statistics of the site's seekers (policy/statistics.py): released once a period under
    # epsilon-differential privacy, grouped only by the closed vocabularies below (anything
    # else counts as "other"); a released count below the minimum cell is not shown.
    statistics_min_cell: int = described(
        "A released statistics count below this is not shown.",
        "公表する統計で、この数より少ない件数は表示しません。",
        default=5,
        ge=MIN_STATISTICS_CELL,
    )
    statistics_epsilon: float = described(
        "The privacy loss of one statistics release (differential privacy: the smaller, the "
        "noisier and the safer).",
        "統計の公表1回あたりのプライバシー損失（差分プライバシー：小さいほどノイズが大きく安全）。",
        default=1.0,
        gt=0,
        le=MAX_STATISTICS_EPSILON,
    )
    statistics_release_days: int = described(
        "Statistics are released once per this many days; every request sees the latest release.",
        "統計はこの日数ごとに1回公表され、常に最新の公表分が表示されます。",
        default=30,
        ge=1,
        le=365,
    )
    statistics_yearly_budget: float = described(
        "The most privacy loss the releases may spend in 365 days; then the last release stays.",
        "365日間の公表で使えるプライバシー損失の上限。使い切ると最後の公表分が残ります。",
        default=12.0,
        gt=0,
        le=50,
    )
    statistics_groups: dict[StatisticsAttribute, list[GroupLabel]] = described(
        "The labels statistics may show per attribute (nationality, visa_status, career_level, "
        'japanese_level); any other value counts as "other".',
        "統計で属性（nationality、visa_status、career_level、japanese_level）"
        "ごとに表示できるラベル。それ以外の値は「その他」に数えます。",
        default_factory=lambda: {key: list(labels) for key, labels in DEFAULT_GROUPS.items()},
    )
    # Seekers whose resume has not changed for this long are asked to review it.
    update_reminder_days: int = described(
        "Consenting seekers whose resume is older than this many days are asked to review it.",
        "履歴書がこの日数より古い求職者（同意した人のみ）に、見直しをお願いします。",
        default=180,
        ge=30,
    )
    feed: FeedPolicy | None = described(
        "Partner sites only: which of the main site's postings show.",
        "パートナーサイトのみ：親サイトの求人のうち表示するもの。",
        default=None,
    )
    api: ApiPolicy = described(
        "The API: page size, allowed browser origins, rates, site keys, GET queries and their "
        "caching, trusted documents, query limits and budgets, introspection, subscriptions.",
        "API：ページサイズ、許可するブラウザのオリジン、レート制限、サイトキー、"
        "GET クエリとキャッシュ、登録済みドキュメント、クエリの上限と予算、イントロスペクション、"
        "サブスクリプション。",
        default=ApiPolicy(),
    )
    # Japan's Employment Security Act (2022) asks job information to be kept current: a
    # posting its employer has not confirmed (published, edited or confirmJob) for this
    # many days leaves search, feeds and the sitemap until confirmed; a week before, its
    # company is reminded by e-mail (`jobgraph postings remind`). None: no such limit.
    confirm_listings_every_days: int | None = described(
        "A posting its employer has not confirmed (published, edited or confirmJob) for this many"
        " days leaves search, feeds and the sitemap until confirmed; its company is e-mailed a "
        "week before. Empty: no limit.",
        "企業がこの日数のあいだ確認（公開・編集・confirmJob）しなかった求人は、"
        "確認されるまで検索・フィード・サイトマップから外れます。1週間前に企業へメールします。"
        "空なら制限なし。",
        default=None,
        ge=14,
        le=365,
    )
    # The address of a job's page on the site, "{id}" standing for the posting's id:
    # search engines get it in each posting's JSON-LD and in the site's /sitemap.xml.
    job_url_template: str | None = described(
        "Where the site's job pages are (https://…/jobs/{id}): each posting's JSON-LD carries the"
        " address, /sitemap.xml lists them, /feeds/indeed.xml gives the postings to aggregators "
        "(neither without it).",
        "サイトの求人ページのアドレス（https://…/jobs/{id}）。各求人の JSON-LD に載り、"
        "/sitemap.xml と求人検索エンジン向けの /feeds/indeed.xml に使われます"
        "（未設定ならどちらもなし）。",
        default=None,
        max_length=500,
    )
    # The GraphiQL console for employers at /console: on for main sites, off for partner
    # sites unless set (a partner's visitors are not offered it by default).
    employer_console: bool | None = described(
        "The employers' console at /console: on by default for main sites, off for partner sites "
        "unless turned on.",
        "/console の採用担当者コンソール：親サイトは既定で有効、"
        "パートナーサイトは有効にしない限り無効。",
        default=None,
    )

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
