"""pledges payments ledger

Revision ID: b6a1a598062e
Revises: 3f1c2a9b7d10
Create Date: 2026-11-27 01:20:13.248643

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6a1a598062e"
down_revision = "3f1c2a9b7d10"
branch_labels = None
depends_on = None


def upgrade():
    # The first schema had a placeholder pledge table and a two-kind ledger; no deployment holds
    # pledges yet (this revision introduces the money paths), so both are replaced, not altered.
    op.drop_table("ledger_entries")
    op.drop_table("pledges")
    op.create_table(
        "partner_foundations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("bank_account_name", sa.String(length=100), nullable=False),
        sa.Column("bank_account_number", sa.String(length=40), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_foundations")),
        sa.UniqueConstraint("name", name=op.f("uq_partner_foundations_name")),
    )
    op.create_table(
        "matching_pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ratio_bp", sa.Integer(), nullable=False),
        sa.Column("cap_per_pledge", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_project", sa.BigInteger(), nullable=True),
        sa.Column("category_ids", sa.JSON(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_matching_pools_currency_cny")),
        sa.CheckConstraint("budget > 0", name=op.f("ck_matching_pools_budget_positive")),
        sa.CheckConstraint(
            "cap_per_pledge IS NULL OR cap_per_pledge > 0", name=op.f("ck_matching_pools_cap_pledge_positive")
        ),
        sa.CheckConstraint(
            "cap_per_project IS NULL OR cap_per_project > 0",
            name=op.f("ck_matching_pools_cap_project_positive"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_matching_pools_ends_after_start")),
        sa.CheckConstraint("ratio_bp > 0", name=op.f("ck_matching_pools_ratio_positive")),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= budget", name=op.f("ck_matching_pools_remaining_within_budget")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_matching_pools_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_matching_pools_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matching_pools")),
    )
    with op.batch_alter_table("matching_pools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_matching_pools_company_id"), ["company_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_unread", ["user_id", "read_at"], unique=False)

    op.create_table(
        "disbursements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bank_reference", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_disbursements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_disbursements_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_disbursements_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursements")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_disbursements_bank_reference")),
    )
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disbursements_project_id"), ["project_id"], unique=False)

    op.create_table(
        "fund_usage_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_fund_usage_reports_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_fund_usage_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_usage_reports")),
    )
    with op.batch_alter_table("fund_usage_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_usage_reports_project_id"), ["project_id"], unique=False)

    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("reference_code", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("in_kind_description", sa.Text(), nullable=False),
        sa.Column("payee_kind", sa.String(length=16), nullable=False),
        sa.Column("payee_id", sa.Integer(), nullable=False),
        sa.Column("payee_name", sa.String(length=100), nullable=False),
        sa.Column("payee_bank_name", sa.String(length=100), nullable=False),
        sa.Column("payee_account_name", sa.String(length=100), nullable=False),
        sa.Column("payee_account_number", sa.String(length=40), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("bank_reference", sa.String(length=64), nullable=True),
        sa.Column("checkout_session_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_url", sa.String(length=1000), nullable=True),
        sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("flag_reason", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_pledges_currency_cny")),
        sa.CheckConstraint(
            "method IN ('card', 'bank_transfer', 'in_kind')", name=op.f("ck_pledges_method_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'refund_due', 'refunded', 'failed', 'cancelled', 'expired')",
            name=op.f("ck_pledges_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pledges_amount_positive")),
        sa.CheckConstraint("paid_amount IS NULL OR paid_amount > 0", name=op.f("ck_pledges_paid_positive")),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= COALESCE(paid_amount, 0)",
            name=op.f("ck_pledges_refund_within_paid"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_pledges_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_pledges_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_pledges_created_by_id_users")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pledges_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("bank_reference", name=op.f("uq_pledges_bank_reference")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_pledges_checkout_session_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_pledges_idempotency_key")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_pledges_payment_intent_id")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_pledges_reference_code")),
    )
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledges_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledges_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledges_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_pledges_project_status", ["project_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledges_status"), ["status"], unique=False)

    op.create_table(
        "pool_project_totals",
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("matched", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("matched >= 0", name=op.f("ck_pool_project_totals_matched_not_negative")),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["matching_pools.id"], name=op.f("fk_pool_project_totals_pool_id_matching_pools")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_pool_project_totals_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("pool_id", "project_id", name=op.f("pk_pool_project_totals")),
    )
    op.create_table(
        "project_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_project_updates_author_id_users")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_updates_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_updates")),
    )
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_updates_project_id"), ["project_id"], unique=False)

    op.create_table(
        "fund_usage_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("receipt_file", sa.String(length=64), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_fund_usage_items_amount_positive")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["fund_usage_reports.id"],
            name=op.f("fk_fund_usage_items_report_id_fund_usage_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_usage_items")),
    )
    with op.batch_alter_table("fund_usage_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_usage_items_report_id"), ["report_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("disbursement_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('pledge_paid', 'match_credit', 'disbursement') AND amount > 0) OR (kind IN ('refund', 'match_reversal', 'fee') AND amount < 0)",
            name=op.f("ck_ledger_entries_sign_matches_kind"),
        ),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_ledger_entries_currency_cny")),
        sa.CheckConstraint(
            "kind IN ('pledge_paid', 'refund', 'match_credit', 'match_reversal', 'disbursement', 'fee')",
            name=op.f("ck_ledger_entries_kind_known"),
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["disbursement_id"],
            ["disbursements.id"],
            name=op.f("fk_ledger_entries_disbursement_id_disbursements"),
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_ledger_entries_pledge_id_pledges")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["matching_pools.id"], name=op.f("fk_ledger_entries_pool_id_matching_pools")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_ledger_entries_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reference", name=op.f("uq_ledger_entries_reference")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_pool_id"), ["pool_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_ledger_entries_project_kind", ["project_id", "kind"], unique=False)

    op.create_table(
        "match_credits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reversed_amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_match_credits_amount_positive")),
        sa.CheckConstraint(
            "reversed_amount >= 0 AND reversed_amount <= amount",
            name=op.f("ck_match_credits_reversal_within_credit"),
        ),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_match_credits_pledge_id_pledges")
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["matching_pools.id"], name=op.f("fk_match_credits_pool_id_matching_pools")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_match_credits_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_credits")),
        sa.UniqueConstraint("pool_id", "pledge_id", name="one_credit_per_pool_and_pledge"),
    )
    with op.batch_alter_table("match_credits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_credits_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_credits_pool_id"), ["pool_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_credits_project_id"), ["project_id"], unique=False)

    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_stripe_events_pledge_id_pledges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_pledge_id"), ["pledge_id"], unique=False)

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_fundraising_qualified", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("bank_name", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("bank_account_name", sa.String(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("bank_account_number", sa.String(length=40), nullable=False, server_default=""))

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matched_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("disbursed_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("partner_foundation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_projects_partner_foundation_id_partner_foundations"),
            "partner_foundations",
            ["partner_foundation_id"],
            ["id"],
        )
        batch_op.create_check_constraint(batch_op.f("ck_projects_matched_not_negative"), "matched_amount >= 0")
        batch_op.create_check_constraint(batch_op.f("ck_projects_disbursed_not_negative"), "disbursed_amount >= 0")


def downgrade():
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_projects_partner_foundation_id_partner_foundations"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("ck_projects_matched_not_negative"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_projects_disbursed_not_negative"), type_="check")
        batch_op.drop_column("partner_foundation_id")
        batch_op.drop_column("disbursed_amount")
        batch_op.drop_column("matched_amount")

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("bank_account_number")
        batch_op.drop_column("bank_account_name")
        batch_op.drop_column("bank_name")
        batch_op.drop_column("public_fundraising_qualified")

    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_pledge_id"))

    op.drop_table("stripe_events")
    with op.batch_alter_table("match_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_credits_project_id"))
        batch_op.drop_index(batch_op.f("ix_match_credits_pool_id"))
        batch_op.drop_index(batch_op.f("ix_match_credits_pledge_id"))

    op.drop_table("match_credits")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_project_kind")
        batch_op.drop_index(batch_op.f("ix_ledger_entries_project_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_pool_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entries_pledge_id"))

    op.drop_table("ledger_entries")
    with op.batch_alter_table("fund_usage_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_usage_items_report_id"))

    op.drop_table("fund_usage_items")
    with op.batch_alter_table("project_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_updates_project_id"))

    op.drop_table("project_updates")
    op.drop_table("pool_project_totals")
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledges_status"))
        batch_op.drop_index("ix_pledges_project_status")
        batch_op.drop_index(batch_op.f("ix_pledges_project_id"))
        batch_op.drop_index(batch_op.f("ix_pledges_created_at"))
        batch_op.drop_index(batch_op.f("ix_pledges_company_id"))

    op.drop_table("pledges")
    with op.batch_alter_table("fund_usage_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_usage_reports_project_id"))

    op.drop_table("fund_usage_reports")
    with op.batch_alter_table("disbursements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disbursements_project_id"))

    op.drop_table("disbursements")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")

    op.drop_table("notifications")
    with op.batch_alter_table("matching_pools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matching_pools_company_id"))

    op.drop_table("matching_pools")
    op.drop_table("partner_foundations")
    # The placeholder tables of the first schema, as they were.
    op.create_table(
        "pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_pledges_currency_cny")),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'in_kind', 'card')", name=op.f("ck_pledges_method_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'refunded', 'failed', 'cancelled', 'expired')",
            name=op.f("ck_pledges_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pledges_amount_positive")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_pledges_company_id_companies")
        ),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_pledges_created_by_id_users")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pledges_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledges")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_pledges_idempotency_key")),
    )
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledges_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledges_project_id"), ["project_id"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("entry_type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("currency = 'CNY'", name=op.f("ck_ledger_entries_currency_cny")),
        sa.CheckConstraint(
            "entry_type IN ('payment', 'refund')", name=op.f("ck_ledger_entries_entry_type_known")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["pledge_id"], ["pledges.id"], name=op.f("fk_ledger_entries_pledge_id_pledges")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_ledger_entries_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reference", name=op.f("uq_ledger_entries_reference")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_entries_project_id"), ["project_id"], unique=False)
