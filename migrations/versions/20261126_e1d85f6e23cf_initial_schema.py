"""initial schema

Revision ID: e1d85f6e23cf
Revises: 
Create Date: 2026-11-26 21:56:02.073868

"""
from alembic import op
import sqlalchemy as sa


# The values are frozen here on purpose: a migration must not change when data.py changes later.
CATEGORIES = (
    ("elderly", "扶老助老", "Elderly care"),
    ("disability", "助残", "Disability support"),
    ("children", "儿童关爱", "Child care"),
    ("youth", "青少年服务", "Youth services"),
    ("education", "助学助教", "Education support"),
    ("employment", "就业创业", "Jobs and entrepreneurship"),
    ("science", "科技普及", "Science outreach"),
    ("environment", "环境保护", "Environment"),
    ("emergency", "应急救援", "Emergency rescue"),
    ("community", "社区治理", "Community governance"),
    ("culture", "文化活动", "Culture"),
    ("health", "健康服务", "Health services"),
    ("assistance", "社会救助", "Social assistance"),
)
DISTRICTS = (
    ("鹿城区", "Lucheng"), ("龙湾区", "Longwan"), ("瓯海区", "Ouhai"), ("洞头区", "Dongtou"),
    ("永嘉县", "Yongjia"), ("平阳县", "Pingyang"), ("苍南县", "Cangnan"), ("文成县", "Wencheng"),
    ("泰顺县", "Taishun"), ("瑞安市", "Rui'an"), ("乐清市", "Yueqing"), ("龙港市", "Longgang"),
)


def _seed_taxonomy():
    categories = sa.table("categories", sa.column("slug", sa.String), sa.column("name", sa.String),
                          sa.column("name_en", sa.String), sa.column("position", sa.Integer))
    districts = sa.table("districts", sa.column("name", sa.String), sa.column("name_en", sa.String),
                         sa.column("position", sa.Integer))
    op.bulk_insert(categories, [
        {"slug": slug, "name": name, "name_en": name_en, "position": position}
        for position, (slug, name, name_en) in enumerate(CATEGORIES, start=1)
    ])
    op.bulk_insert(districts, [
        {"name": name, "name_en": name_en, "position": position}
        for position, (name, name_en) in enumerate(DISTRICTS, start=1)
    ])


# revision identifiers, used by Alembic.
revision = 'e1d85f6e23cf'
down_revision = None
branch_labels = None
depends_on = None


