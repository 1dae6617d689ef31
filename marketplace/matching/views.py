"""Sponsor matching pages: a company's sponsor profile, staff's matchmaking board, introductions
(staff send them, the company answers) and the "potential sponsors" block of a project page.

Thin on purpose: scoring, who may see what and every state change live in
``matching.operations``; these views read what the pages show, call the operation and commit once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import Role, User
from marketplace.accounts.views import safe_next
from marketplace.authz import company_required, login_required_any, staff_required
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.forms import populate_errors
from marketplace.matching import operations
from marketplace.matching.forms import IntroduceForm, RespondForm, SponsorProfileForm
from marketplace.matching.models import Introduction, MatchSuggestion
from marketplace.matching.scoring import Audience, Reason
from marketplace.matching.states import OPEN_STATUSES, STATUS_LABELS, IntroductionStatus
from marketplace.messages import Msg
from marketplace.money import fen_to_yuan_input
from marketplace.parties.models import Company, VerificationStatus
from marketplace.projects import queries
from marketplace.projects.models import Project
from marketplace.projects.states import ProjectStatus
from marketplace.taxonomy.models import Category, District
from marketplace.web import translate

bp = Blueprint("matching", __name__)

PROJECT_BLOCK_LIMIT = 5  # potential sponsors on a project page
BOARD_ROWS = 30  # rows the board shows
BOARD_FETCH = 60  # candidates scored before the board's own filters (score, introduced) apply
SELECT_LIMIT = 1000  # options in the board's project and company selectors
LIST_LIMIT = 200
_OPEN = [status.value for status in OPEN_STATUSES]
# The operation reports the company's answer on "status", a hidden input: show it above the form.
_RESPONSE_ALIASES = {"status": "form-level"}
RESPONSE_DONE = {
    IntroductionStatus.INTERESTED: Msg("已告诉团区委贵司有意向，工作人员会尽快联系贵司商量支持方式"),
    IntroductionStatus.DECLINED: Msg("已婉拒这次介绍，感谢贵司告知"),
}


def _flash(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


@bp.app_template_filter("yuan_input")
def yuan_input(fen: int | None) -> str:
    """Fen as a form's yuan value ("12345.6" style), e.g. to prefill the pledge form."""
    return fen_to_yuan_input(fen) if fen else ""


@bp.app_template_global("open_introductions_count")
def open_introductions_count() -> int:
    """The signed-in company's introductions still open (for the navigation); 0 for anyone else."""
    if not current_user.is_authenticated or current_user.role != Role.COMPANY or not current_user.company_id:
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Introduction)
            .where(Introduction.company_id == current_user.company_id, Introduction.status.in_(_OPEN))
        )
        or 0
    )


def _error_text(error: DomainError) -> str:
    """An operation's refusal in one sentence: each field's reason, or its message."""
    reasons = [translate(reason) for reason in error.fields.values()]
    return "；".join(reasons) if reasons else translate(error.message)


# ───────────── sponsor profile ─────────────


def _render_profile(form: SponsorProfileForm, company: Company, status: int = 200) -> Any:
    profile = operations.sponsor_profile_of(company)
    return render_template("matching/profile.html", form=form, company=company, profile=profile), status


@bp.route("/sponsor-profile", methods=["GET", "POST"])
@company_required
def sponsor_profile() -> Any:
    company = current_user.company
    form = SponsorProfileForm()
    form.set_choices()
    if request.method == "GET":
        form.fill_from(company, operations.sponsor_profile_of(company))
        return _render_profile(form, company)
    if not form.validate_on_submit():
        return _render_profile(form, company, 400)
    data, unreadable = form.to_input()
    try:
        operations.save_sponsor_profile(company, data, current_user)
        if unreadable:
            raise DomainError(unreadable)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status != 422:
            raise
        populate_errors(form, DomainError({**error.fields, **unreadable}) if error.fields else error)
        return _render_profile(form, company, 422)
    _flash(Msg("赞助偏好已保存，「为您推荐」已按新的偏好更新"))
    return redirect(url_for("dashboard.home"), 303)


# ───────────── matches shown as rows (project page, board) ─────────────


@dataclass(frozen=True)
class MatchRow:
    """One company ↔ project pair as a page shows it."""

    company: Company
    project: Project
    score: float
    reasons: Sequence[Reason]
    suggested_amount: int | None = None
    introduction: Introduction | None = None  # an open one, if any


