"""The agreement's own page: the parties and their signers, the witness, the state path, the versions
in force and in play with their signatures, committed vs received money with the scheduled pledges,
the negotiation thread, the versions, the audit trail; and its small forms (actions, comments,
naming a signer), each a call into ``agreements.operations``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, StringField

from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.forms import (
    CommentForm,
    MarkRequired,
    SignerForm,
    TransitionForm,
)
from marketplace.agreements.models import Agreement, AgreementParty, AgreementVersion
from marketplace.agreements.states import (
    LIVE,
    OPEN_FOR_TERMS,
    STATUS_LABELS,
    AgreementAction,
    AgreementStatus,
    VersionStatus,
    allowed_actions,
)
from marketplace.agreements.views import (
    agreement_for,
    bp,
    error_text,
    flash_message,
    may_sign,
    viewer_party,
)
from marketplace.authz import login_required_any, staff_required
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.forms import committed_or_refused, populate_errors, strip_filter
from marketplace.messages import Msg
from marketplace.parties.queries import party_members
from marketplace.web import translate

AUDIT_LABELS: dict[str, Msg] = {
    "agreement.created": Msg("发起协议"),
    "agreement.version_created": Msg("起草新版本"),
    "agreement.version_edited": Msg("修改条款草稿"),
    "agreement.version_discarded": Msg("撤回草稿"),
    "agreement.proposed": Msg("提交签署"),
    "agreement.signed": Msg("签署"),
    "agreement.declined": Msg("拒绝签署"),
    "agreement.changes_requested": Msg("要求修改"),
    "agreement.activated": Msg("协议生效"),
    "agreement.terminated": Msg("终止协议"),
    "agreement.cancelled": Msg("取消协议"),
    "agreement.commented": Msg("协商留言"),
    "agreement.signer_set": Msg("指定授权签署人"),
    "agreement.broker_set": Msg("更换见证方"),
    "agreement.signature_reminder": Msg("签署提醒"),
    "agreement.renewal_reminder": Msg("续约提醒"),
    "agreement.expired": Msg("协议到期"),
    "agreement.renewed": Msg("自动续期"),
}
DONE_MESSAGES: dict[AgreementAction, Msg] = {
    AgreementAction.PROPOSE: Msg("已提交签署，各签约方的授权签署人会收到通知"),
    AgreementAction.REQUEST_CHANGES: Msg("已要求修改：该版本已撤回，请起草新版本"),
    AgreementAction.DECLINE: Msg("已拒绝签署，理由已记入协商记录"),
    AgreementAction.TERMINATE: Msg("协议已终止，尚未到账的拨付已取消"),
    AgreementAction.CANCEL: Msg("协议已取消"),
    AgreementAction.SIGN: Msg("已签署，等待其他签约方签署"),
}
# The main road of an agreement, drawn as a path on the detail page.
STATE_PATH = (
    AgreementStatus.DRAFT,
    AgreementStatus.NEGOTIATING,
    AgreementStatus.PENDING_SIGNATURE,
    AgreementStatus.ACTIVE,
)
COMMENT_KIND_LABELS = {
    "comment": Msg("留言"),
    "request_changes": Msg("要求修改"),
    "decline": Msg("拒绝签署"),
}


# ───────────── the detail page ─────────────


@dataclass(frozen=True)
class ActionButton:
    action: str
    label: Msg
    needs_reason: bool
    version_id: int | None
    danger: bool = False
    confirm: Msg | None = None


@dataclass(frozen=True)
class ThreadGroup:
    version: AgreementVersion | None
    comments: list[Any]


@dataclass(frozen=True)
class EventLine:
    action: str
    actor: str
    acting_for: str
    created_at: Any
    hash: str


def _actions(agreement: Agreement) -> list[ActionButton]:
    """The actions the transition table allows now, for the version in play."""
    legal = allowed_actions(AgreementStatus(agreement.status))
    pending = agreement.pending_version
    buttons: list[ActionButton] = []
    if pending is not None and pending.status == VersionStatus.DRAFT and AgreementAction.PROPOSE in legal:
        buttons.append(
            ActionButton(
                AgreementAction.PROPOSE.value,
                Msg("提交第 %(no)d 版签署", no=pending.version_no),
                False,
                pending.id,
                confirm=Msg("提交后该版本的条款不能再修改，确定提交签署吗？"),
            )
        )
    if pending is not None and pending.status == VersionStatus.PROPOSED:
        if AgreementAction.REQUEST_CHANGES in legal:
            buttons.append(
                ActionButton(AgreementAction.REQUEST_CHANGES.value, Msg("要求修改"), True, pending.id)
            )
        if AgreementAction.DECLINE in legal and may_sign(agreement, pending):
            buttons.append(
                ActionButton(AgreementAction.DECLINE.value, Msg("拒绝签署"), True, pending.id, danger=True)
            )
    if AgreementAction.TERMINATE in legal:
        buttons.append(
            ActionButton(AgreementAction.TERMINATE.value, Msg("终止协议"), True, None, danger=True)
        )
    if AgreementAction.CANCEL in legal:
        buttons.append(ActionButton(AgreementAction.CANCEL.value, Msg("取消协议"), True, None, danger=True))
    return buttons


def _thread(agreement: Agreement) -> list[ThreadGroup]:
    by_version: dict[int | None, list[Any]] = {}
    for comment in ops.comments(agreement):
        by_version.setdefault(comment.version_id, []).append(comment)
    groups = [
        ThreadGroup(version, by_version.pop(version.id))
        for version in agreement.versions
        if version.id in by_version
    ]
    if None in by_version:
        groups.insert(0, ThreadGroup(None, by_version[None]))
    return groups


def _acting_for_label(agreement: Agreement, value: str | None) -> str:
    if not value or value == "system":
        return translate(Msg("系统"))
    if value == "staff":
        return translate(Msg("团区委（见证方）"))
    kind, _, number = value.partition(":")
    for party in agreement.parties:
        if (kind == "company" and str(party.company_id) == number) or (
            kind == "organization" and str(party.organization_id) == number
        ):
            return party.display_name
    return value


def _events(agreement: Agreement) -> list[EventLine]:
    events = ops.events(agreement)
    actor_ids = {event.actor_id for event in events if event.actor_id}
    names = (
        {
            row.id: row.name
            for row in db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids)))
        }
        if actor_ids
        else {}
    )
    return [
        EventLine(
            action=translate(AUDIT_LABELS.get(event.action, event.action)),
            actor=names.get(event.actor_id, "") if event.actor_id else translate(Msg("系统")),
            acting_for=_acting_for_label(agreement, event.acting_for),
            created_at=event.created_at,
            hash=event.hash,
        )
        for event in events
    ]


def _signer_forms(
    agreement: Agreement, failed: tuple[int, SignerForm] | None = None
) -> dict[int, SignerForm]:
    """The "授权签署人" form of each party the viewer may name a signer for."""
    forms: dict[int, SignerForm] = {}
    if AgreementStatus(agreement.status) not in LIVE:
        return forms
    mine = viewer_party(agreement)
    for party in agreement.signatory_parties:
        if not (current_user.is_staff or (mine is not None and mine.id == party.id)):
            continue
        if failed is not None and failed[0] == party.id:
            form = failed[1]
        else:
            form = SignerForm(formdata=None, prefix=party.role)
            form.signer_id.data = str(party.signer_id or "")
            form.signer_title.data = party.signer_title
        members = party_members(party.party) if party.party is not None else []
        form.signer_id.choices = [("", translate(Msg("不指定（该方任一成员均可签署）")))] + [
            (str(member.id), member.name) for member in members if member.active
        ]
        forms[party.id] = form
    return forms


def _comment_versions(agreement: Agreement) -> list[tuple[str, str]]:
    choices = [("", translate(Msg("整份协议")))]
    choices += [
        (str(version.id), translate(Msg("第 %(no)d 版", no=version.version_no)))
        for version in reversed(agreement.versions)
    ]
    return choices


def _render_detail(
    agreement: Agreement,
    *,
    transition_form: TransitionForm | None = None,
    comment_form: CommentForm | None = None,
    failed_signer: tuple[int, SignerForm] | None = None,
    failed_buyer: tuple[int, BuyerSignatureForm] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Any:
    if comment_form is None:
        comment_form = CommentForm(formdata=None)
        pending = agreement.pending_version or agreement.latest_version
        comment_form.version_id.data = str(pending.id) if pending is not None else ""
    comment_form.version_id.choices = _comment_versions(agreement)
    pending = agreement.pending_version
    current = agreement.current_version
    return (
        render_template(
            "agreements/detail.html",
            agreement=agreement,
            pending=pending,
            current=current,
            money=ops.money_summary(agreement),
            actions=_actions(agreement),
            transition_form=transition_form,
            comment_form=comment_form,
            signer_forms=_signer_forms(agreement, failed_signer),
            buyer_forms=_buyer_forms(agreement, failed_buyer),
            thread=_thread(agreement),
            events=_events(agreement),
            viewer_party=viewer_party(agreement),
            may_sign=may_sign(agreement, pending),
            can_draft=AgreementStatus(agreement.status) in OPEN_FOR_TERMS and pending is None,
            can_comment=AgreementStatus(agreement.status) in LIVE,
            state_path=STATE_PATH,
            status_labels=STATUS_LABELS,
            comment_kinds=COMMENT_KIND_LABELS,
            problem=problem,
        ),
        status,
    )


@bp.get("/agreements/<int:agreement_id>")
@login_required_any
def detail(agreement_id: int) -> Any:
    return _render_detail(agreement_for(agreement_id))


@bp.post("/agreements/<int:agreement_id>/transitions")
@login_required_any
def transition(agreement_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    form = TransitionForm()
    action = (form.action.data or "").strip()
    with committed_or_refused() as outcome:
        ops.transition(
            agreement,
            current_user,
            ops.TransitionRequest(
                action=action,
                version_id=form.version_number(),
                content_sha256=request.form.get("content_sha256"),
                reason=form.reason.data or "",
            ),
        )
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement_id)
        if error.status == 422 and set(error.fields) <= {"reason"} and error.fields:
            populate_errors(form, error)
            return _render_detail(agreement, transition_form=form, status=422)
        return _render_detail(agreement, problem=error_text(error), status=error.status)
    done = DONE_MESSAGES.get(AgreementAction(action))
    if agreement.status == AgreementStatus.ACTIVE and action == AgreementAction.SIGN:
        done = Msg("各方均已签署，协议已生效")
    if done is not None:
        flash_message(done)
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)


@bp.post("/agreements/<int:agreement_id>/comments")
@login_required_any
def comment(agreement_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    form = CommentForm()
    with committed_or_refused() as outcome:
        ops.add_comment(agreement, current_user, version_id=form.version_number(), body=form.body.data or "")
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement_id)
        if error.status == 422:
            populate_errors(form, error)
            return _render_detail(agreement, comment_form=form, status=422)
        return _render_detail(agreement, problem=error_text(error), status=error.status)
    flash_message(Msg("留言已发布，各方会收到通知"))
    return redirect(url_for(".detail", agreement_id=agreement.id, _anchor="thread"), 303)


@bp.post("/agreements/<int:agreement_id>/parties/<int:party_id>/signer")
@login_required_any
def set_signer(agreement_id: int, party_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    party = db.session.get(AgreementParty, party_id)
    if party is None or party.agreement_id != agreement.id:
        raise NotFound.on("party", Msg("找不到该签约方"))
    form = SignerForm(prefix=party.role)
    with committed_or_refused() as outcome:
        ops.set_signer(
            agreement, party, current_user, signer_id=form.signer(), title=form.signer_title.data or ""
        )
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement_id)
        if error.status == 422:
            populate_errors(form, error)
            return _render_detail(agreement, failed_signer=(party_id, form), status=422)
        return _render_detail(agreement, problem=error_text(error), status=error.status)
    flash_message(Msg("已更新%(party)s的授权签署人", party=party.display_name))
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)


@bp.post("/agreements/<int:agreement_id>/versions/<int:version_id>/discard")
@login_required_any
def discard_version(agreement_id: int, version_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    version = ops.version_of(agreement, version_id)
    with committed_or_refused() as outcome:
        ops.discard_draft(version, current_user)
    if (error := outcome.error) is not None:
        return _render_detail(agreement_for(agreement_id), problem=error_text(error), status=error.status)
    flash_message(Msg("第 %(no)d 版草稿已撤回", no=version.version_no))
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)


@bp.post("/agreements/<int:agreement_id>/broker")
@login_required_any
def take_over_as_broker(agreement_id: int) -> Any:
    """A staff member becomes the witness of an agreement a party started."""
    agreement = agreement_for(agreement_id)
    with committed_or_refused() as outcome:
        ops.take_over_as_broker(agreement, current_user)
    if (error := outcome.error) is not None:
        return _render_detail(agreement_for(agreement_id), problem=error_text(error), status=error.status)
    flash_message(Msg("您已担任该协议的见证方"))
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)


# ───────────── staff record the buyer's signature (service contracts) ─────────────


class BuyerSignatureForm(FlaskForm):
    """A buyer (government department, foundation) has no accounts here: it signs on paper or with its
    own e-seal, and staff record that signature against the proposed version's hash."""

    signer_name = StringField(
        _l("采购方签署人"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 50, "autocomplete": "off"},
    )
    signer_title = StringField(
        _l("职务"), filters=[strip_filter], render_kw={"maxlength": 50, "autocomplete": "off"}
    )
    evidence = StringField(
        _l("签署凭据"),
        validators=[MarkRequired()],
        filters=[strip_filter],
        render_kw={"maxlength": 300, "autocomplete": "off"},
        description=_l("例如：纸质合同编号 LC-2026-118，或电子签章验证码"),
    )
    checked = BooleanField(
        _l("我已核对：采购方签署的正是上面这个哈希对应的版本"), validators=[MarkRequired()]
    )
    version_id = HiddenField()
    content_sha256 = HiddenField()


