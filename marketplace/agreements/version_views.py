"""The pages of one version: the structured terms form (new, edit, withdraw a draft), the printable
document and its PDF, the side-by-side diff of two versions, and the signing step with its summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user

from marketplace.agreements import operations as ops
from marketplace.agreements import pdf as agreement_pdf
from marketplace.agreements import terms as rules
from marketplace.agreements.forms import (
    SignForm,
    TermsForm,
    TermsInput,
    place_errors,
)
from marketplace.agreements.models import Agreement, AgreementVersion
from marketplace.agreements.states import (
    AgreementAction,
    AgreementStatus,
    VersionStatus,
)
from marketplace.agreements.views import (
    agreement_for,
    bp,
    flash_message,
    may_sign,
    tranche_target,
    viewer_party,
)
from marketplace.authz import login_required_any
from marketplace.errors import DomainError, NotFound
from marketplace.forms import committed_or_refused, populate_errors
from marketplace.messages import Msg
from marketplace.web import translate

# ───────────── the terms form ─────────────


def _with_period(agreement: Agreement) -> bool:
    """Amendments and renewals may change the period; the first version runs for the agreement's."""
    return agreement.current_version is not None


def _terms_form(agreement: Agreement, formdata: Any = None) -> TermsForm:
    form = TermsForm() if formdata is None else TermsForm(formdata=formdata)
    form.set_projects(agreement.projects)
    return form


def _render_terms(
    agreement: Agreement, form: TermsForm, version: AgreementVersion | None, status: int = 200
) -> Any:
    return (
        render_template(
            "agreements/terms_form.html",
            agreement=agreement,
            form=form,
            version=version,
            with_period=_with_period(agreement),
            several_projects=len(agreement.projects) > 1,
            base=agreement.current_version,
        ),
        status,
    )


def _save_terms(agreement: Agreement, form: TermsForm, version: AgreementVersion | None) -> Any:
    with_period = _with_period(agreement)
    read: TermsInput = form.to_input(with_period=with_period)
    with committed_or_refused() as outcome:
        if version is None:
            saved = ops.add_version(agreement, current_user, read.data)
        else:
            saved = ops.update_version(version, current_user, read.data)
        if read.unreadable:
            raise DomainError(read.unreadable)
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement.id)
        version = ops.version_of(agreement, version.id) if version is not None else None
        problems = {} if error.fields == read.unreadable else dict(error.fields)
        for path in read.unreadable:
            problems.pop(path, None)
        if any(path.startswith("tranches[") for path in read.unreadable):
            problems.pop("tranches", None)  # the total cannot add up while a row is unreadable
        place_errors(form, read.unreadable, row_paths=True, with_period=with_period)
        place_errors(form, problems, rows=read.rows, with_period=with_period)
        if not error.fields:
            form.form_errors.append(translate(error.message))
        return _render_terms(agreement, form, version, 422 if error.status == 422 else error.status)
    flash_message(
        Msg(
            "第 %(no)d 版条款草稿已保存。确认无误后请「提交签署」，提交后条款不能再改。",
            no=saved.version_no,
        )
    )
    return redirect(url_for(".detail", agreement_id=agreement.id, _anchor="versions"), 303)