def _open_introductions(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Introduction]:
    pairs = set(pairs)
    if not pairs:
        return {}
    found = db.session.scalars(
        select(Introduction).where(
            Introduction.company_id.in_({company for company, _ in pairs}),
            Introduction.project_id.in_({project for _, project in pairs}),
            Introduction.status.in_(_OPEN),
        )
    )
    return {
        (intro.company_id, intro.project_id): intro
        for intro in found
        if (intro.company_id, intro.project_id) in pairs
    }


def _with_introductions(rows: list[MatchRow]) -> list[MatchRow]:
    opened = _open_introductions((row.company.id, row.project.id) for row in rows)
    return [
        MatchRow(
            row.company,
            row.project,
            row.score,
            row.reasons,
            row.suggested_amount,
            opened.get((row.company.id, row.project.id)),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SponsorBlock:
    rows: list[MatchRow]
    can_introduce: bool


def potential_sponsors(project: Project, user: Any) -> SponsorBlock | None:
    """The project page's "潜在赞助企业" block: for the project's organization and for staff, while
    the project is raising money; None for everyone else."""
    if project.status != ProjectStatus.PUBLISHED:
        return None
    try:
        operations.require_project_access(project, user)
    except Forbidden:
        return None
    rows = [
        MatchRow(found.company, project, found.match.score, found.match.reasons, found.match.suggested_amount)
        for found in operations.project_sponsors(project, limit=PROJECT_BLOCK_LIMIT)
    ]
    return SponsorBlock(_with_introductions(rows), can_introduce=bool(user.is_staff))


# ───────────── staff: the matchmaking board ─────────────


@dataclass
class BoardFilters:
    project_id: int | None = None
    company_id: int | None = None
    category: str = ""
    district: str = ""
    min_score: float | None = None
    hide_introduced: bool = True
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> BoardFilters:
        filters = cls(
            project_id=_int_arg(args.get("project")),
            company_id=_int_arg(args.get("company")),
            category=(args.get("category") or "").strip(),
            district=(args.get("district") or "").strip(),
            # A fresh visit hides what was already introduced; a submitted filter form says so itself.
            hide_introduced=args.get("hide_introduced") == "1" if args else True,
        )
        if filters.project_id is not None and filters.company_id is not None:
            filters.problems.append(translate(Msg("同时选择了项目和企业：下面按所选项目查看最合适的企业")))
        text = (args.get("min_score") or "").strip()
        if text:
            try:
                value = float(text)
            except ValueError:
                value = -1.0
            if 0 <= value <= 100:
                filters.min_score = value
            else:
                filters.problems.append(translate(Msg("最低分应为 0 到 100 之间的数字，已忽略")))
        return filters

    @property
    def mode(self) -> str:
        if self.project_id is not None:
            return "project"
        if self.company_id is not None:
            return "company"
        return "board"

    def keep(self, row: MatchRow) -> bool:
        if self.min_score is not None and row.score < self.min_score:
            return False
        return not (self.hide_introduced and row.introduction is not None)


def _int_arg(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def _companies_matching(filters: BoardFilters) -> list[int] | None:
    """Project mode: the verified companies that focus on the category / care about the district."""
    if not filters.category and not filters.district:
        return None
    query = select(Company.id).where(Company.verification_status == VerificationStatus.VERIFIED)
    if filters.category:
        query = query.where(Company.focus_categories.any(Category.slug == filters.category))
    if filters.district:
        query = query.where(
            or_(
                Company.district == filters.district,
                Company.districts_of_interest.any(District.name == filters.district),
            )
        )
    return list(db.session.scalars(query))


def _projects_matching(filters: BoardFilters) -> list[int] | None:
    """Company mode: the published projects in the category / district."""
    if not filters.category and not filters.district:
        return None
    query = select(Project.id).where(Project.status == ProjectStatus.PUBLISHED)
    if filters.category:
        query = query.join(Category, Project.category_id == Category.id).where(
            Category.slug == filters.category
        )
    if filters.district:
        query = query.where(Project.district == filters.district)
    return list(db.session.scalars(query))


def _project_mode(filters: BoardFilters) -> tuple[Project | None, list[MatchRow]]:
    project = db.session.get(Project, filters.project_id)
    if project is None or project.status != ProjectStatus.PUBLISHED:
        filters.problems.append(translate(Msg("所选项目不在筹款中，不能推荐企业")))
        return None, []
    company_ids = _companies_matching(filters)
    if company_ids == []:
        return project, []
    rows = [
        MatchRow(found.company, project, found.match.score, found.match.reasons, found.match.suggested_amount)
        for found in operations.project_sponsors(project, limit=BOARD_FETCH, company_ids=company_ids)
    ]
    return project, rows


def _company_mode(filters: BoardFilters) -> tuple[Company | None, list[MatchRow]]:
    company = db.session.get(Company, filters.company_id)
    if company is None or not company.is_verified:
        filters.problems.append(translate(Msg("所选企业尚未通过认证，不能推荐项目")))
        return None, []
    rows = [
        MatchRow(company, found.project, found.match.score, found.match.reasons, found.match.suggested_amount)
        for found in operations.company_matches(
            company, limit=BOARD_FETCH, audience=Audience.BROKER, among=_projects_matching(filters)
        )
    ]
    return company, rows


def _precomputed(filters: BoardFilters) -> list[MatchRow]:
    """The board's default: the best precomputed pairs across companies, best first."""
    query = (
        select(MatchSuggestion)
        .join(Project, MatchSuggestion.project_id == Project.id)
        .where(Project.status == ProjectStatus.PUBLISHED)
        .options(joinedload(MatchSuggestion.company), joinedload(MatchSuggestion.project))
        .order_by(MatchSuggestion.score.desc(), MatchSuggestion.id)
    )
    if filters.category:
        query = query.join(Category, Project.category_id == Category.id).where(
            Category.slug == filters.category
        )
    if filters.district:
        query = query.where(Project.district == filters.district)
    if filters.min_score is not None:
        query = query.where(MatchSuggestion.score >= round(filters.min_score * 10))
    if filters.hide_introduced:
        query = query.where(
            ~select(Introduction.id)
            .where(
                Introduction.company_id == MatchSuggestion.company_id,
                Introduction.project_id == MatchSuggestion.project_id,
                Introduction.status.in_(_OPEN),
            )
            .exists()
        )
    return [
        MatchRow(
            suggestion.company,
            suggestion.project,
            suggestion.score / 10,
            operations.stored_reasons(suggestion.reasons or []),
        )
        for suggestion in db.session.scalars(query.limit(BOARD_ROWS))
    ]


@bp.get("/staff/matchmaking")
@staff_required
def board() -> Any:
    filters = BoardFilters.from_args(request.args)
    chosen_project = chosen_company = None
    if filters.mode == "project":
        chosen_project, rows = _project_mode(filters)
    elif filters.mode == "company":
        chosen_company, rows = _company_mode(filters)
    else:
        rows = _precomputed(filters)
    rows = [row for row in _with_introductions(rows) if filters.keep(row)][:BOARD_ROWS]
    computed_at = db.session.scalar(select(func.max(MatchSuggestion.computed_at)))
    return render_template(
        "matching/board.html",
        filters=filters,
        rows=rows,
        chosen_project=chosen_project,
        chosen_company=chosen_company,
        computed_at=computed_at,
        project_choices=_project_choices(filters.project_id),
        company_choices=_company_choices(filters.company_id),
        categories=queries.categories(),
        districts=queries.districts(),
    )


def _project_choices(selected: int | None) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Project.id, Project.title)
        .where(Project.status == ProjectStatus.PUBLISHED)
        .order_by(Project.deadline, Project.id)
        .limit(SELECT_LIMIT)
    ).all()
    return _keep_selected([(row.id, row.title) for row in rows], selected, Project, "title")


def _company_choices(selected: int | None) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Company.id, Company.name)
        .where(Company.verification_status == VerificationStatus.VERIFIED)
        .order_by(Company.name, Company.id)
        .limit(SELECT_LIMIT)
    ).all()
    return _keep_selected([(row.id, row.name) for row in rows], selected, Company, "name")


