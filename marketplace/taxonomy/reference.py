"""Categories and districts as plain rows, read once per process and database.

They are reference data: a migration seeds them and nothing in the app changes them (a new
category arrives with a migration, which a deployment follows with a restart). Reading them on
every list page was two of its five queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.taxonomy.models import Category, District


@dataclass(frozen=True)
class CategoryRow:
    id: int
    slug: str
    name: str
    name_en: str
    position: int


@dataclass(frozen=True)
class DistrictRow:
    name: str
    name_en: str
    position: int


_loaded: dict[str, tuple[tuple[CategoryRow, ...], tuple[DistrictRow, ...]]] = {}


def _reference() -> tuple[tuple[CategoryRow, ...], tuple[DistrictRow, ...]]:
    database = db.engine.url.render_as_string(hide_password=False)
    found = _loaded.get(database)
    if found is None:
        categories = tuple(
            CategoryRow(c.id, c.slug, c.name, c.name_en, c.position)
            for c in db.session.scalars(select(Category).order_by(Category.position, Category.id))
        )
        districts = tuple(
            DistrictRow(d.name, d.name_en, d.position)
            for d in db.session.scalars(select(District).order_by(District.position, District.name))
        )
        found = _loaded[database] = (categories, districts)
    return found


def categories() -> tuple[CategoryRow, ...]:
    """Every category, in display order."""
    return _reference()[0]


def districts() -> tuple[DistrictRow, ...]:
    """Every district, in display order."""
    return _reference()[1]
