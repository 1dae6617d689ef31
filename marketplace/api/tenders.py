"""Service-purchase tenders (政府购买服务) and bids: staff publish a tender for a buyer; an organization
prepares a bid alone, as a consortium or as prime contractor with subcontractors; the others confirm
their parts; the lead submits before the deadline; staff evaluate, rank and award after it; the award's
service contract is signed by the buyer (recorded by staff) and every supplier.

Every rule lives in ``marketplace.tenders.operations`` and the pure ``rules``; this module turns JSON
into their inputs and their results into JSON, and commits once. Amounts are integer fen; shares are
percentage strings with at most two decimals (``"60"``, ``"33.33"``), never JSON numbers; moments are
ISO 8601 *with* an offset (a time without one is ambiguous and refused); days are ``YYYY-MM-DD``.

A body with badly typed fields still goes through the operation, so that one 422 names every bad
field at once — the type problems found here and the rule violations found there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app, jsonify, request, url_for
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.api import bp, serializers
from marketplace.api.auth import api_login_required, current_api_user, require_api_user
from marketplace.api.input import (
    NOT_ALLOWED,
    JsonField,
    UnsupportedMediaType,
    field_problems,
    json_object,
    parse_day,
    query_integer,
    run_reporting_every_problem,
)
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.parties.models import Organization
from marketplace.tenders import ocds
from marketplace.tenders import operations as ops
from marketplace.tenders import partner_operations as partners
from marketplace.tenders.models import Bid, Tender
from marketplace.tenders.partners import MAX_LIMIT as PARTNERS_MAX_LIMIT
from marketplace.tenders.rules import BuyerKind
from marketplace.tenders.states import TenderStatus
from marketplace.timeutil import utcnow
from marketplace.uploads import DOCUMENT_REQUEST_LIMIT
from marketplace.web import allow_large_uploads

_FEN = Msg("金额必须是以分为单位的整数")
_ID = Msg("应为整数编号")
SHARE_MESSAGE = Msg('份额须是百分比字符串，如 "60" 或 "33.33"（不接受 JSON 数字）')
MOMENT_MESSAGE = Msg("时间须是 ISO 8601 格式并带时区偏移，如 2026-12-01T17:00:00+08:00")
OFFSET_MESSAGE = Msg("时间须写明时区偏移（如 +08:00 或 Z）：不带时区的时间含义不明确，API 不接受")

# A tender as staff type it. Booleans the law wants stated (allows_consortium, allows_subcontracting)
# are nullable here only so that null reaches the rule that names what is missing.
TENDER_FIELDS: Mapping[str, JsonField] = {
    "title": JsonField("string"),
    "description": JsonField("string"),
    "buyer_name": JsonField("string"),
    "buyer_kind": JsonField("string"),
    "buyer_uscc": JsonField("string", nullable=True),
    "category": JsonField("string"),
    "district": JsonField("string"),
    "budget": JsonField("integer", message=_FEN),
    "budget_is_cap": JsonField("boolean"),
    "method": JsonField("string"),
    "submission_deadline": JsonField("string", message=MOMENT_MESSAGE),
    "enquiry_ends_at": JsonField("string", nullable=True, message=MOMENT_MESSAGE),
    "expected_award_on": JsonField("date", nullable=True),
    "contract_starts_on": JsonField("date", nullable=True),
    "contract_ends_on": JsonField("date", nullable=True),
    "allows_consortium": JsonField("boolean", nullable=True),
    "max_members": JsonField("integer", nullable=True),
    "allows_subcontracting": JsonField("boolean", nullable=True),
    "max_subcontract_share": JsonField("string", nullable=True, message=SHARE_MESSAGE),
    "min_grade": JsonField("string", nullable=True),
    "grade_rule": JsonField("string", nullable=True),
    "grade_rule_basis": JsonField("string", nullable=True),
    "required_documents": JsonField("string_list", nullable=True),
    "notice_url": JsonField("string", nullable=True),
}
# The buyer is fixed once the tender exists.
TENDER_UPDATE_FIELDS: Mapping[str, JsonField] = {
    name: spec for name, spec in TENDER_FIELDS.items() if not name.startswith("buyer_")
}
TENDER_MOMENTS = ("submission_deadline", "enquiry_ends_at")
TENDER_DAYS = ("expected_award_on", "contract_starts_on", "contract_ends_on")
BID_FIELDS: Mapping[str, JsonField] = {
    "mode": JsonField("string"),
    "members": JsonField("object_list"),
    "subcontractors": JsonField("object_list"),
    "price": JsonField("integer", nullable=True, message=_FEN),
    "currency": JsonField("string"),
    "proposal": JsonField("string"),
}
MEMBER_FIELDS: Mapping[str, JsonField] = {
    "organization_id": JsonField("integer", message=_ID),
    "role": JsonField("string"),
    "share": JsonField("string", nullable=True, message=SHARE_MESSAGE),
    "scope": JsonField("string"),
}
SUBCONTRACT_FIELDS: Mapping[str, JsonField] = {
    "organization_id": JsonField("integer", message=_ID),
    "share": JsonField("string", nullable=True, message=SHARE_MESSAGE),
    "scope": JsonField("string"),
    "is_core_work": JsonField("boolean", nullable=True),
    "main_contractor_id": JsonField("integer", nullable=True, message=_ID),
}
BID_TRANSITION_FIELDS: Mapping[str, JsonField] = {"action": JsonField("string")}
REASON_FIELDS: Mapping[str, JsonField] = {"reason": JsonField("string")}
EVALUATION_FIELDS: Mapping[str, JsonField] = {
    "bid_id": JsonField("integer", message=_ID),
    "result": JsonField("string"),
    "score": JsonField("string", nullable=True, message=Msg('评分须是字符串，如 "88.5"')),
    "reason": JsonField("string", nullable=True),
}
AWARD_FIELDS: Mapping[str, JsonField] = {"bid_id": JsonField("integer", message=_ID)}
CONSENT_FIELDS: Mapping[str, JsonField] = {
    "consented": JsonField("boolean", nullable=True),
    "note": JsonField("string"),
}
INVITATION_FIELDS: Mapping[str, JsonField] = {
    "organization_id": JsonField("integer", message=_ID),
    "message": JsonField("string", nullable=True),
}
DOCUMENT_KINDS = ("proposal", "joint_agreement", "other")
PARTNERS_DEFAULT_LIMIT = 10


# ───────────── reading bodies ─────────────


def _body(fields: Mapping[str, JsonField]) -> tuple[dict[str, Any], dict[str, str]]:
    """The JSON object and the problems of its fields (unknown ones included); bad fields are
    dropped from the returned values, as if absent."""
    body = json_object()
    problems = field_problems(body, fields)
    return {name: value for name, value in body.items() if name not in problems}, problems


def _require(values: Mapping[str, Any], problems: dict[str, str], name: str, reason: Msg) -> None:
    if values.get(name) is None and name not in problems:
        problems[name] = reason


def parse_moment(value: str) -> datetime | Msg:
    """An ISO 8601 date-time with an offset, as naive UTC to the second; or why it is not one."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return MOMENT_MESSAGE
    if moment.tzinfo is None or moment.utcoffset() is None:
        return OFFSET_MESSAGE
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _tender_input(values: dict[str, Any], problems: dict[str, str]) -> ops.TenderInput:
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if name in TENDER_MOMENTS and value is not None:
            parsed = parse_moment(value)
            if isinstance(parsed, Msg):
                problems[name] = parsed
                continue
            value = parsed
        elif name in TENDER_DAYS and value is not None:
            value = parse_day(value)
        fields[name] = value
    return ops.TenderInput(**fields, provided=frozenset(fields))