def _keep_selected(choices: list[tuple[int, str]], selected: int | None, model: Any, column: str) -> Any:
    if selected is not None and all(value != selected for value, _ in choices):
        item = db.session.get(model, selected)
        if item is not None:
            choices.insert(0, (item.id, getattr(item, column)))
    return choices


# ───────────── staff: introductions ─────────────


@bp.post("/staff/introductions")
@staff_required
def introduce() -> Any:
    form = IntroduceForm()
    back = safe_next(form.back.data) or url_for(".board")
    company_id, project_id = form.ids()
    company = db.session.get(Company, company_id) if company_id is not None else None
    project = db.session.get(Project, project_id) if project_id is not None else None
    if company is None or project is None:
        _flash(Msg("未能发送介绍：请选择要介绍的企业和项目"), "error")
        return redirect(back, 303)
    try:
        operations.send_introduction(current_user, company, project, form.note.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        if error.status == 409:
            flash(translate(Msg("未能发送介绍（重复）：%(reason)s", reason=_error_text(error))), "error")
        else:
            flash(translate(Msg("未能发送介绍：%(reason)s", reason=_error_text(error))), "error")
        return redirect(back, 303)
    _flash(
        Msg(
            "已向「%(company)s」介绍「%(title)s」，企业成员会收到通知",
            company=company.name,
            title=project.title,
        )
    )
    return redirect(back, 303)


def _introduction(introduction_id: int) -> Introduction:
    """The introduction if the caller may see it (the company's members and staff); 404 otherwise."""
    introduction = db.session.get(Introduction, introduction_id)
    if introduction is None:
        raise NotFound.on("introduction", Msg("找不到该介绍"))
    operations.require_introduction_access(introduction, current_user)
    return introduction


def _staff_members() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role.in_([Role.STAFF.value, Role.ADMIN.value])).order_by(User.name)
        )
    )


