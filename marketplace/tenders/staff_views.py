"""Staff pages of a tender: publishing it for a buyer (the tender form, 发布 / 保存草稿), editing it
(a substantive edit of an open tender sends submitted bids back for re-confirmation), cancelling it,
and after the deadline the evaluation screen: every submitted bid in full, a verdict per bid, the
ranking with 3A+ priority and warnings, the award, a declined award passing to the next-ranked bid,
流标, and the buyer's consent to each subcontract of the awarded bid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.authz import staff_required
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.forms import committed_or_refused, populate_errors
from marketplace.messages import Msg
from marketplace.taxonomy.models import Category, District
from marketplace.tenders import operations as ops
from marketplace.tenders import rules
from marketplace.tenders.forms import (
    ConsentForm,
    EvaluationForm,
    ReasonForm,
    TenderForm,
    place_tender_errors,
)
from marketplace.tenders.models import Bid, BidParticipant, Tender
from marketplace.tenders.states import BidStatus, TenderStatus
from marketplace.tenders.views import (
    bp,
    deadline_left,
    error_text,
    flash_message,
    is_past,
    render_detail,
    tender_for,
    tender_rules,
)
from marketplace.timeutil import utcnow
from marketplace.web import localized, translate

# ───────────── the tender form ─────────────


def _tender_form(formdata: Any = None) -> TenderForm:
    form = TenderForm() if formdata is None else TenderForm(formdata=formdata)
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    districts = db.session.scalars(select(District).order_by(District.position, District.name))
    form.category.choices = [("", translate(Msg("— 请选择 —")))] + [
        (item.slug, localized(item)) for item in categories
    ]
    form.district.choices = [("", translate(Msg("— 请选择 —")))] + [
        (item.name, localized(item)) for item in districts
    ]
    return form


def _render_tender_form(form: TenderForm, tender: Tender | None, status: int = 200) -> Any:
    submitted = [bid for bid in tender.bids if bid.status == BidStatus.SUBMITTED] if tender else []
    return (
        render_template(
            "tenders/tender_form.html",
            form=form,
            tender=tender,
            buyers=ops.list_buyers(),
            submitted_count=len(submitted),
        ),
        status,
    )


def _refused_tender(form: TenderForm, unreadable: dict[str, str], error: DomainError) -> None:
    problems = {} if error.fields == unreadable else dict(error.fields)
    for path in unreadable:
        problems.pop(path, None)
    if "submission_deadline_date" in unreadable or "submission_deadline_time" in unreadable:
        problems.pop("submission_deadline", None)  # already said what is wrong with it
    if "enquiry_ends_date" in unreadable or "enquiry_ends_time" in unreadable:
        problems.pop("enquiry_ends_at", None)
    place_tender_errors(form, unreadable)
    place_tender_errors(form, problems)
    if not error.fields:
        form.form_errors.append(translate(error.message))


@bp.route("/staff/tenders/new", methods=["GET", "POST"])
@staff_required
def new_tender() -> Any:
    form = _tender_form()
    if request.method == "GET":
        return _render_tender_form(form, None)
    publish = request.form.get("intent") != "draft"
    data, unreadable = form.to_input()
    with committed_or_refused() as outcome:
        tender = ops.create_tender(current_user, data, publish=publish)
        if unreadable:
            raise DomainError(unreadable)
    if (error := outcome.error) is not None:
        _refused_tender(form, unreadable, error)
        return _render_tender_form(form, None, 422 if error.status == 422 else error.status)
    flash_message(
        Msg("采购项目已发布，社会组织可以开始准备投标") if publish else Msg("采购项目草稿已保存（尚未公开）")
    )
    return redirect(url_for(".detail", tender_id=tender.id), 303)


@bp.route("/staff/tenders/<int:tender_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_tender(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    form = _tender_form()
    if request.method == "GET":
        if tender.status not in (TenderStatus.DRAFT, TenderStatus.OPEN):
            flash_message(
                Msg("采购项目当前为「%(status)s」，不能修改", status=tender.status_label), "warning"
            )
            return redirect(url_for(".detail", tender_id=tender.id))
        form.fill_from(tender)
        return _render_tender_form(form, tender)
    publish = tender.status == TenderStatus.DRAFT and request.form.get("intent") == "publish"
    data, unreadable = form.to_input()
    was_open = tender.status == TenderStatus.OPEN
    revision = tender.revision
    with committed_or_refused() as outcome:
        ops.update_tender(tender, current_user, data)
        if unreadable:
            raise DomainError(unreadable)
        if publish:
            ops.publish_tender(tender, current_user)
    if (error := outcome.error) is not None:
        tender = tender_for(tender_id)
        _refused_tender(form, unreadable, error)
        return _render_tender_form(form, tender, 422 if error.status == 422 else error.status)
    if was_open and tender.revision != revision:
        flash_message(
            Msg("采购项目已修改；已提交的投标须各方重新确认后重新提交，相关组织已收到通知"), "warning"
        )
    elif publish:
        flash_message(Msg("采购项目已发布，社会组织可以开始准备投标"))
    else:
        flash_message(Msg("采购项目已保存"))
    return redirect(url_for(".detail", tender_id=tender.id), 303)


@bp.post("/staff/tenders/<int:tender_id>/cancel")
@staff_required
def cancel_tender(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    form = ReasonForm(prefix="cancel")
    with committed_or_refused() as outcome:
        ops.cancel_tender(tender, current_user, reason=form.reason.data or "")
    if (error := outcome.error) is not None:
        populate_errors(form, error)
        return render_detail(tender_for(tender_id), cancel_form=form, status=error.status)
    flash_message(Msg("采购项目已取消，相关组织已收到通知"))
    return redirect(url_for(".detail", tender_id=tender_id), 303)


# ───────────── evaluation and award ─────────────


@dataclass(frozen=True)
class BidReview:
    bid: Bid
    flags: list[str]
    form: EvaluationForm


def _evaluation_form(bid: Bid, failed: tuple[int, EvaluationForm] | None) -> EvaluationForm:
    if failed is not None and failed[0] == bid.id:
        return failed[1]
    form = EvaluationForm(formdata=None, prefix=f"bid{bid.id}")
    if bid.qualified is not None:
        form.result.data = "valid" if bid.qualified else "disqualified"
        form.score.data = bid.score_label if bid.score is not None else ""
        form.reason.data = bid.evaluation_reason
    return form


def _reviews(tender: Tender, failed: tuple[int, EvaluationForm] | None) -> list[BidReview]:
    """Every bid that was submitted and not withdrawn, in the order it came in."""
    flags = ops.review_flags(tender)
    bids = [
        bid
        for bid in tender.bids
        if bid.submitted_at is not None and bid.status not in (BidStatus.WITHDRAWN, BidStatus.CANCELLED)
    ]
    return [BidReview(bid, flags.get(bid.id, []), _evaluation_form(bid, failed)) for bid in bids]


def _render_evaluation(
    tender: Tender,
    *,
    failed_evaluation: tuple[int, EvaluationForm] | None = None,
    failed_reason: tuple[str, ReasonForm] | None = None,
    failed_consent: tuple[int, ConsentForm] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Any:
    award = tender.current_award
    awarded_bid = award.bid if award is not None and tender.status == TenderStatus.AWARDED else None
    consent_forms: dict[int, ConsentForm] = {}
    for item in awarded_bid.subcontractors if awarded_bid is not None else []:
        if failed_consent is not None and failed_consent[0] == item.id:
            consent_forms[item.id] = failed_consent[1]
        else:
            form = ConsentForm(formdata=None, prefix=f"sub{item.id}")
            if item.consent_status != "none":
                form.consented.data = "yes" if item.consent_status == "consented" else "no"
                form.note.data = item.consent_note
            consent_forms[item.id] = form
    reason_forms = {
        "decline": ReasonForm(formdata=None, prefix="decline"),
        "fail": ReasonForm(formdata=None, prefix="fail"),
    }
    if failed_reason is not None:
        reason_forms[failed_reason[0]] = failed_reason[1]
    pending = [bid for bid in tender.bids if bid.status == BidStatus.SUBMITTED]
    next_bid = ops.next_in_line(tender)
    return (
        render_template(
            "tenders/evaluation.html",
            tender=tender,
            reviews=_reviews(tender, failed_evaluation),
            ranking=ops.ranking(tender),
            next_bid_id=next_bid.id if next_bid is not None else None,
            pending_count=len(pending),
            award=award,
            awarded_bid=awarded_bid,
            declined=[item for item in tender.awards if item.status == "declined"],
            consent_forms=consent_forms,
            reason_forms=reason_forms,
            problem=problem,
            rules_text=tender_rules(tender),
            deadline_text=deadline_left(tender.submission_deadline),
            before_deadline=not is_past(tender.submission_deadline),
            grade_label=rules.grade_label,
        ),
        status,
    )


def _close_if_due(tender: Tender) -> None:
    """The deadline has passed but the job has not moved the tender yet: move it now (the same
    idempotent operation the job runs), so staff see the bids as they stand for evaluation."""
    if tender.status == TenderStatus.OPEN and utcnow() >= tender.submission_deadline:
        with committed_or_refused():
            ops.close_submissions(tender)


@bp.get("/staff/tenders/<int:tender_id>/evaluation")
@staff_required
def evaluation(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    _close_if_due(tender)
    return _render_evaluation(tender_for(tender_id))


def _after(tender_id: int, message: Msg, anchor: str = "ranking") -> Any:
    flash_message(message)
    return redirect(url_for(".evaluation", tender_id=tender_id, _anchor=anchor), 303)


@bp.post("/staff/tenders/<int:tender_id>/evaluations")
@staff_required
def evaluate(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    bid_id = (request.form.get("bid_id") or "").strip()
    if not bid_id.isdigit():
        raise NotFound.on("bid_id", Msg("找不到该投标"))
    form = EvaluationForm(prefix=f"bid{bid_id}")
    with committed_or_refused() as outcome:
        evaluated = ops.evaluate_bid(
            tender,
            current_user,
            ops.EvaluationInput(
                bid_id=int(bid_id),
                result=form.result.data or None,
                score=form.score.data or None,
                reason=form.reason.data or "",
            ),
        )
    if (error := outcome.error) is not None:
        tender = tender_for(tender_id)
        if error.status == 422 and set(error.fields) <= {"result", "score", "reason"}:
            populate_errors(form, error)
            return _render_evaluation(tender, failed_evaluation=(int(bid_id), form), status=422)
        return _render_evaluation(tender, problem=error_text(error), status=error.status)
    return _after(
        tender_id,
        Msg("已记录投标 #%(id)d 的评审结果：%(status)s", id=evaluated.id, status=evaluated.status_label),
        anchor=f"bid-{evaluated.id}",
    )


@bp.post("/staff/tenders/<int:tender_id>/award")
@staff_required
def award(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    with committed_or_refused() as outcome:
        made = ops.award(tender, current_user, bid_id=request.form.get("bid_id"))
    if (error := outcome.error) is not None:
        return _render_evaluation(tender_for(tender_id), problem=error_text(error), status=error.status)
    return _after(
        tender_id,
        Msg("已确定成交：投标 #%(id)d；采购合同已发起，等待采购方与各成员签署", id=made.bid_id),
        anchor="award",
    )


@bp.post("/staff/tenders/<int:tender_id>/award/decline")
@staff_required
def decline_award(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    form = ReasonForm(prefix="decline")
    with committed_or_refused() as outcome:
        replacement = ops.decline_award(tender, current_user, reason=form.reason.data or "")
    if (error := outcome.error) is not None:
        tender = tender_for(tender_id)
        if error.status == 422 and set(error.fields) <= {"reason"}:
            populate_errors(form, error)
            return _render_evaluation(tender, failed_reason=("decline", form), status=422)
        return _render_evaluation(tender, problem=error_text(error), status=error.status)
    if replacement is not None:
        message = Msg("已记录中标人放弃签约；成交改授予排名其次的投标 #%(id)d", id=replacement.bid_id)
    else:
        message = Msg("已记录中标人放弃签约；没有其他有效投标，本次采购流标")
    return _after(tender_id, message, anchor="award")


@bp.post("/staff/tenders/<int:tender_id>/unsuccessful")
@staff_required
def declare_unsuccessful(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    form = ReasonForm(prefix="fail")
    with committed_or_refused() as outcome:
        ops.declare_unsuccessful(tender, current_user, reason=form.reason.data or "")
    if (error := outcome.error) is not None:
        tender = tender_for(tender_id)
        if error.status == 422 and set(error.fields) <= {"reason"}:
            populate_errors(form, error)
            return _render_evaluation(tender, failed_reason=("fail", form), status=422)
        return _render_evaluation(tender, problem=error_text(error), status=error.status)
    return _after(tender_id, Msg("已宣布流标"), anchor="award")


def _subcontract_of(bid_id: int, participant_id: int) -> tuple[Bid, BidParticipant]:
    found = ops.get_bid(bid_id)
    row = next((item for item in found.subcontractors if item.id == participant_id), None)
    if row is None:
        raise NotFound.on("subcontract_id", Msg("找不到该分包"))
    return found, row


@bp.post("/staff/bids/<int:bid_id>/subcontracts/<int:participant_id>/consent")
@staff_required
def subcontract_consent(bid_id: int, participant_id: int) -> Any:
    found, row = _subcontract_of(bid_id, participant_id)
    form = ConsentForm(prefix=f"sub{row.id}")
    choice = {"yes": True, "no": False}.get(form.consented.data or "")
    with committed_or_refused() as outcome:
        ops.record_subcontract_consent(
            found, current_user, subcontract_id=row.id, consented=choice, note=form.note.data or ""
        )
    if (error := outcome.error) is not None:
        tender = tender_for(found.tender_id)
        if error.status == 422 and set(error.fields) <= {"consented", "note"}:
            populate_errors(form, error)
            return _render_evaluation(tender, failed_consent=(row.id, form), status=422)
        return _render_evaluation(tender, problem=error_text(error), status=error.status)
    message = (
        Msg("已登记采购人同意%(org)s的分包", org=row.organization.name)
        if choice
        else Msg("已登记采购人不同意%(org)s的分包", org=row.organization.name)
    )
    return _after(found.tender_id, message, anchor="subcontracts")


@bp.post("/staff/bids/<int:bid_id>/subcontracts/<int:participant_id>/activate")
@staff_required
def activate_subcontract(bid_id: int, participant_id: int) -> Any:
    found, row = _subcontract_of(bid_id, participant_id)
    with committed_or_refused() as outcome:
        ops.activate_subcontract(found, current_user, subcontract_id=row.id)
    if (error := outcome.error) is not None:
        return _render_evaluation(tender_for(found.tender_id), problem=error_text(error), status=error.status)
    return _after(
        found.tender_id, Msg("%(org)s的分包已生效", org=row.organization.name), anchor="subcontracts"
    )