def _lines(
    values: dict[str, Any], name: str, fields: Mapping[str, JsonField], problems: dict[str, str]
) -> list[dict[str, Any]] | None:
    """The items of a list of objects, each without its bad fields (their problems are recorded)."""
    if name not in values:
        return None
    items = []
    for index, item in enumerate(values[name]):
        found = field_problems(item, fields, prefix=f"{name}[{index}].")
        problems.update(found)
        items.append({key: value for key, value in item.items() if f"{name}[{index}].{key}" not in found})
    return items


def _bid_input(values: dict[str, Any], problems: dict[str, str]) -> ops.BidInput:
    members = _lines(values, "members", MEMBER_FIELDS, problems)
    subcontractors = _lines(values, "subcontractors", SUBCONTRACT_FIELDS, problems)
    return ops.BidInput(
        mode=values.get("mode"),
        members=None
        if members is None
        else [
            ops.MemberInput(
                organization_id=item.get("organization_id"),
                role=item.get("role") or "member",
                share=item.get("share"),
                scope=item.get("scope") or "",
            )
            for item in members
        ],
        subcontractors=None
        if subcontractors is None
        else [
            ops.SubcontractInput(
                organization_id=item.get("organization_id"),
                share=item.get("share"),
                scope=item.get("scope") or "",
                # Stated, not assumed: a subcontractor must be declared non-core work.
                is_core_work=item.get("is_core_work"),
                main_contractor_id=item.get("main_contractor_id"),
            )
            for item in subcontractors
        ],
        price=values.get("price"),
        currency=values.get("currency"),
        proposal=values.get("proposal"),
        provided=frozenset(name for name in ("price",) if name in values or name in problems),
    )