@bp.route("/agreements/<int:agreement_id>/versions/new", methods=["GET", "POST"])
@login_required_any
def new_version(agreement_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    if request.method == "POST":
        return _save_terms(agreement, _terms_form(agreement), None)
    pending = agreement.pending_version
    if pending is not None and pending.is_editable:
        return redirect(url_for(".edit_version", agreement_id=agreement.id, version_id=pending.id))
    form = _terms_form(agreement)
    # A new round starts from the terms in force, or from the version sent back for changes.
    start = agreement.current_version or agreement.latest_version
    if start is not None:
        form.fill_from(ops.fresh_copy(start), with_period=_with_period(agreement))
    return _render_terms(agreement, form, None)


@bp.route("/agreements/<int:agreement_id>/versions/<int:version_id>/edit", methods=["GET", "POST"])
@login_required_any
def edit_version(agreement_id: int, version_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    version = ops.version_of(agreement, version_id)
    if request.method == "POST":
        return _save_terms(agreement, _terms_form(agreement), version)
    if not version.is_editable:
        flash_message(
            Msg(
                "第 %(no)d 版当前为「%(status)s」，条款不能再修改",
                no=version.version_no,
                status=version.status_label,
            ),
            "warning",
        )
        return redirect(url_for(".version", agreement_id=agreement.id, version_id=version.id))
    form = _terms_form(agreement)
    form.fill_from(ops.fresh_copy(version), with_period=_with_period(agreement))
    return _render_terms(agreement, form, version)


# ───────────── the document: printable page, PDF, diff ─────────────


@dataclass(frozen=True)
class TrancheLine:
    number: int
    due_on: str
    amount: int
    target: str
    note: str


def _document_tranches(agreement: Agreement, version: AgreementVersion) -> list[TrancheLine]:
    lines = []
    for number, tranche in enumerate(rules.sorted_tranches(version.tranche_values), start=1):
        lines.append(
            TrancheLine(
                number,
                tranche.due_on.isoformat(),
                tranche.amount,
                tranche_target(agreement, tranche),
                tranche.note,
            )
        )
    return lines


def _party_lines(agreement: Agreement, version: AgreementVersion) -> list[dict[str, Any]]:
    """The parties as the version's document names them, with each one's authorised signer now."""
    lines = []
    for index, item in enumerate(version.content.get("parties", [])):
        party = agreement.parties[index] if index < len(agreement.parties) else None
        lines.append({**item, "party": party})
    return lines


@bp.get("/agreements/<int:agreement_id>/versions/<int:version_id>")
@login_required_any
def version(agreement_id: int, version_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    found = ops.version_of(agreement, version_id)
    return render_template(
        "agreements/version.html",
        agreement=agreement,
        version=found,
        content=found.content or {},
        parties=_party_lines(agreement, found),
        tranches=_document_tranches(agreement, found),
    )


def _download_name(agreement: Agreement, version: AgreementVersion) -> str:
    unsafe = '/\\:*?"<>|\r\n\t'
    title = "".join("_" if char in unsafe else char for char in agreement.title).strip() or "agreement"
    return f"{title}-v{version.version_no}.pdf"


@bp.get("/agreements/<int:agreement_id>/versions/<int:version_id>.pdf")
@login_required_any
def version_pdf(agreement_id: int, version_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    found = ops.version_of(agreement, version_id)
    body = agreement_pdf.version_pdf(agreement, found)
    name = _download_name(agreement, found)
    response = Response(body, mimetype="application/pdf")
    # RFC 6266 / 5987: an ASCII fallback for old clients, the UTF-8 title for everyone else.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="agreement-{agreement.id}-v{found.version_no}.pdf"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _diff_pair(agreement: Agreement) -> tuple[AgreementVersion | None, AgreementVersion | None]:
    versions = agreement.versions
    to_arg, from_arg = request.args.get("to", ""), request.args.get("from", "")
    newer = (
        ops.version_of(agreement, int(to_arg)) if to_arg.isdigit() else (versions[-1] if versions else None)
    )
    if from_arg.isdigit():
        older = ops.version_of(agreement, int(from_arg))
    else:
        earlier = [item for item in versions if newer is not None and item.version_no < newer.version_no]
        older = earlier[-1] if earlier else None
    return older, newer


@bp.get("/agreements/<int:agreement_id>/diff")
@login_required_any
def diff(agreement_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    if request.args.get("from", "").strip() and not request.args.get("from", "").isdigit():
        raise NotFound.on("version_id", Msg("找不到该协议版本"))
    if request.args.get("to", "").strip() and not request.args.get("to", "").isdigit():
        raise NotFound.on("version_id", Msg("找不到该协议版本"))
    older, newer = _diff_pair(agreement)
    rows = rules.diff(older.content, newer.content) if older is not None and newer is not None else []
    changed_only = request.args.get("changed") == "1"
    return render_template(
        "agreements/diff.html",
        agreement=agreement,
        older=older,
        newer=newer,
        rows=[row for row in rows if row.changed] if changed_only else rows,
        changed_count=sum(1 for row in rows if row.changed),
        changed_only=changed_only,
    )


# ───────────── signing ─────────────


def _render_sign(agreement: Agreement, found: AgreementVersion, form: SignForm, status: int = 200) -> Any:
    party = viewer_party(agreement)
    return (
        render_template(
            "agreements/sign.html",
            agreement=agreement,
            version=found,
            content=found.content or {},
            parties=_party_lines(agreement, found),
            tranches=_document_tranches(agreement, found),
            form=form,
            party=party,
            may_sign=may_sign(agreement, found),
            signed_by={signature.party_id: signature for signature in found.signatures},
        ),
        status,
    )


@bp.route("/agreements/<int:agreement_id>/versions/<int:version_id>/sign", methods=["GET", "POST"])
@login_required_any
def sign(agreement_id: int, version_id: int) -> Any:
    agreement = agreement_for(agreement_id)
    found = ops.version_of(agreement, version_id)
    form = SignForm()
    if request.method == "GET":
        form.content_sha256.data = found.content_sha256
        return _render_sign(agreement, found, form)
    if not form.agree.data:
        form.agree.errors = [translate(Msg("请先阅读条款并勾选“我已阅读并同意以上条款”"))]
        return _render_sign(agreement, found, form, 422)
    with committed_or_refused() as outcome:
        ops.transition(
            agreement,
            current_user,
            ops.TransitionRequest(
                action=AgreementAction.SIGN.value,
                version_id=found.id,
                content_sha256=form.content_sha256.data or "",
            ),
        )
    if (error := outcome.error) is not None:
        agreement = agreement_for(agreement_id)
        found = ops.version_of(agreement, version_id)
        populate_errors(form, error, aliases={"signer": "agree", "version_id": "agree"})
        # Nothing was signed: show the version's own hash again, to be read and confirmed afresh.
        form.content_sha256.data = found.content_sha256
        form.agree.data = False
        return _render_sign(agreement, found, form, error.status)
    if agreement.status == AgreementStatus.ACTIVE and found.status == VersionStatus.SIGNED:
        flash_message(Msg("各方均已签署第 %(no)d 版，协议已生效", no=found.version_no))
    else:
        flash_message(Msg("已签署第 %(no)d 版，等待其他签约方签署", no=found.version_no))
    return redirect(url_for(".detail", agreement_id=agreement.id), 303)
