"""search outbox

Revision ID: 3f1c2a9b7d10
Revises: e1d85f6e23cf
Create Date: 2026-11-26 22:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3f1c2a9b7d10"
down_revision = "e1d85f6e23cf"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_search_outbox_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_search_outbox_created_at")
    op.drop_table("search_outbox")
