"""The schema comes from Alembic migrations; these tests keep models and migrations in agreement."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.taxonomy.data import CATEGORIES, DISTRICTS
from marketplace.taxonomy.models import Category, District


def test_models_and_migrations_agree(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models differ from the migrations; run `flask db migrate`: {differences}"


def test_taxonomy_is_seeded_by_the_migration(ctx):
    slugs = db.session.scalars(select(Category.slug).order_by(Category.position)).all()
    assert slugs == [slug for slug, _, _ in CATEGORIES]
    names = db.session.scalars(select(District.name).order_by(District.position)).all()
    assert names == [name for name, _ in DISTRICTS]
    assert db.session.scalar(select(func.count()).select_from(District)) == 12
