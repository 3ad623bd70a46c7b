"""Job search (character bigrams, in SQL), view counts, saved searches and alerts, the
notification outbox, consent records, and the tenant registry version.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:41:51.679200
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from jobgraph.db.rls import in_every_pool, pool_isolation_statements

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Search text is normalised (NFKC, lower case, punctuation to spaces) and cut into
# character bigrams, which find Japanese (no spaces between words) as well as English,
# with a GIN index on a plain text[] column: the embedded PostgreSQL has no pg_trgm.
# One implementation, in SQL: the trigger fills the columns, the queries use the same
# functions on the search text.
_PUNCTUATION = "[[:space:][:punct:]、。・「」『』【】〜～]+"
SEARCH_FUNCTIONS = [
    f"""CREATE FUNCTION jobgraph_search_normalize(value text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
        SELECT btrim(regexp_replace(lower(normalize(value, NFKC)), '{_PUNCTUATION}', ' ', 'g'))
    $$""",
    """CREATE FUNCTION jobgraph_search_terms(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT term), '{}')
          FROM regexp_split_to_table(coalesce(jobgraph_search_normalize(value), ''), ' ') term
         WHERE term <> ''
    $$""",
    """CREATE FUNCTION jobgraph_bigrams(value text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(term, i, 2)), '{}')
          FROM unnest(jobgraph_search_terms(value)) term,
               generate_series(1, length(term) - 1) i
    $$""",
    # 0 when a term is missing; else 3 per term in the title and 1 per term in the body.
    """CREATE FUNCTION jobgraph_search_rank(title text, body text, query text) RETURNS int
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN bool_and(strpos(title || ' ' || body, term) > 0)
                    THEN sum((strpos(title, term) > 0)::int * 3 + (strpos(body, term) > 0)::int)
                    ELSE 0 END::int
          FROM unnest(jobgraph_search_terms(query)) term
    $$""",
    """CREATE FUNCTION job_postings_search_columns() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE company_name text;
        BEGIN
            SELECT name INTO company_name FROM companies
             WHERE pool_id = NEW.pool_id AND id = NEW.company_id;
            NEW.search_title := coalesce(jobgraph_search_normalize(NEW.title), '');
            NEW.search_body := coalesce(jobgraph_search_normalize(
                coalesce(company_name, '') || ' ' || NEW.description), '');
            NEW.search_grams := jobgraph_bigrams(
                NEW.title || ' ' || coalesce(company_name, '') || ' ' || NEW.description);
            RETURN NEW;
        END $$""",
    """CREATE TRIGGER job_postings_search BEFORE INSERT OR UPDATE OF title, description,
        company_id ON job_postings FOR EACH ROW EXECUTE FUNCTION job_postings_search_columns()""",
    """CREATE FUNCTION companies_search_rename() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE job_postings SET title = title
             WHERE pool_id = NEW.pool_id AND company_id = NEW.id;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER companies_search AFTER UPDATE OF name ON companies
        FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
        EXECUTE FUNCTION companies_search_rename()""",
]
REGISTRY_VERSION = [
    "INSERT INTO tenant_registry_state (id, version) VALUES (1, 1)",
    """CREATE FUNCTION tenant_registry_bump() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE tenant_registry_state SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END $$""",
    """CREATE TRIGGER tenants_version AFTER INSERT OR UPDATE OR DELETE ON tenants
        FOR EACH STATEMENT EXECUTE FUNCTION tenant_registry_bump()""",
    """CREATE TRIGGER tenant_hostnames_version AFTER INSERT OR UPDATE OR DELETE
        ON tenant_hostnames FOR EACH STATEMENT EXECUTE FUNCTION tenant_registry_bump()""",
]


def upgrade() -> None:
    op.create_table(
        "tenant_registry_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_registry_state")),
    )
    op.create_table(
        "consent_records",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("wording_version", sa.String(length=40), nullable=False),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_consent_records_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_consent_records")),
    )
    op.create_index(
        "ix_consent_records_current",
        "consent_records",
        ["pool_id", "account_id", "purpose", sa.literal_column("created_at DESC")],
        unique=False,
    )
    op.create_table(
        "notifications",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_notifications_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "pool_id", "dedupe_key", name=op.f("uq_notifications_pool_id_dedupe_key")
        ),
    )
    op.create_index(
        "ix_notifications_pending",
        "notifications",
        ["pool_id", "status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "saved_searches",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "account_id"],
            ["accounts.pool_id", "accounts.id"],
            name=op.f("fk_saved_searches_pool_id_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "id", name=op.f("pk_saved_searches")),
    )
    op.create_index(
        "ix_saved_searches_pool_id_account_id",
        "saved_searches",
        ["pool_id", "account_id"],
        unique=False,
    )
    op.create_table(
        "job_view_counts",
        sa.Column("pool_id", sa.String(length=63), nullable=False),
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("tenant_slug", sa.String(length=63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id", "job_id"],
            ["job_postings.pool_id", "job_postings.id"],
            name=op.f("fk_job_view_counts_pool_id_job_id_job_postings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "pool_id", "job_id", "tenant_slug", "day", name=op.f("pk_job_view_counts")
        ),
    )
    op.add_column(
        "job_postings",
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.add_column(
        "job_postings", sa.Column("search_title", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "job_postings", sa.Column("search_body", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "job_postings",
        sa.Column("search_grams", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.create_index(
        "ix_job_postings_category", "job_postings", ["pool_id", "category"], unique=False
    )
    op.create_index(
        "ix_job_postings_employment_type",
        "job_postings",
        ["pool_id", "employment_type"],
        unique=False,
    )
    op.create_index(
        "ix_job_postings_expires_at", "job_postings", ["pool_id", "expires_at"], unique=False
    )
    op.create_index(
        "ix_job_postings_japanese_level",
        "job_postings",
        ["pool_id", "japanese_level"],
        unique=False,
    )
    op.create_index(
        "ix_job_postings_listing",
        "job_postings",
        [
            "pool_id",
            "tenant_slug",
            "status",
            sa.literal_column("published_at DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_job_postings_place", "job_postings", ["pool_id", "prefecture", "city"], unique=False
    )
    op.create_index(
        "ix_job_postings_salary",
        "job_postings",
        [
            "pool_id",
            "tenant_slug",
            "status",
            sa.literal_column("coalesce(salary_max, -1) DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
    )
    op.create_index(
        "ix_job_postings_search_grams",
        "job_postings",
        ["search_grams"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_job_postings_station", "job_postings", ["pool_id", "nearest_station"], unique=False
    )
    op.create_index(
        "ix_job_postings_tags", "job_postings", ["tags"], unique=False, postgresql_using="gin"
    )
    for table in ("consent_records", "notifications", "saved_searches", "job_view_counts"):
        for statement in pool_isolation_statements(table):
            op.execute(statement)
    for statement in SEARCH_FUNCTIONS + REGISTRY_VERSION:
        op.execute(statement)
    # Postings made before this revision: the trigger fills their search columns.
    op.execute(in_every_pool("UPDATE job_postings SET title = title"))


def downgrade() -> None:
    op.execute("DROP TRIGGER job_postings_search ON job_postings")
    op.execute("DROP TRIGGER companies_search ON companies")
    op.execute("DROP TRIGGER tenants_version ON tenants")
    op.execute("DROP TRIGGER tenant_hostnames_version ON tenant_hostnames")
    for function in (
        "tenant_registry_bump()",
        "companies_search_rename()",
        "job_postings_search_columns()",
        "jobgraph_search_rank(text, text, text)",
        "jobgraph_bigrams(text)",
        "jobgraph_search_terms(text)",
        "jobgraph_search_normalize(text)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_index("ix_job_postings_tags", table_name="job_postings", postgresql_using="gin")
    op.drop_index("ix_job_postings_station", table_name="job_postings")
    op.drop_index("ix_job_postings_search_grams", table_name="job_postings", postgresql_using="gin")
    op.drop_index("ix_job_postings_salary", table_name="job_postings")
    op.drop_index("ix_job_postings_place", table_name="job_postings")
    op.drop_index("ix_job_postings_listing", table_name="job_postings")
    op.drop_index("ix_job_postings_japanese_level", table_name="job_postings")
    op.drop_index("ix_job_postings_expires_at", table_name="job_postings")
    op.drop_index("ix_job_postings_employment_type", table_name="job_postings")
    op.drop_index("ix_job_postings_category", table_name="job_postings")
    op.drop_column("job_postings", "search_grams")
    op.drop_column("job_postings", "search_body")
    op.drop_column("job_postings", "search_title")
    op.drop_column("job_postings", "updated_at")
    op.drop_table("job_view_counts")
    op.drop_index("ix_saved_searches_pool_id_account_id", table_name="saved_searches")
    op.drop_table("saved_searches")
    op.drop_index("ix_notifications_pending", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_consent_records_current", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("tenant_registry_state")
