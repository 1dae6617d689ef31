"""The bid pages of organizations: "我的投标", the bid builder (mode, members and shares with the live
100 % meter, subcontractors, price, proposal), the bid's own page (composition, who confirmed this
revision, documents, submit / withdraw before the deadline, the evaluation result), and the consortium
invitations the partner finder sends. Every change is one call into ``tenders.operations`` (or
``partner_operations``); a refusal comes back next to its input."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.authz import login_required_any, org_required
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.forms import committed_or_refused
from marketplace.messages import Msg
from marketplace.parties.models import Organization, VerificationStatus
from marketplace.tenders import operations as ops
from marketplace.tenders import rules
from marketplace.tenders.forms import (
    BidForm,
    BidRead,
    DocumentForm,
    InviteForm,
    MemberRow,
    SubcontractRow,
    error_summary,
    place_bid_errors,
)
from marketplace.tenders.models import Bid, BidParticipant, ConsortiumInvitation, Tender
from marketplace.tenders.states import EDITABLE_BID, BidStatus
from marketplace.tenders.views import (
    accepts_bids,
    bp,
    deadline_left,
    error_text,
    flash_message,
    partner_panel,
    tender_for,
    tender_rules,
)
from marketplace.uploads import (
    DOCUMENT_REQUEST_LIMIT,
    MAX_PDF_BYTES,
    STORED_CONTENT_TYPES,
    is_safe_stored_name,
)
from marketplace.web import allow_large_uploads, translate

SELECT_LIMIT = 1000


def bid_for(bid_id: int) -> Bid:
    """The bid if the caller is one of its organizations or staff; 403 for everyone else (the
    operation words the refusal)."""
    bid = ops.get_bid(bid_id)
    ops.require_bid_viewer(bid, current_user)
    return bid


# ───────────── 我的投标 ─────────────


@dataclass(frozen=True)
class MyBidRow:
    bid: Bid
    participant: BidParticipant | None
    is_lead: bool
    awaiting: Msg | None  # what the bid waits for from this organization, if anything
    mine_first: bool  # "待我确认": shown first


def _awaiting(bid: Bid, participant: BidParticipant | None, is_lead: bool) -> tuple[Msg | None, bool]:
    open_now = accepts_bids(bid.tender) and bid.status in EDITABLE_BID
    if open_now and participant is not None and not is_lead and not participant.is_confirmed:
        return Msg("待我确认分工"), True
    if open_now and is_lead and bid.status in (BidStatus.DRAFT, BidStatus.INVALID):
        waiting = ops.unconfirmed(bid)
        if waiting:
            return Msg("等待 %(n)d 家确认分工", n=len(waiting)), False
        return Msg("各方已确认，可以提交"), False
    award = bid.tender.current_award
    if (
        bid.status == BidStatus.AWARDED
        and award is not None
        and award.bid_id == bid.id
        and not award.contract_signed
        and participant is not None
        and participant.kind == "member"
    ):
        return Msg("中标：请签署采购合同"), True
    return None, False


@bp.get("/bids")
@org_required
def my_bids() -> Any:
    rows = []
    for bid in ops.my_bids(current_user):
        participant = ops.participant_of(bid, current_user)
        is_lead = ops.is_lead_member(bid, current_user)
        awaiting, first = _awaiting(bid, participant, is_lead)
        rows.append(MyBidRow(bid, participant, is_lead, awaiting, first))
    rows.sort(key=lambda row: (not row.mine_first, row.awaiting is None, -row.bid.id))
    from marketplace.tenders import partner_operations as partners

    invitations = partners.invitations_for(current_user.organization_id)
    return render_template(
        "tenders/my_bids.html",
        rows=rows,
        pending=[item for item in invitations if item.status == "pending"],
        answered=[item for item in invitations if item.status != "pending"],
        deadline_left=deadline_left,
    )


# ───────────── the bid builder ─────────────


def _organization_choices(lead_id: int, chosen: set[int]) -> list[tuple[str, str]]:
    """Verified organizations other than the lead (league bodies broker, they never bid), plus any
    organization the bid already names."""
    organizations = list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.verification_status == VerificationStatus.VERIFIED,
                Organization.is_league_body.is_(False),
                Organization.id != lead_id,
            )
            .order_by(Organization.name, Organization.id)
            .limit(SELECT_LIMIT)
        )
    )
    missing = chosen - {item.id for item in organizations} - {lead_id}
    if missing:
        organizations += list(db.session.scalars(select(Organization).where(Organization.id.in_(missing))))
    return [(str(item.id), _organization_label(item)) for item in organizations]


def _organization_label(organization: Organization) -> str:
    details = [organization.district]
    if organization.grade:
        details.append(rules.grade_label(organization.grade))
    return f"{organization.name}（{' · '.join(details)}）"


def _chosen_ids(form: BidForm) -> set[int]:
    found = set()
    for row in (*form.members, *form.subcontractors):
        text = str(row.form.organization_id.data or "")
        if text.isdigit():
            found.add(int(text))
    return found


def _blank_rows(choices: list[tuple[str, str]]) -> tuple[MemberRow, SubcontractRow]:
    """The rows ``tenders.js`` copies when a member or a subcontract is added (``__index__`` is
    replaced by the new row's number)."""
    options = [("", translate(Msg("— 请选择社会组织 —"))), *choices]
    member = MemberRow(formdata=None, prefix="members-__index__-")
    member.organization_id.choices = options
    subcontract = SubcontractRow(formdata=None, prefix="subcontractors-__index__-")
    subcontract.organization_id.choices = options
    return member, subcontract


def _render_builder(tender: Tender, form: BidForm, bid: Bid | None, status: int = 200) -> Any:
    lead = current_user.organization
    choices = _organization_choices(lead.id, _chosen_ids(form))
    form.set_organizations(choices)
    blank_member, blank_subcontract = _blank_rows(choices)
    total = form.share_total()
    return (
        render_template(
            "tenders/bid_form.html",
            tender=tender,
            bid=bid,
            form=form,
            lead=lead,
            rules_text=tender_rules(tender),
            deadline_text=deadline_left(tender.submission_deadline),
            share_total=total,
            share_exact=total == "100",
            blank_member=blank_member,
            blank_subcontract=blank_subcontract,
            partners=partner_panel(tender, current_user),
            submitted_before=bid is not None and bid.submitted_at is not None,
            summary=error_summary(form),
            subcontract_cap=(
                rules.format_share(tender.max_subcontract_share)
                if tender.max_subcontract_share is not None
                else None
            ),
        ),
        status,
    )


def _change_rows(form: BidForm, action: str) -> bool:
    """Adding or removing a row without JavaScript: the form comes back with the row changed and
    nothing saved. True when ``action`` was such a change."""
    if action == "add_member":
        form.members.append_entry()
        return True
    if action == "add_subcontractor":
        form.subcontractors.append_entry()
        return True
    kind, _, number = action.partition("-")
    if not number.isdigit():
        return False
    position = int(number)
    if kind == "remove_member" and 0 < position < len(form.members.entries):
        form.members.entries.pop(position)
        return True
    if kind == "remove_subcontractor" and 0 <= position < len(form.subcontractors.entries):
        form.subcontractors.entries.pop(position)
        return True
    return False


def _refused(form: BidForm, read: BidRead, error: DomainError) -> None:
    """Show the operation's reasons (and the fields that could not be read) on the builder."""
    problems = {} if error.fields == read.unreadable else dict(error.fields)
    for path in read.unreadable:
        problems.pop(path, None)
    place_bid_errors(form, read.unreadable, read, row_paths=True)
    place_bid_errors(form, problems, read)
    if not error.fields:
        form.form_errors.append(translate(error.message))


def _save_bid(tender: Tender, form: BidForm, bid: Bid | None) -> Any:
    action = (request.form.get("rows") or "").strip()
    if action and _change_rows(form, action):
        form.ensure_rows()
        return _render_builder(tender, form, bid)
    read = form.to_input(current_user.organization_id)
    with committed_or_refused() as outcome:
        if bid is None:
            saved = ops.create_bid(tender, current_user, read.data)
        else:
            saved = ops.update_bid(bid, current_user, read.data)
        if read.unreadable:
            raise DomainError(read.unreadable)
    if (error := outcome.error) is not None:
        tender = tender_for(tender.id)
        bid = ops.get_bid(bid.id) if bid is not None else None
        if error.status == 422:
            _refused(form, read, error)
        else:
            form.form_errors.append(error_text(error))
        form.ensure_rows()
        return _render_builder(tender, form, bid, error.status)
    if saved.status == BidStatus.INVALID:
        flash_message(Msg("投标已修改，需各方重新确认分工后由牵头方重新提交"), "warning")
    elif ops.unconfirmed(saved):
        flash_message(Msg("投标草稿已保存，已通知各方确认分工"))
    else:
        flash_message(Msg("投标草稿已保存；请上传材料，核对无误后提交"))
    return redirect(url_for(".bid", bid_id=saved.id), 303)


@bp.route("/tenders/<int:tender_id>/bids/new", methods=["GET", "POST"])
@org_required
def new_bid(tender_id: int) -> Any:
    tender = tender_for(tender_id)
    form = BidForm()
    if request.method == "POST":
        return _save_bid(tender, form, None)
    existing = next(
        (
            bid
            for bid in tender.bids
            if bid.lead_organization_id == current_user.organization_id and bid.is_live
        ),
        None,
    )
    if existing is not None:
        flash_message(Msg("本组织在该采购项目已有一份投标，请在原投标上修改"), "info")
        return redirect(url_for(".bid", bid_id=existing.id))
    if not accepts_bids(tender):
        flash_message(Msg("该采购项目当前不接受投标"), "warning")
        return redirect(url_for(".detail", tender_id=tender.id))
    form.mode.data = rules.BidMode.SINGLE.value
    form.ensure_rows()
    form.members.entries[0].form.share.data = "100"
    return _render_builder(tender, form, None)


@bp.route("/bids/<int:bid_id>/edit", methods=["GET", "POST"])
@org_required
def edit_bid(bid_id: int) -> Any:
    bid = bid_for(bid_id)
    if not ops.is_lead_member(bid, current_user):
        raise Forbidden.on("bid", Msg("只有牵头方的成员可以修改投标"))
    form = BidForm()
    if request.method == "POST":
        return _save_bid(bid.tender, form, bid)
    if bid.status not in EDITABLE_BID or not accepts_bids(bid.tender):
        flash_message(Msg("投标当前为「%(status)s」，不能再修改", status=bid.status_label), "warning")
        return redirect(url_for(".bid", bid_id=bid.id))
    form.fill_from(bid)
    return _render_builder(bid.tender, form, bid)


# ───────────── the bid page ─────────────


@dataclass(frozen=True)
class BidPage:
    is_lead: bool
    me: BidParticipant | None
    can_edit: bool
    can_confirm: bool
    can_submit: bool
    can_withdraw: bool
    waiting: list[BidParticipant]


def _page_state(bid: Bid) -> BidPage:
    is_lead = ops.is_lead_member(bid, current_user)
    me = ops.participant_of(bid, current_user)
    open_now = accepts_bids(bid.tender)
    editable = open_now and bid.status in EDITABLE_BID
    return BidPage(
        is_lead=is_lead,
        me=me,
        can_edit=is_lead and editable,
        can_confirm=editable and me is not None and not is_lead and not me.is_confirmed,
        can_submit=is_lead and open_now and bid.status in (BidStatus.DRAFT, BidStatus.INVALID),
        can_withdraw=is_lead and editable,
        waiting=ops.unconfirmed(bid),
    )


def _render_bid(
    bid: Bid,
    *,
    document_form: DocumentForm | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Any:
    tender = bid.tender
    award = tender.current_award if bid.status == BidStatus.AWARDED else None
    has_joint_agreement = any(item.kind == "joint_agreement" for item in bid.documents)
    if document_form is None:
        document_form = DocumentForm(formdata=None)
        if bid.mode == rules.BidMode.CONSORTIUM and not has_joint_agreement:
            document_form.kind.data = "joint_agreement"  # what the consortium still needs
    return (
        render_template(
            "tenders/bid.html",
            bid=bid,
            tender=tender,
            state=_page_state(bid),
            document_form=document_form,
            problems=problems or [],
            deadline_text=deadline_left(tender.submission_deadline),
            award=award if award is not None and award.bid_id == bid.id else None,
            is_consortium=bid.mode == rules.BidMode.CONSORTIUM,
            has_joint_agreement=has_joint_agreement,
        ),
        status,
    )


@bp.get("/bids/<int:bid_id>")
@login_required_any
def bid(bid_id: int) -> Any:
    return _render_bid(bid_for(bid_id))


DONE = {
    "confirm": Msg("已确认我方分工，牵头方会收到通知"),
    "submit": Msg("投标已提交。截止前仍可撤回；修改会使投标需要各方重新确认"),
    "withdraw": Msg("投标已撤回"),
}


def _transition(bid_id: int, action: str) -> Any:
    found = bid_for(bid_id)
    with committed_or_refused() as outcome:
        ops.bid_transition(found, current_user, action)
    if (error := outcome.error) is not None:
        found = bid_for(bid_id)
        reasons = [translate(reason) for reason in error.fields.values()] or [translate(error.message)]
        return _render_bid(found, problems=list(dict.fromkeys(reasons)), status=error.status)
    flash_message(DONE[action])
    return redirect(url_for(".bid", bid_id=bid_id), 303)


@bp.post("/bids/<int:bid_id>/confirm")
@org_required
def confirm(bid_id: int) -> Any:
    return _transition(bid_id, "confirm")


@bp.post("/bids/<int:bid_id>/submit")
@org_required
def submit(bid_id: int) -> Any:
    return _transition(bid_id, "submit")


@bp.post("/bids/<int:bid_id>/withdraw")
@org_required
def withdraw(bid_id: int) -> Any:
    return _transition(bid_id, "withdraw")


# ───────────── documents ─────────────


allow_large_uploads(bp, {"tenders.upload_document"}, DOCUMENT_REQUEST_LIMIT)


@bp.post("/bids/<int:bid_id>/documents")
@org_required
def upload_document(bid_id: int) -> Any:
    found = bid_for(bid_id)
    form = DocumentForm()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.file.errors = [translate(Msg("请选择要上传的文件"))]
        return _render_bid(found, document_form=form, status=422)
    # One byte over the limit is enough to refuse; the store checks the size and the content.
    data = upload.read(MAX_PDF_BYTES + 1)
    with committed_or_refused() as outcome:
        ops.add_document(
            found,
            current_user,
            kind=form.kind.data or "",
            title=form.title.data or "",
            data=data,
            directory=Path(current_app.config["UPLOAD_DIR"]),
        )
    if (error := outcome.error) is not None:
        found = bid_for(bid_id)
        if error.status == 422:
            for name, reason in error.fields.items():
                target = getattr(form, name, None) if name in ("kind", "title", "file") else form.file
                target.errors = [*list(target.errors or []), translate(reason)]
            return _render_bid(found, document_form=form, status=422)
        return _render_bid(found, problems=[error_text(error)], status=error.status)
    if found.status == BidStatus.INVALID:
        flash_message(Msg("材料已上传；投标已变为待重新确认，请各方重新确认后重新提交"), "warning")
    else:
        flash_message(Msg("材料已上传"))
    return redirect(url_for(".bid", bid_id=bid_id, _anchor="documents"), 303)


def _document(found: Bid, document_id: int) -> Any:
    document = next((item for item in found.documents if item.id == document_id), None)
    if document is None:
        raise NotFound.on("document", Msg("找不到该材料"))
    return document


@bp.get("/bids/<int:bid_id>/documents/<int:document_id>")
@login_required_any
def document(bid_id: int, document_id: int) -> Any:
    """A bid's file, for its organizations and staff only (never the public uploads route: bids
    are confidential), always as a download."""
    found = bid_for(bid_id)
    item = _document(found, document_id)
    if not is_safe_stored_name(item.stored_name):
        raise NotFound.on("document", Msg("找不到该材料"))
    extension = item.stored_name.rsplit(".", 1)[1]
    path = Path(current_app.config["UPLOAD_DIR"]) / item.stored_name
    if not path.is_file():
        raise NotFound.on("document", Msg("找不到该材料的文件"))
    # Read whole (bid files are at most 10 MB): no file handle is left open after the response.
    response = send_file(
        BytesIO(path.read_bytes()),
        mimetype=STORED_CONTENT_TYPES[extension],
        as_attachment=True,
        download_name=f"{item.title}.{extension}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.post("/bids/<int:bid_id>/documents/<int:document_id>/delete")
@org_required
def delete_document(bid_id: int, document_id: int) -> Any:
    found = bid_for(bid_id)
    with committed_or_refused() as outcome:
        ops.remove_document(found, current_user, document_id)
    if (error := outcome.error) is not None:
        return _render_bid(bid_for(bid_id), problems=[error_text(error)], status=error.status)
    flash_message(Msg("材料已删除"))
    return redirect(url_for(".bid", bid_id=bid_id, _anchor="documents"), 303)


# ───────────── consortium invitations (the partner finder) ─────────────


def _back_to(default: str) -> str:
    """Where the invitation form came from (the tender page or the bid builder): a path on this site."""
    target = (request.form.get("next") or "").strip()
    if target.startswith(("/tenders/", "/bids/")) and "//" not in target and "\\" not in target:
        return target
    return default


@bp.post("/tenders/<int:tender_id>/invitations")
@org_required
def invite(tender_id: int) -> Any:
    from marketplace.tenders import partner_operations as partners

    tender = tender_for(tender_id)
    form = InviteForm()
    organization_id = form.organization_id.data or ""
    if not organization_id.isdigit():
        raise NotFound.on("organization_id", Msg("找不到该社会组织"))
    with committed_or_refused() as outcome:
        invitation = partners.invite_partner(
            tender, current_user, int(organization_id), message=form.message.data or ""
        )
    back = _back_to(url_for(".detail", tender_id=tender.id, _anchor="partners"))
    if (error := outcome.error) is not None:
        flash_message(Msg("没有发出邀请：%(reason)s", reason=error_text(error)), "error")
        return redirect(back, 303)
    flash_message(Msg("已向%(org)s发出组队邀请，对方会收到通知", org=invitation.organization.name))
    return redirect(back, 303)


@bp.post("/invitations/<int:invitation_id>/respond")
@org_required
def respond(invitation_id: int) -> Any:
    from marketplace.tenders import partner_operations as partners

    invitation = db.session.get(ConsortiumInvitation, invitation_id)
    if invitation is None or invitation.organization_id != current_user.organization_id:
        raise NotFound.on("invitation", Msg("找不到该邀请"))
    accept = request.form.get("decision") == "accept"
    with committed_or_refused() as outcome:
        partners.respond_to_invitation(invitation, current_user, accept)
    if (error := outcome.error) is not None:
        flash_message(Msg("操作没有完成：%(reason)s", reason=error_text(error)), "error")
    elif accept:
        flash_message(
            Msg(
                "已接受%(lead)s的组队邀请；对方把贵组织列入投标后，请在“我的投标”中确认分工",
                lead=invitation.lead_organization.name,
            )
        )
    else:
        flash_message(Msg("已婉拒%(lead)s的组队邀请", lead=invitation.lead_organization.name))
    return redirect(url_for(".my_bids"), 303)
