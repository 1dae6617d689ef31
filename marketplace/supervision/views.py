"""Supervision pages for staff: visits, inspections, the fund check and overdue reports.

Each page reads what it shows through ``supervision.operations`` and each form calls one operation
and commits once (``committed_or_refused``); refusals come back next to the inputs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.authz import staff_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.forms import FieldReader, committed_or_refused, optional_date, optional_int, populate_errors
from marketplace.messages import Msg
from marketplace.parties.models import Organization
from marketplace.supervision import operations as ops
from marketplace.supervision import rules
from marketplace.supervision.forms import CompleteForm, SampleForm, VisitForm
from marketplace.supervision.models import InspectionTask
from marketplace.timeutil import local_today
from marketplace.web import translate

bp = Blueprint("supervision", __name__, url_prefix="/staff/supervision")

YEARS_SHOWN = 6


def _flash(message: Msg, category: str = "success") -> None:
    flash(translate(message), category)


def _organization_choices(blank: Msg) -> list[tuple[str, str]]:
    rows = db.session.execute(select(Organization.id, Organization.name).order_by(Organization.name))
    return [("", translate(blank))] + [(str(oid), name) for oid, name in rows]


def _organization(text: str | None) -> Organization | None:
    value = (text or "").strip()
    return db.session.get(Organization, int(value)) if value.isascii() and value.isdigit() else None


def _status(error: DomainError) -> int:
    return 422 if error.status == 422 else error.status


# ─────────────────────────────── overview ───────────────────────────────


@bp.app_template_global("supervision_overview")
def supervision_overview() -> ops.Overview:
    """The staff dashboard's supervision figures (this quarter's inspections, overdue reports, gaps)."""
    return ops.overview()


@bp.route("")
@staff_required
def overview() -> Any:
    return render_template(
        "supervision/overview.html",
        overview=ops.overview(),
        due_days=rules.REPORT_DUE_DAYS,
        per_grade=rules.PER_GRADE,
    )


# ─────────────────────────────── visits ───────────────────────────────


@bp.route("/visits")
@staff_required
def visits() -> Any:
    reader = FieldReader()
    date_from = reader.read(lambda: optional_date(request.args.get("from"), "from"))
    date_to = reader.read(lambda: optional_date(request.args.get("to"), "to"))
    organization = _organization(request.args.get("organization"))
    items = []
    if not reader.errors:
        items = (
            reader.read(
                lambda: ops.visits(
                    organization_id=organization.id if organization else None,
                    date_from=date_from,
                    date_to=date_to,
                )
            )
            or []
        )
    return render_template(
        "supervision/visits.html",
        visits=items,
        problems=[translate(reason) for reason in reader.errors.values()],
        organizations=_organization_choices(Msg("全部组织"))[1:],
        chosen={
            "organization": str(organization.id) if organization else "",
            "from": request.args.get("from", ""),
            "to": request.args.get("to", ""),
        },
        limit=ops.VISITS_LIMIT,
    )


def _render_visit_form(form: VisitForm, status: int = 200) -> Any:
    return render_template("supervision/visit_form.html", form=form), status


@bp.route("/visits/new", methods=["GET", "POST"])
@staff_required
def new_visit() -> Any:
    form = VisitForm()
    form.organization_id.choices = _organization_choices(Msg("— 请选择 —"))
    if request.method == "GET":
        form.organization_id.data = request.args.get("organization", "")
        form.visited_on.data = local_today().isoformat()
        return _render_visit_form(form)
    reader = FieldReader()
    day = reader.read(lambda: optional_date(form.visited_on.data, "visited_on"))
    organization = _organization(form.organization_id.data)
    with committed_or_refused() as outcome:
        try:
            visit = ops.log_visit(current_user, organization, day, form.notes.data or "")
        except DomainError as error:
            raise DomainError({**error.fields, **reader.errors}) from None
    if (error := outcome.error) is not None:
        populate_errors(form, error)
        return _render_visit_form(form, _status(error))
    _flash(Msg("走访记录已保存"))
    return redirect(url_for(".organization", organization_id=visit.organization_id), 303)


@bp.route("/organizations/<int:organization_id>")
@staff_required
def organization(organization_id: int) -> Any:
    org = db.session.get(Organization, organization_id)
    if org is None:
        raise NotFound.on("organization", Msg("找不到该组织"))
    tasks = db.session.scalars(
        select(InspectionTask)
        .where(InspectionTask.organization_id == org.id)
        .order_by(InspectionTask.quarter.desc())
    ).all()
    return render_template(
        "supervision/organization.html",
        organization=org,
        visits=ops.visits(organization_id=org.id),
        tasks=tasks,
        overdue=ops.overdue_reports(organization_id=org.id),
    )


# ─────────────────────────────── inspections ───────────────────────────────


def _render_inspections(
    quarter: rules.Quarter,
    *,
    sample_form: SampleForm | None = None,
    failed: tuple[int, CompleteForm] | None = None,
    problem: str = "",
    status: int = 200,
) -> Any:
    tasks = ops.quarter_tasks(quarter)
    forms = {}
    for task in tasks:
        if task.status == "open":
            forms[task.id] = (
                failed[1] if failed and failed[0] == task.id else CompleteForm(prefix=f"task{task.id}")
            )
    if sample_form is None:
        sample_form = SampleForm(formdata=None)
        sample_form.quarter.data = quarter.code
    today_quarter = rules.quarter_of(local_today())
    return (
        render_template(
            "supervision/inspections.html",
            quarter=quarter,
            tasks=tasks,
            forms=forms,
            sample_form=sample_form,
            default_seed=rules.default_seed(quarter),
            per_grade=rules.PER_GRADE,
            problem=problem,
            quarters=_recent_quarters(today_quarter),
        ),
        status,
    )


def _recent_quarters(latest: rules.Quarter, count: int = 8) -> list[str]:
    codes = []
    year, number = latest.year, latest.number
    for _ in range(count):
        codes.append(f"{year}Q{number}")
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return codes


@bp.route("/inspections")
@staff_required
def inspections() -> Any:
    text = request.args.get("quarter", "")
    current = rules.quarter_of(local_today())
    if not text.strip():
        return _render_inspections(current)
    try:
        quarter = rules.parse_quarter(text)
    except DomainError as error:
        return _render_inspections(current, problem=translate(error.message))
    return _render_inspections(quarter)


@bp.route("/inspections/sample", methods=["POST"])
@staff_required
def sample() -> Any:
    form = SampleForm()
    reader = FieldReader()
    seed = reader.read(lambda: optional_int(form.seed.data, "seed", Msg("随机种子应为不带符号的整数")))
    with committed_or_refused() as outcome:
        if reader.errors:
            raise DomainError(reader.errors)
        draw = ops.sample_inspections(form.quarter.data or "", seed=seed, actor=current_user)
    if (error := outcome.error) is not None:
        populate_errors(form, error)
        try:
            shown = rules.parse_quarter(form.quarter.data)
        except DomainError:
            shown = rules.quarter_of(local_today())
        return _render_inspections(shown, sample_form=form, status=_status(error))
    if draw.created:
        _flash(
            Msg(
                "已抽取 %(quarter)s 的检查对象：%(n)s 家（随机种子 %(seed)s）",
                quarter=draw.quarter.code,
                n=draw.created,
                seed=draw.seed,
            )
        )
    elif draw.already_drawn:
        _flash(Msg("%(quarter)s 已用同一随机种子抽取过，没有新建检查任务", quarter=draw.quarter.code), "info")
    else:
        _flash(Msg("没有评级有效的已认证组织，没有创建检查任务"), "warning")
    if draw.ungraded:
        _flash(Msg("未评级或评级已过期的 %(n)s 家已认证组织不参加抽取", n=draw.ungraded), "info")
    return redirect(url_for(".inspections", quarter=draw.quarter.code), 303)


@bp.route("/inspections/<int:task_id>/complete", methods=["POST"])
@staff_required
def complete(task_id: int) -> Any:
    task = ops.task_for(task_id)
    form = CompleteForm(prefix=f"task{task.id}")
    reader = FieldReader()
    day = reader.read(lambda: optional_date(form.visited_on.data, "visited_on"))
    with committed_or_refused() as outcome:
        if reader.errors:
            raise DomainError(reader.errors)
        ops.complete_inspection(current_user, task, form.findings.data or "", visited_on=day)
    if (error := outcome.error) is not None:
        populate_errors(form, error)
        task = ops.task_for(task_id)
        return _render_inspections(
            rules.parse_quarter(task.quarter), failed=(task.id, form), status=_status(error)
        )
    _flash(Msg("检查已完成，并已记入走访记录"))
    return redirect(url_for(".inspections", quarter=task.quarter), 303)


# ─────────────────────────────── fund check and overdue reports ───────────────────────────────


@bp.route("/fund-check")
@staff_required
def fund_check() -> Any:
    this_year = local_today().year
    text = (request.args.get("year") or "").strip()
    year, problem = this_year, ""
    if text:
        try:
            year = rules.check_year(int(text) if text.isascii() and text.isdigit() else None)
        except DomainError as error:
            problem = translate(error.message)
    return render_template(
        "supervision/fund_check.html",
        check=ops.fund_check(year),
        years=list(range(this_year, this_year - YEARS_SHOWN, -1)),
        problem=problem,
        labels=rules.FUND_FLAG_LABELS,
    )


@bp.route("/overdue-reports")
@staff_required
def overdue_reports() -> Any:
    return render_template(
        "supervision/overdue.html", items=ops.overdue_reports(), due_days=rules.REPORT_DUE_DAYS
    )