def _is_sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _verifier_fk(table):
    # users and organizations/companies reference each other. SQLite accepts a reference to a
    # table created later; PostgreSQL does not, so there the key is added once users exists.
    if _is_sqlite():
        return [sa.ForeignKeyConstraint(["verified_by_id"], ["users.id"], name=op.f(f"fk_{table}_verified_by_id_users"))]
    return []


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_categories_slug'))
    )
    op.create_table('districts',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('name_en', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_districts'))
    )
    op.create_table('companies',
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('industry', sa.String(length=50), nullable=False),
    sa.Column('yearly_budget', sa.BigInteger(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('verification_status', sa.String(length=16), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("verification_status IN ('pending', 'verified', 'rejected')", name=op.f('ck_companies_verification')),
    sa.CheckConstraint('yearly_budget IS NULL OR yearly_budget >= 0', name=op.f('ck_companies_budget_not_negative')),
    sa.ForeignKeyConstraint(['district'], ['districts.name'], name=op.f('fk_companies_district_districts')),
    *_verifier_fk('companies'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('name', name=op.f('uq_companies_name')),
    sa.UniqueConstraint('uscc', name=op.f('uq_companies_uscc'))
    )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companies_district'), ['district'], unique=False)

    op.create_table('organizations',
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('founded_year', sa.Integer(), nullable=True),
    sa.Column('grade', sa.String(length=2), nullable=True),
    sa.Column('grade_valid_until', sa.Date(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=True),
    sa.Column('is_league_body', sa.Boolean(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('verification_status', sa.String(length=16), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("grade IS NULL OR grade IN ('A1', 'A2', 'A3', 'A4', 'A5')", name=op.f('ck_organizations_grade_known')),
    sa.CheckConstraint("tier IS NULL OR tier IN ('leading', 'demonstration', 'growing')", name=op.f('ck_organizations_tier_known')),
    sa.CheckConstraint("verification_status IN ('pending', 'verified', 'rejected')", name=op.f('ck_organizations_verification')),
    sa.CheckConstraint('grade IS NULL OR grade_valid_until IS NOT NULL', name=op.f('ck_organizations_grade_has_expiry')),
    sa.ForeignKeyConstraint(['district'], ['districts.name'], name=op.f('fk_organizations_district_districts')),
    *_verifier_fk('organizations'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('name', name=op.f('uq_organizations_name')),
    sa.UniqueConstraint('uscc', name=op.f('uq_organizations_uscc'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizations_district'), ['district'], unique=False)

    op.create_table('company_districts',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('district_name', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_districts_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_name'], ['districts.name'], name=op.f('fk_company_districts_district_name_districts')),
    sa.PrimaryKeyConstraint('company_id', 'district_name', name=op.f('pk_company_districts'))
    )
    op.create_table('company_focus_categories',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_company_focus_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_company_focus_categories_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', 'category_id', name=op.f('pk_company_focus_categories'))
    )
    op.create_table('organization_business_areas',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_organization_business_areas_category_id_categories')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_business_areas_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', 'category_id', name=op.f('pk_organization_business_areas'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(role = 'org' AND organization_id IS NOT NULL AND company_id IS NULL) OR (role = 'company' AND company_id IS NOT NULL AND organization_id IS NULL) OR (role IN ('staff', 'admin') AND organization_id IS NULL AND company_id IS NULL)", name=op.f('ck_users_party_matches_role')),
    sa.CheckConstraint("role IN ('org', 'company', 'staff', 'admin')", name=op.f('ck_users_role_known')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_users_company_id_companies')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_organization_id'), ['organization_id'], unique=False)

    if not _is_sqlite():
        for table in ("companies", "organizations"):
            op.create_foreign_key(op.f(f"fk_{table}_verified_by_id_users"), table, "users", ["verified_by_id"], ["id"])

    _seed_taxonomy()

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('summary', sa.String(length=140), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('district', sa.String(length=16), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('goal_amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('raised_amount', sa.BigInteger(), nullable=False),
    sa.Column('supporters_count', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('funding_model', sa.String(length=16), nullable=False),
    sa.Column('beneficiaries', sa.Integer(), nullable=False),
    sa.Column('cover_image', sa.String(length=64), nullable=True),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('return_reason', sa.String(length=500), nullable=True),
    sa.Column('featured', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("currency = 'CNY'", name=op.f('ck_projects_currency_cny')),
    sa.CheckConstraint("funding_model IN ('all_or_nothing', 'keep_it_all')", name=op.f('ck_projects_funding_model_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'returned', 'published', 'funded', 'failed', 'closed', 'cancelled')", name=op.f('ck_projects_status_known')),
    sa.CheckConstraint('beneficiaries >= 0', name=op.f('ck_projects_beneficiaries_not_negative')),
    sa.CheckConstraint('goal_amount > 0 AND goal_amount <= 10000000000', name=op.f('ck_projects_goal_in_range')),
    sa.CheckConstraint('raised_amount >= 0', name=op.f('ck_projects_raised_not_negative')),
    sa.CheckConstraint('supporters_count >= 0', name=op.f('ck_projects_supporters_not_negative')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_projects_category_id_categories')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_projects_created_by_id_users')),
    sa.ForeignKeyConstraint(['district'], ['districts.name'], name=op.f('fk_projects_district_districts')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_projects_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_status'), ['status'], unique=False)
        batch_op.create_index('ix_projects_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("currency = 'CNY'", name=op.f('ck_pledges_currency_cny')),
    sa.CheckConstraint("method IN ('bank_transfer', 'in_kind', 'card')", name=op.f('ck_pledges_method_known')),
    sa.CheckConstraint("status IN ('pending', 'paid', 'refunded', 'failed', 'cancelled', 'expired')", name=op.f('ck_pledges_status_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pledges_amount_positive')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_pledges_company_id_companies')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pledges_created_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pledges_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_pledges_idempotency_key'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledges_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledges_project_id'), ['project_id'], unique=False)

    op.create_table('project_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_project_transitions_actor_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_transitions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_transitions'))
    )
    with op.batch_alter_table('project_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_transitions_project_id'), ['project_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('entry_type', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("currency = 'CNY'", name=op.f('ck_ledger_entries_currency_cny')),
    sa.CheckConstraint("entry_type IN ('payment', 'refund')", name=op.f('ck_ledger_entries_entry_type_known')),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_ledger_entries_amount_not_zero')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_ledger_entries_pledge_id_pledges')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ledger_entries_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('reference', name=op.f('uq_ledger_entries_reference'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_pledge_id'), ['pledge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_project_id'), ['project_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_project_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_pledge_id'))

    op.drop_table('ledger_entries')
    with op.batch_alter_table('project_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_transitions_project_id'))

    op.drop_table('project_transitions')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledges_project_id'))
        batch_op.drop_index(batch_op.f('ix_pledges_company_id'))

    op.drop_table('pledges')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_status_deadline')
        batch_op.drop_index(batch_op.f('ix_projects_status'))
        batch_op.drop_index(batch_op.f('ix_projects_organization_id'))
        batch_op.drop_index(batch_op.f('ix_projects_district'))
        batch_op.drop_index(batch_op.f('ix_projects_category_id'))

    op.drop_table('projects')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organization_id'))
        batch_op.drop_index(batch_op.f('ix_users_company_id'))

    if not _is_sqlite():
        for table in ("companies", "organizations"):
            op.drop_constraint(op.f(f"fk_{table}_verified_by_id_users"), table, type_="foreignkey")
    op.drop_table('users')
    op.drop_table('organization_business_areas')
    op.drop_table('company_focus_categories')
    op.drop_table('company_districts')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_district'))

    op.drop_table('organizations')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companies_district'))

    op.drop_table('companies')
    op.drop_table('districts')
    op.drop_table('categories')
    # ### end Alembic commands ###
