"""Every setting of the service, its default and its environment variable.

All variables but ``DATABASE_URL`` and ``APP_DATABASE_URL`` carry the ``JOBGRAPH_`` prefix.
docs/operations.md's settings table is written from this module: keep them equal.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Published in this repository: fine on a developer's machine, never on a network.
DEVELOPMENT_SECRET_KEY = "jobgraph-development-secret-change-me"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JOBGRAPH_", extra="ignore")

    def serving_problem(self, host: str) -> str | None:
        """Why the server must not start on ``host`` with these settings, if it must not."""
        if self.secret_key == DEVELOPMENT_SECRET_KEY and host not in LOOPBACK_HOSTS:
            return (
                f"JOBGRAPH_SECRET_KEY is the development value published with jobgraph, and "
                f"the server would listen on {host}, beyond this machine. Set a secret of your "
                "own first (keep it: it decrypts the token-signing keys), e.g.\n"
                "  export JOBGRAPH_SECRET_KEY=\"$(python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')\""
            )
        return None

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL"),
        description=(
            "PostgreSQL URL of a role that may create roles and tables (migrations, bootstrap). "
            "Unset: jobgraph starts its own embedded PostgreSQL under JOBGRAPH_DATA_DIR."
        ),
    )
    app_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_DATABASE_URL"),
        description=(
            "URL the service itself connects with. Unset: DATABASE_URL with the user replaced "
            "by the non-owner role jobgraph_app and the password by JOBGRAPH_APP_DB_PASSWORD."
        ),
    )
    read_database_url: str | None = Field(
        default=None,
        description=(
            "URL of a streaming replica, as the role jobgraph_app: GraphQL queries read from "
            "it, mutations and a viewer's reads right after its own writes use the primary. "
            "Unset: everything uses the primary."
        ),
    )
    transaction_pooling: bool = Field(
        default=False,
        description="Set when the service's URLs lead through PgBouncer (or another pooler) "
        "in transaction mode: no prepared statement outlives its transaction, and the "
        "statement timeouts are set in each transaction instead of at connection start.",
    )
    listen_database_url: str | None = Field(
        default=None,
        description="A direct connection to the primary (as jobgraph_app) for hearing "
        "PostgreSQL's announcements (live events for subscriptions, tenant changes), where "
        "the service's URL leads through a transaction pooler, which cannot LISTEN. Unset: "
        "the service's own URL, or, with JOBGRAPH_TRANSACTION_POOLING, none (no "
        "subscriptions; each request checks the tenant registry).",
    )
    read_your_writes_s: float = Field(
        default=30.0,
        description="How long after a viewer's write its reads stay on the primary (keep "
        "the replica's lag well below it; with several processes set JOBGRAPH_REDIS_URL).",
    )
    app_db_password: str = Field(
        default="jobgraph-app-dev-password",
        description="Password given to the jobgraph_app role when migrations create it.",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".data",
        description="Where the embedded PostgreSQL keeps its data (ignored by git).",
    )
    tenants_dir: Path = Field(
        default=PROJECT_ROOT / "tenants",
        description="Directory of tenant files (*.toml), one per tenant.",
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8000, description="Port the HTTP server binds.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: str = Field(default="json", description="json (one object a line) or text.")
    workers: int | None = Field(
        default=None,
        ge=1,
        description="Server processes; unset: one per core with JOBGRAPH_REDIS_URL, else one "
        "(several need JOBGRAPH_REDIS_URL: the rate limits are counted there).",
    )
    db_pool_size: int = Field(default=10, description="Connections kept per process.")
    statement_timeout_ms: int = Field(
        default=5000, description="Longest a single SQL statement of a request may run."
    )
    max_concurrent_requests: int = Field(
        default=10,
        description="GraphQL requests one process runs at once; more wait. As many as its "
        "database pool holds: more would only wait for a connection.",
    )
    queue_timeout_s: float = Field(
        default=0.5,
        description="Longest a request waits for its turn before a 503: what is served "
        "stays fast when more comes than the machine can serve.",
    )
    search_results_ttl_s: float = Field(
        default=30.0,
        ge=0,
        description="How long each process reuses a site's public search results (page, "
        "total, facets) while its data is unchanged; 0 keeps none.",
    )
    facet_index_max_mb: int = Field(
        default=256,
        ge=0,
        description="Memory each process may give its facet indexes (a search's total, "
        "facets and histogram counted in memory: about 60 bytes a published posting, "
        "jobs/facet_index.py); a pool whose index would not fit is counted by SQL. 0 "
        "turns the indexes off.",
    )
    compiled_reads: bool = Field(
        default=True,
        description="Run queries over public data (job search, job and company pages) by a "
        "plan made once per document, rather than through the general executor: the same "
        "answers, several times faster (graphql/compiled.py).",
    )
    request_timeout_s: float = Field(
        default=15.0, description="Longest a GraphQL request may run before it is stopped."
    )
    secret_key: str = Field(
        default=DEVELOPMENT_SECRET_KEY,
        description="Encrypts the token-signing keys, webhook secrets and staff's second-factor "
        "secrets at rest. The published default is refused unless the server binds a "
        "loopback address.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses (or CIDR ranges) of reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; rate limits key on the client "
        "address they report. Unset: no proxy is trusted.",
    )
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token /metrics requires (Prometheus: authorization.credentials). "
        "Unset: /metrics is not served.",
    )
    token_issuer: str = Field(
        default="jobgraph", description="The iss claim of the access tokens jobgraph signs."
    )
    access_token_ttl_s: int = Field(default=900, description="Lifetime of an access token.")
    refresh_token_ttl_s: int = Field(
        default=30 * 24 * 3600, description="Lifetime of a refresh token (rotated on each use)."
    )
    token_leeway_s: int = Field(default=30, description="Clock skew allowed on exp and nbf.")
    login_limit_per_account: str = Field(
        default="5/minute", description="Login attempts allowed per account (limits syntax)."
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:6379/0 to share rate-limit counters, cost budgets and live "
        "connection counts between processes; unset: each process counts in its own memory.",
    )
    mail_sender: str = Field(
        default="file", description="Where mail goes: smtp, file (JOBGRAPH_MAIL_DIR) or console."
    )
    mail_dir: Path = Field(
        default=PROJECT_ROOT / ".data" / "outbox", description="The file sender's folder."
    )
    smtp_url: str | None = Field(
        default=None, description="smtp://user:password@host:587 or smtps://… (mail_sender=smtp)."
    )
    mail_from: str = Field(default="jobgraph <no-reply@jobgraph.test>", description="From.")
    login_limit_per_address: str = Field(
        default="30/minute", description="Login attempts allowed per client address."
    )
    mail_limit_per_recipient: str = Field(
        default="5/hour",
        description="Codes mailed to one e-mail address (sign-up, password reset, address "
        "change) allowed, so that nobody can flood a stranger's inbox.",
    )
    inquiry_limit_per_address: str = Field(
        default="5/hour", description="Inquiries (sendInquiry) allowed per client address."
    )
    webhooks_interval_s: float = Field(
        default=5.0,
        description="How often the webhook deliveries due are sent (and expired postings "
        "announced), by whichever process runs work; 0: never (run `jobgraph webhooks "
        "deliver` instead).",
    )
    webhooks_lease_s: float = Field(
        default=300.0,
        description="How long a webhook delivery stays claimed by the process sending it: "
        "one whose process died is sent again (same webhook-id) once this has passed.",
    )
    vacuum_after_deletion: bool = Field(
        default=False,
        description="VACUUM the tables that held a deleted account's or erased personal data "
        "right after the act, so that no old copy stays in the database's files (it takes "
        "a moment more; uses DATABASE_URL's role, which owns the tables).",
    )
    mail_interval_s: float = Field(
        default=5.0,
        description="How often the outbox's mail that is due is sent, by whichever process "
        "runs work; 0: never (run `jobgraph notifications send` instead).",
    )
    alerts_interval_s: float = Field(
        default=3600.0,
        description="How often the job alerts of the saved searches due are queued; 0: never "
        "(run `jobgraph alerts run` instead).",
    )
    reminders_interval_s: float = Field(
        default=86400.0,
        description="How often reminders are queued (postings to confirm, resumes to "
        "review); 0: never (run `jobgraph postings remind` and `jobgraph reminders run`).",
    )
    work_in_serve: bool = Field(
        default=True,
        description="Each `jobgraph serve` process also runs the periodic work (each kind "
        "once at a time across every process, by a schedule kept in PostgreSQL); false: only "
        "`jobgraph worker` runs it.",
    )
    work_poll_s: float = Field(
        default=5.0,
        description="How often a process running work looks at the schedule (a kind due "
        "sooner waits until then).",
    )
    work_lease_s: float = Field(
        default=900.0,
        description="How long a process holds a kind of periodic work it took: one that "
        "died holding it loses it after this.",
    )
    webhooks_allow_private: bool = Field(
        default=False,
        description="Let webhook endpoints be http:// and on loopback or private addresses: "
        "for development only (otherwise they would reach into the operator's network).",
    )
    live_events: Literal["postgres", "redis"] = Field(
        default="postgres",
        description="How subscriptions' events travel between processes: PostgreSQL's "
        "NOTIFY in the transaction that causes them (heard on the listening connection), "
        "or Redis publish once it commits (JOBGRAPH_REDIS_URL; where no process can LISTEN).",
    )

    @model_validator(mode="after")
    def _live_events_have_a_way(self) -> Self:
        if self.live_events == "redis" and not self.redis_url:
            raise ValueError(
                "JOBGRAPH_LIVE_EVENTS=redis needs JOBGRAPH_REDIS_URL (redis://host:6379/0)."
            )
        return self


@cache
def get_settings() -> Settings:
    return Settings()