# ───────────── responses ─────────────


def _tender_response(tender: Tender, status: int = 200) -> Any:
    response = jsonify(serializers.tender(tender))
    response.status_code = status
    return response


def _bid_response(bid: Bid, status: int = 200) -> Any:
    response = jsonify(serializers.bid(bid))
    response.status_code = status
    return response


def _visible_tender(tender_id: int, user: User | None) -> Tender:
    tender = ops.get_tender(tender_id)
    ops.require_tender_viewer(tender, user)
    return tender


def _visible_bid(bid_id: int, user: User) -> Bid:
    bid = ops.get_bid(bid_id)
    ops.require_bid_viewer(bid, user)
    return bid


def _require_staff(user: User, reason: Msg) -> None:
    if not user.is_staff:
        raise Forbidden.on("actor", reason)


# ───────────── tenders ─────────────


@bp.post("/tenders")
@api_login_required
def create_tender_endpoint() -> Any:
    user = require_api_user()
    values, problems = _body(TENDER_FIELDS)
    data = _tender_input(values, problems)
    tender = run_reporting_every_problem(problems, lambda: ops.create_tender(user, data))
    db.session.commit()
    response = _tender_response(tender, 201)
    response.headers["Location"] = url_for("api.get_tender_endpoint", tender_id=tender.id)
    return response


@bp.get("/tenders")
def list_tenders_endpoint() -> Any:
    errors: dict[str, str] = {}
    status = request.args.get("status") or None
    if status is not None and status not in tuple(TenderStatus):
        errors["status"] = Msg("状态只能是 %(values)s 之一", values=", ".join(TenderStatus))
    buyer_kind = request.args.get("buyer_kind") or None
    if buyer_kind is not None and buyer_kind not in tuple(BuyerKind):
        errors["buyer_kind"] = Msg("采购人类型只能是 government（政府部门）或 foundation（基金会）")
    if errors:
        raise DomainError(errors)
    found = ops.list_tenders(
        current_api_user(),
        ops.TenderFilters(
            status=status,
            category=request.args.get("category") or None,
            district=request.args.get("district") or None,
            buyer_kind=buyer_kind,
        ),
    )
    return jsonify({"items": [serializers.tender(item) for item in found]})


@bp.get("/tenders/<int:tender_id>")
def get_tender_endpoint(tender_id: int) -> Any:
    return _tender_response(_visible_tender(tender_id, current_api_user()))