def _buyer_forms(
    agreement: Agreement, failed: tuple[int, BuyerSignatureForm] | None = None
) -> list[tuple[AgreementParty, AgreementVersion, BuyerSignatureForm]]:
    """For staff: each buyer party that has not yet signed the version awaiting signatures."""
    pending = agreement.pending_version
    if not current_user.is_staff or pending is None or pending.status != VersionStatus.PROPOSED:
        return []
    decided = {signature.party_id for signature in pending.signatures}
    found = []
    for party in agreement.parties:
        if party.role != "buyer" or not party.signatory or party.id in decided:
            continue
        if failed is not None and failed[0] == party.id:
            form = failed[1]
        else:
            form = BuyerSignatureForm(formdata=None, prefix=f"buyer{party.id}")
        form.version_id.data = str(pending.id)
        form.content_sha256.data = pending.content_sha256
        found.append((party, pending, form))
    return found


@bp.post("/agreements/<int:agreement_id>/parties/<int:party_id>/recorded-signature")
@staff_required
def record_buyer_signature(agreement_id: int, party_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    party = db.session.get(AgreementParty, party_id)
    if party is None or party.agreement_id != agreement.id:
        raise NotFound.on("party", Msg("找不到该签约方"))
    form = BuyerSignatureForm(prefix=f"buyer{party.id}")
    if not form.checked.data:
        form.checked.errors = [translate(Msg("请先核对版本哈希并勾选确认"))]
        return _render_detail(agreement, failed_buyer=(party.id, form), status=422)
    version_text = (form.version_id.data or "").strip()
    with committed_or_refused() as outcome:
        ops.record_party_signature(
            agreement,
            current_user,
            ops.RecordedSignature(
                party_id=party.id,
                version_id=int(version_text) if version_text.isdigit() else None,
                content_sha256=form.content_sha256.data or "",
                signer_name=form.signer_name.data or "",
                signer_title=form.signer_title.data or "",
                evidence=form.evidence.data or "",
            ),
        )
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement_id)
        populate_errors(
            form,
            error,
            aliases={"version_id": "checked", "content_sha256": "checked", "party_id": "checked"},
        )
        form.checked.data = False
        return _render_detail(agreement, failed_buyer=(party.id, form), status=error.status)
    if agreement.status == AgreementStatus.ACTIVE:
        flash_message(Msg("已登记%(party)s的签署；各方均已签署，合同已生效", party=party.display_name))
    else:
        flash_message(Msg("已登记%(party)s的签署，等待其他签约方签署", party=party.display_name))
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)
