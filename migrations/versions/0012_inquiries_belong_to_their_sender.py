"""A signed-in sender's inquiries go with their account when it is deleted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 18:22:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key(
        op.f("fk_inquiries_pool_id_account_id_accounts"),
        "inquiries",
        "accounts",
        ["pool_id", "account_id"],
        ["pool_id", "id"],
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_inquiries_pool_id_account_id_accounts"), "inquiries", type_="foreignkey"
    )