@bp.patch("/tenders/<int:tender_id>")
@api_login_required
def update_tender_endpoint(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    values, problems = _body(TENDER_UPDATE_FIELDS)
    data = _tender_input(values, problems)
    run_reporting_every_problem(problems, lambda: ops.update_tender(tender, user, data))
    db.session.commit()
    return _tender_response(tender)


@bp.post("/tenders/<int:tender_id>/cancel")
@api_login_required
def cancel_tender_endpoint(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    values, problems = _body(REASON_FIELDS)
    run_reporting_every_problem(
        problems, lambda: ops.cancel_tender(tender, user, reason=values.get("reason") or "")
    )
    db.session.commit()
    return _tender_response(tender)


@bp.get("/tenders/<int:tender_id>/ocds")
def tender_ocds(tender_id: int) -> Any:
    """The tender as an OCDS 1.1 release package (bids stay sealed until the deadline)."""
    tender = _visible_tender(tender_id, current_api_user())
    package = ocds.release_package(
        tender, published=utcnow(), uri=request.base_url, base_url=request.url_root.rstrip("/")
    )
    return jsonify(package)


# ───────────── bids ─────────────


@bp.post("/tenders/<int:tender_id>/bids")
@api_login_required
def create_bid_endpoint(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    values, problems = _body(BID_FIELDS)
    data = _bid_input(values, problems)
    bid = run_reporting_every_problem(problems, lambda: ops.create_bid(tender, user, data))
    db.session.commit()
    response = _bid_response(bid, 201)
    response.headers["Location"] = url_for("api.get_bid_endpoint", bid_id=bid.id)
    return response


@bp.get("/bids")
@api_login_required
def list_bids_endpoint() -> Any:
    user = require_api_user()
    errors: dict[str, str] = {}
    tender_id = query_integer(request.args, "tender_id", errors)
    if errors:
        raise DomainError(errors)
    if not user.is_staff and user.role != Role.ORG:
        raise Forbidden.on("bids", Msg("只有社会组织的成员和团区委工作人员可以查看投标"))
    if user.is_staff:
        query = select(Bid).order_by(Bid.id.desc())
        if tender_id is not None:
            query = query.where(Bid.tender_id == tender_id)
        found = list(db.session.scalars(query))
    else:
        found = [bid for bid in ops.my_bids(user) if tender_id is None or bid.tender_id == tender_id]
    return jsonify({"items": [serializers.bid(item) for item in found]})


@bp.get("/bids/<int:bid_id>")
@api_login_required
def get_bid_endpoint(bid_id: int) -> Any:
    return _bid_response(_visible_bid(bid_id, require_api_user()))


@bp.patch("/bids/<int:bid_id>")
@api_login_required
def update_bid_endpoint(bid_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    values, problems = _body(BID_FIELDS)
    data = _bid_input(values, problems)
    run_reporting_every_problem(problems, lambda: ops.update_bid(bid, user, data))
    db.session.commit()
    return _bid_response(bid)


@bp.post("/bids/<int:bid_id>/transitions")
@api_login_required
def transition_bid_endpoint(bid_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    values, problems = _body(BID_TRANSITION_FIELDS)
    if problems:
        raise DomainError(problems)
    if "action" not in values:
        raise DomainError.on("action", Msg("请填写操作：confirm、submit 或 withdraw"))
    ops.bid_transition(bid, user, values["action"])
    db.session.commit()
    return _bid_response(bid)


allow_large_uploads(bp, {"api.add_bid_document"}, DOCUMENT_REQUEST_LIMIT)


@bp.post("/bids/<int:bid_id>/documents")
@api_login_required
def add_bid_document(bid_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    # Who before what: a caller who may never upload is told so, not what the form lacks.
    if not ops.is_lead_member(bid, user):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以上传投标材料"))
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(message=Msg("请以 multipart/form-data 上传材料（字段 kind、title、file）"))
    problems: dict[str, str] = {}
    for name in request.form:
        if name not in ("kind", "title"):
            problems[name] = NOT_ALLOWED
    kind = request.form.get("kind") or ""
    if kind not in DOCUMENT_KINDS:
        problems["kind"] = Msg("材料类型只能是 proposal、joint_agreement 或 other")
    upload = request.files.get("file")
    if upload is None:
        problems["file"] = Msg("请选择要上传的文件（PDF 或图片）")
    if problems:
        raise DomainError(problems)
    assert upload is not None
    document = ops.add_document(
        bid,
        user,
        kind=kind,
        title=request.form.get("title") or "",
        data=upload.read(),
        directory=Path(current_app.config["UPLOAD_DIR"]),
    )
    db.session.commit()
    response = jsonify(serializers.bid_document(document))
    response.status_code = 201
    return response


@bp.delete("/bids/<int:bid_id>/documents/<int:document_id>")
@api_login_required
def remove_bid_document(bid_id: int, document_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    ops.remove_document(bid, user, document_id)
    db.session.commit()
    return _bid_response(bid)


# ───────────── evaluation and award (staff, after the deadline) ─────────────


@bp.post("/tenders/<int:tender_id>/evaluations")
@api_login_required
def evaluate_bid_endpoint(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    _require_staff(user, Msg("只有团区委工作人员可以记录评审结果"))
    values, problems = _body(EVALUATION_FIELDS)
    _require(values, problems, "bid_id", Msg("请选择要评审的投标（bid_id）"))
    if "bid_id" in problems:
        raise DomainError(problems)
    data = ops.EvaluationInput(
        bid_id=values.get("bid_id"),
        result=values.get("result"),
        score=values.get("score"),
        reason=values.get("reason"),
    )
    bid = run_reporting_every_problem(problems, lambda: ops.evaluate_bid(tender, user, data))
    db.session.commit()
    return _bid_response(bid)


@bp.get("/tenders/<int:tender_id>/ranking")
@api_login_required
def tender_ranking(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    _require_staff(user, Msg("只有团区委工作人员可以查看评审排名"))
    return jsonify({"items": [serializers.ranked_bid(item) for item in ops.ranking(tender)]})


@bp.post("/tenders/<int:tender_id>/award")
@api_login_required
def award_tender(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    _require_staff(user, Msg("只有团区委工作人员可以记录成交结果"))
    values, problems = _body(AWARD_FIELDS)
    _require(values, problems, "bid_id", Msg("请选择成交的投标（bid_id）"))
    if problems:
        raise DomainError(problems)
    award = ops.award(tender, user, bid_id=values["bid_id"])
    db.session.commit()
    response = jsonify(serializers.tender_award(award))
    response.status_code = 201
    return response


@bp.post("/tenders/<int:tender_id>/award/decline")
@api_login_required
def decline_tender_award(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    values, problems = _body(REASON_FIELDS)
    award = run_reporting_every_problem(
        problems, lambda: ops.decline_award(tender, user, reason=values.get("reason") or "")
    )
    db.session.commit()
    return jsonify(
        {
            "award": serializers.tender_award(award) if award is not None else None,
            "tender_status": tender.status,
        }
    )


@bp.post("/tenders/<int:tender_id>/unsuccessful")
@api_login_required
def declare_tender_unsuccessful(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    values, problems = _body(REASON_FIELDS)
    run_reporting_every_problem(
        problems, lambda: ops.declare_unsuccessful(tender, user, reason=values.get("reason") or "")
    )
    db.session.commit()
    return _tender_response(tender)


@bp.post("/bids/<int:bid_id>/subcontracts/<int:subcontract_id>/consent")
@api_login_required
def consent_to_subcontract(bid_id: int, subcontract_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    values, problems = _body(CONSENT_FIELDS)
    run_reporting_every_problem(
        problems,
        lambda: ops.record_subcontract_consent(
            bid,
            user,
            subcontract_id=subcontract_id,
            consented=values.get("consented"),
            note=values.get("note") or "",
        ),
    )
    db.session.commit()
    return _bid_response(bid)


@bp.post("/bids/<int:bid_id>/subcontracts/<int:subcontract_id>/activate")
@api_login_required
def activate_subcontract_endpoint(bid_id: int, subcontract_id: int) -> Any:
    user = require_api_user()
    bid = _visible_bid(bid_id, user)
    ops.activate_subcontract(bid, user, subcontract_id=subcontract_id)
    db.session.commit()
    return _bid_response(bid)


# ───────────── the consortium partner finder ─────────────


def _lead_organization(user: User) -> Organization:
    """The organization the caller looks for partners for: its own, or (staff) any named one."""
    errors: dict[str, str] = {}
    organization_id = query_integer(request.args, "organization_id", errors)
    if errors:
        raise DomainError(errors)
    if organization_id is None:
        organization_id = user.organization_id
    if organization_id is None and not user.is_staff:
        raise Forbidden.on("organization", Msg("只有该组织的成员和团区委工作人员可以查看联合体伙伴推荐"))
    if organization_id is None:
        raise DomainError.on("organization_id", Msg("请指定牵头组织（organization_id）"))
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound.on("organization_id", Msg("找不到该社会组织"))
    partners.require_partner_finder(organization, user)
    return organization


@bp.get("/tenders/<int:tender_id>/partners")
@api_login_required
def tender_partners(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    errors: dict[str, str] = {}
    limit = query_integer(
        request.args, "limit", errors, default=PARTNERS_DEFAULT_LIMIT, maximum=PARTNERS_MAX_LIMIT
    )
    lead = _lead_organization(user)
    if errors:
        raise DomainError(errors)
    assert limit is not None
    found = partners.suggest_partners(tender, lead, limit=limit)
    return jsonify({"items": [serializers.partner_suggestion(item) for item in found]})


@bp.post("/tenders/<int:tender_id>/invitations")
@api_login_required
def invite_tender_partner(tender_id: int) -> Any:
    user = require_api_user()
    tender = _visible_tender(tender_id, user)
    ops.member_organization(user, Msg("只有社会组织的成员可以邀请联合体伙伴"))  # who before what
    values, problems = _body(INVITATION_FIELDS)
    _require(values, problems, "organization_id", Msg("请选择要邀请的社会组织（organization_id）"))
    if problems:
        raise DomainError(problems)
    invitation = partners.invite_partner(
        tender, user, values["organization_id"], message=values.get("message") or ""
    )
    db.session.commit()
    response = jsonify(serializers.consortium_invitation(invitation))
    response.status_code = 201
    return response