@bp.get("/staff/introductions")
@staff_required
def staff_introductions() -> Any:
    status = (request.args.get("status") or "").strip() or None
    staff_id = _int_arg(request.args.get("staff"))
    problem = None
    try:
        introductions = operations.list_introductions(
            current_user, status=status, staff_id=staff_id, limit=LIST_LIMIT
        )
    except DomainError as error:
        problem = _error_text(error)
        status = None
        introductions = operations.list_introductions(current_user, staff_id=staff_id, limit=LIST_LIMIT)
    return (
        render_template(
            "matching/staff_introductions.html",
            introductions=introductions,
            raised=operations.raised_through(introductions),
            status=status,
            staff_id=staff_id,
            problem=problem,
            status_labels=STATUS_LABELS,
            staff_members=_staff_members(),
            by_staff=operations.funnel(by="staff"),
            by_month=operations.funnel(by="month"),
        ),
        422 if problem else 200,
    )


@bp.get("/staff/introductions/<int:introduction_id>")
@staff_required
def staff_introduction(introduction_id: int) -> Any:
    introduction = _introduction(introduction_id)
    return render_template(
        "matching/staff_introduction.html",
        introduction=introduction,
        raised=operations.raised_through([introduction]).get(introduction.id),
    )


# ───────────── the company's side ─────────────


@bp.get("/introductions")
@company_required
def introductions() -> Any:
    return render_template(
        "matching/introductions.html",
        introductions=operations.list_introductions(current_user, limit=LIST_LIMIT),
    )


def _company_view(introduction: Introduction) -> operations.ProjectMatch | None:
    """How the introduced project fits the company now (reasons, suggested amount), if it still can
    be suggested."""
    found = operations.company_matches(introduction.company, limit=1, among=[introduction.project_id])
    return found[0] if found else None


def _render_introduction(introduction: Introduction, form: RespondForm, status: int = 200) -> Any:
    current = introduction.status
    project = introduction.project
    open_for_pledges = project.status == ProjectStatus.PUBLISHED and introduction.company.is_verified
    return (
        render_template(
            "matching/introduction.html",
            introduction=introduction,
            project=project,
            found=_company_view(introduction),
            form=form,
            can_interest=current in (IntroductionStatus.SENT, IntroductionStatus.VIEWED),
            can_decline=current
            in (IntroductionStatus.SENT, IntroductionStatus.VIEWED, IntroductionStatus.INTERESTED),
            open_for_pledges=open_for_pledges,
        ),
        status,
    )


@bp.get("/introductions/<int:introduction_id>")
@login_required_any
def introduction(introduction_id: int) -> Any:
    found = _introduction(introduction_id)
    if current_user.is_staff:
        return redirect(url_for(".staff_introduction", introduction_id=found.id))
    if operations.mark_viewed(found, current_user):
        db.session.commit()
    return _render_introduction(found, RespondForm(formdata=None))


@bp.post("/introductions/<int:introduction_id>/respond")
@login_required_any
def respond(introduction_id: int) -> Any:
    found = _introduction(introduction_id)
    form = RespondForm()
    answer = form.status.data or ""
    try:
        operations.respond_to_introduction(found, current_user, answer, form.note.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404):
            raise
        populate_errors(form, error, aliases=_RESPONSE_ALIASES)
        return _render_introduction(db.session.get(Introduction, introduction_id), form, error.status)
    done = RESPONSE_DONE.get(IntroductionStatus(answer))
    if done is not None:
        _flash(done)
    return redirect(url_for(".introduction", introduction_id=found.id), 303)
