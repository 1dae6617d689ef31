"""Matching-pool (配捐) pages: the list, one pool with its matched projects, opening a pool.

Thin on purpose: the money rules (who may open or close a pool, its terms, matching itself) live in
``pledges.operations``; these views read what the pages show, call the operation and commit once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.authz import login_required_any
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.messages import Msg
from marketplace.money import progress_percent
from marketplace.parties.models import Company
from marketplace.pledges.models import MatchingPool
from marketplace.pledges.operations import (
    close_matching_pool,
    open_matching_pool,
    pledging_company,
    pool_projects,
)
from marketplace.pledges.pool_forms import PoolForm, format_ratio
from marketplace.projects import queries
from marketplace.taxonomy.reference import CategoryRow
from marketplace.timeutil import utcnow
from marketplace.web import translate

bp = Blueprint("pools", __name__, url_prefix="/pools")

# Shown as the pool's badge: (badge style from _macros.status_badge's palette, label).
_PHASES: dict[str, tuple[str, Msg]] = {
    "active": ("published", Msg("配捐中")),
    "upcoming": ("submitted", Msg("即将开始")),
    "exhausted": ("pending", Msg("预算已用完")),
    "ended": ("closed", Msg("已结束")),
    "closed": ("closed", Msg("已关闭")),
}


@dataclass(frozen=True)
class PoolView:
    """What the pages show about one pool, computed once."""

    pool: MatchingPool
    phase: str
    badge: str
    phase_label: Msg
    ratio: str
    remaining_percent: int
    categories: list[CategoryRow]

    @property
    def is_running(self) -> bool:
        """Still part of the current drive (matching now or about to), as opposed to ended."""
        return self.phase in ("active", "upcoming", "exhausted")


def _phase(pool: MatchingPool, now: datetime) -> str:
    if not pool.active:
        return "closed"
    if pool.ends_at <= now:
        return "ended"
    if pool.starts_at > now:
        return "upcoming"
    return "active" if pool.remaining > 0 else "exhausted"


def _view(pool: MatchingPool, now: datetime, categories: dict[int, CategoryRow]) -> PoolView:
    phase = _phase(pool, now)
    badge, label = _PHASES[phase]
    return PoolView(
        pool=pool,
        phase=phase,
        badge=badge,
        phase_label=label,
        ratio=format_ratio(pool.ratio_bp),
        remaining_percent=progress_percent(pool.remaining, pool.budget),
        categories=[categories[i] for i in pool.category_ids if i in categories],
    )


def _categories_by_id() -> dict[int, CategoryRow]:
    return {category.id: category for category in queries.categories()}


def _get_pool(pool_id: int) -> MatchingPool:
    pool = db.session.get(MatchingPool, pool_id, options=[joinedload(MatchingPool.company)])
    if pool is None:
        raise NotFound.on("pool", Msg("找不到该配捐计划"))
    return pool


def _may_close(pool: MatchingPool) -> bool:
    if not current_user.is_authenticated:
        return False
    return bool(current_user.is_staff or current_user.company_id == pool.company_id)


def _company_opening_pool() -> Company:
    """The verified company the signed-in member would open a pool for (403 for anyone else)."""
    try:
        return pledging_company(current_user)
    except Forbidden:
        raise Forbidden.on("company", Msg("只有通过认证的爱心企业可以设立配捐计划")) from None


# ───────────── public pages ─────────────


@bp.get("")
def index() -> Any:
    now = utcnow()
    categories = _categories_by_id()
    pools = db.session.scalars(
        select(MatchingPool)
        .options(joinedload(MatchingPool.company))
        .order_by(MatchingPool.ends_at.desc(), MatchingPool.id.desc())
    ).all()
    views = [_view(pool, now, categories) for pool in pools]
    running = sorted((view for view in views if view.is_running), key=lambda view: view.pool.ends_at)
    can_open = (
        current_user.is_authenticated
        and current_user.company is not None
        and bool(current_user.company.is_verified)
    )
    return render_template(
        "pools/index.html",
        running=running,
        ended=[view for view in views if not view.is_running],
        can_open=can_open,
    )


@bp.get("/<int:pool_id>")
def detail(pool_id: int) -> Any:
    pool = _get_pool(pool_id)
    matched = [(project, amount) for project, amount in pool_projects(pool) if project.is_public]
    return render_template(
        "pools/detail.html",
        view=_view(pool, utcnow(), _categories_by_id()),
        pool=pool,
        matched=matched,
        may_close=_may_close(pool) and pool.active,
    )


# ───────────── opening and closing ─────────────


def _pool_form() -> PoolForm:
    form = PoolForm()
    form.set_choices(queries.categories(), queries.districts())
    return form


def _render_form(form: PoolForm, company: Company, status: int = 200) -> Any:
    return render_template("pools/new.html", form=form, company=company), status


@bp.route("/new", methods=["GET", "POST"])
@login_required_any
def new() -> Any:
    company = _company_opening_pool()
    form = _pool_form()
    if request.method == "GET":
        form.fill_defaults()
        return _render_form(form, company)
    if not form.validate_on_submit():
        return _render_form(form, company, 400)
    try:
        pool = open_matching_pool(current_user, form.to_input())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status != 422:
            raise
        populate_errors(form, error)
        return _render_form(form, company, 422)
    flash(translate(Msg("配捐计划「%(name)s」已设立", name=pool.name)), "success")
    return redirect(url_for(".detail", pool_id=pool.id), 303)


@bp.post("/<int:pool_id>/close")
@login_required_any
def close(pool_id: int) -> Any:
    pool = _get_pool(pool_id)
    if pool.active or not _may_close(pool):
        close_matching_pool(pool, current_user)  # refuses anyone but the company's members and staff
        db.session.commit()
        flash(translate(Msg("配捐计划已关闭：之后的认捐不再配捐，已配的款项不受影响")), "success")
    else:
        flash(translate(Msg("该配捐计划已经关闭")), "info")
    return redirect(url_for(".detail", pool_id=pool.id), 303)
