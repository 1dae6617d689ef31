"""Partnership agreements (战略合作协议): create one, draft and edit versions of its terms, propose,
sign, ask for changes, decline, terminate or cancel, read the audit trail and compare two versions.

Every rule lives in ``marketplace.agreements.operations`` (the same as for the pages and the jobs);
this module turns JSON into their inputs and their results into JSON, and commits once. Amounts are
integer fen (a float, a string or a boolean is refused, never rounded); days are ``YYYY-MM-DD``. An
agreement is visible to the members of its parties and to staff only; everyone else is told it does
not exist (404), whatever they ask of it. Staff record the signature of a party without accounts
here — the buyer of a service contract that a tender's award created — bound to the version's hash
like any other (``POST …/signatures``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify, request, url_for

from marketplace.accounts.models import User
from marketplace.agreements import operations as agreements
from marketplace.agreements import terms as rules
from marketplace.agreements.models import Agreement, AgreementVersion
from marketplace.agreements.terms import Terms, Tranche
from marketplace.api import bp, serializers
from marketplace.api.auth import api_login_required, require_api_user
from marketplace.api.input import (
    JsonField,
    checked_body,
    field_problems,
    parse_day,
    query_integer,
    require_fields,
)
from marketplace.errors import DomainError, Forbidden, NotFound
from marketplace.extensions import db
from marketplace.messages import Msg

_FEN = Msg("金额必须是以分为单位的整数")
_ID = Msg("应为整数编号")
AGREEMENT_FIELDS: Mapping[str, JsonField] = {
    "title": JsonField("string"),
    "company_id": JsonField("integer", message=_ID),
    "organization_id": JsonField("integer", message=_ID),
    "project_ids": JsonField("integer_list"),
    "starts_on": JsonField("date"),
    "ends_on": JsonField("date"),
    "auto_renew": JsonField("boolean"),
    "renewal_notice_days": JsonField("integer"),
    "introduction_id": JsonField("integer", nullable=True, message=_ID),
}
TERMS_FIELDS: Mapping[str, JsonField] = {
    "scope": JsonField("string"),
    "obligations": JsonField("object"),
    "in_kind": JsonField("string", nullable=True),
    "volunteers": JsonField("integer", nullable=True),
    "kpis": JsonField("string_list"),
    "confidentiality": JsonField("string", nullable=True),
    "dispute": JsonField("string", nullable=True),
    "extra": JsonField("string_or_string_list", nullable=True),
}
OBLIGATION_FIELDS: Mapping[str, JsonField] = {
    "company": JsonField("string"),
    "organization": JsonField("string"),
}
TRANCHE_FIELDS: Mapping[str, JsonField] = {
    "due_on": JsonField("date"),
    "amount": JsonField("integer", message=_FEN),
    "project_id": JsonField("integer", nullable=True, message=_ID),
    "note": JsonField("string", nullable=True),
}
TRANCHE_REQUIRED: Mapping[str, Msg] = {"due_on": Msg("拨付日期"), "amount": Msg("该期金额（分）")}
# A version's period fields: absent or null keeps the agreement's (or the version in force's).
VERSION_FIELDS: Mapping[str, JsonField] = {
    "terms": JsonField("object"),
    "committed_amount": JsonField("integer", nullable=True, message=_FEN),
    "tranches": JsonField("object_list"),
    "starts_on": JsonField("date", nullable=True),
    "ends_on": JsonField("date", nullable=True),
    "auto_renew": JsonField("boolean", nullable=True),
    "renewal_notice_days": JsonField("integer", nullable=True),
}
TRANSITION_FIELDS: Mapping[str, JsonField] = {
    "action": JsonField("string"),
    "version_id": JsonField("integer", nullable=True, message=_ID),
    "content_sha256": JsonField("string", nullable=True),
    "reason": JsonField("string", nullable=True),
}
# A signature made outside the platform (the buyer of a service contract), as staff record it.
SIGNATURE_FIELDS: Mapping[str, JsonField] = {
    "party_id": JsonField("integer", message=_ID),
    "version_id": JsonField("integer", message=_ID),
    "content_sha256": JsonField("string"),
    "signer_name": JsonField("string"),
    "signer_title": JsonField("string", nullable=True),
    "evidence": JsonField("string"),
}
SIGNATURE_REQUIRED: Mapping[str, Msg] = {
    "party_id": Msg("签约方"),
    "version_id": Msg("签署的版本"),
    "content_sha256": Msg("版本内容哈希（content_sha256）"),
}
EXPIRING_MAX_DAYS = 366


def _visible_agreement(agreement_id: int, user: User) -> Agreement:
    """The agreement, or 404 for one that does not exist *or* that the caller may not see."""
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or not agreements.can_view(agreement, user):
        raise NotFound.on("agreement", Msg("找不到该协议"))
    return agreement


def _agreement_response(agreement: Agreement, status: int = 200) -> Any:
    response = jsonify(serializers.agreement(agreement, agreements.money_summary(agreement)))
    response.status_code = status
    return response


def _version_response(version: AgreementVersion, status: int = 200) -> Any:
    response = jsonify(serializers.agreement_version(version))
    response.status_code = status
    return response


# ───────────── reading JSON into the operations' inputs ─────────────


def _day(body: Mapping[str, Any], name: str) -> Any:
    # checked_body already refused anything but YYYY-MM-DD (or null where allowed).
    return parse_day(body[name]) if body.get(name) is not None else None


def _extra_clauses(value: Any) -> tuple[str, ...]:
    """Extra clauses: a list, one clause per item, or a single string as one clause."""
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(value or ())


def _terms(value: Mapping[str, Any], errors: dict[str, str]) -> Terms:
    problems = field_problems(value, TERMS_FIELDS, prefix="terms.")
    obligations = value.get("obligations") or {}
    if isinstance(obligations, dict):
        problems.update(field_problems(obligations, OBLIGATION_FIELDS, prefix="terms.obligations."))
    errors.update(problems)
    if problems:
        return Terms()
    return Terms(
        scope=value.get("scope", ""),
        obligations_company=obligations.get("company", ""),
        obligations_organization=obligations.get("organization", ""),
        in_kind=value.get("in_kind") or "",
        volunteers=value.get("volunteers"),
        kpis=tuple(value.get("kpis") or ()),
        confidentiality=value.get("confidentiality") or "",
        dispute=value.get("dispute") or "",
        extra=_extra_clauses(value.get("extra")),
    )


def _tranches(items: list[dict[str, Any]], errors: dict[str, str]) -> tuple[Tranche, ...]:
    tranches = []
    for index, item in enumerate(items):
        prefix = f"tranches[{index}]."
        problems = field_problems(item, TRANCHE_FIELDS, prefix=prefix)
        for name, label in TRANCHE_REQUIRED.items():
            if item.get(name) is None:
                problems.setdefault(f"{prefix}{name}", Msg("请填写%(label)s", label=label))
        errors.update(problems)
        if not problems:
            tranches.append(
                Tranche(
                    due_on=_day(item, "due_on"),
                    amount=item["amount"],
                    project_id=item.get("project_id"),
                    note=item.get("note") or "",
                )
            )
    return tuple(tranches)


def _version_input() -> agreements.VersionInput:
    """A version body: every bad field at once, with paths like ``terms.scope`` and
    ``tranches[1].amount``; what the values mean is checked by the operations."""
    body = checked_body(VERSION_FIELDS)
    errors: dict[str, str] = {}
    if body.get("terms") is None:
        errors["terms"] = Msg("请填写%(label)s", label=Msg("协议条款"))
    terms = _terms(body.get("terms") or {}, errors)
    tranches = _tranches(body.get("tranches") or [], errors)
    if errors:
        raise DomainError(errors)
    return agreements.VersionInput(
        terms=terms,
        committed_amount=body.get("committed_amount"),
        tranches=tranches,
        starts_on=_day(body, "starts_on"),
        ends_on=_day(body, "ends_on"),
        auto_renew=body.get("auto_renew"),
        renewal_notice_days=body.get("renewal_notice_days"),
    )


# ───────────── agreements ─────────────


@bp.post("/agreements")
@api_login_required
def create_agreement_endpoint() -> Any:
    user = require_api_user()
    body = checked_body(AGREEMENT_FIELDS)
    agreement = agreements.create_agreement(
        user,
        agreements.AgreementInput(
            title=body.get("title") or "",
            company_id=body.get("company_id"),
            organization_id=body.get("organization_id"),
            project_ids=list(body.get("project_ids") or []),
            starts_on=_day(body, "starts_on"),
            ends_on=_day(body, "ends_on"),
            auto_renew=body.get("auto_renew", False),
            renewal_notice_days=body.get("renewal_notice_days", rules.NOTICE_DEFAULT),
            introduction_id=body.get("introduction_id"),
        ),
    )
    db.session.commit()
    response = _agreement_response(agreement, 201)
    response.headers["Location"] = url_for("api.get_agreement", agreement_id=agreement.id)
    return response


@bp.get("/agreements")
@api_login_required
def list_agreements_endpoint() -> Any:
    user = require_api_user()
    errors: dict[str, str] = {}
    ids = {
        name: query_integer(request.args, name, errors)
        for name in ("party_id", "company_id", "organization_id")
    }
    expiring = query_integer(
        request.args, "expiring_within_days", errors, minimum=0, maximum=EXPIRING_MAX_DAYS
    )
    if errors:
        raise DomainError(errors)
    found = agreements.list_agreements(
        user,
        agreements.AgreementFilters(
            status=request.args.get("status") or None, expiring_within_days=expiring, **ids
        ),
    )
    return jsonify({"items": [serializers.agreement_summary(item) for item in found]})


@bp.get("/agreements/<int:agreement_id>")
@api_login_required
def get_agreement(agreement_id: int) -> Any:
    user = require_api_user()
    return _agreement_response(_visible_agreement(agreement_id, user))


@bp.post("/agreements/<int:agreement_id>/transitions")
@api_login_required
def transition_agreement_endpoint(agreement_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    body = checked_body(TRANSITION_FIELDS)
    agreements.transition(
        agreement,
        user,
        agreements.TransitionRequest(
            action=body.get("action") or "",
            version_id=body.get("version_id"),
            content_sha256=body.get("content_sha256"),
            reason=body.get("reason") or "",
        ),
    )
    db.session.commit()
    return _agreement_response(agreement)


@bp.post("/agreements/<int:agreement_id>/signatures")
@api_login_required
def record_agreement_signature(agreement_id: int) -> Any:
    """Staff record the signature of a party without accounts here (a service contract's buyer),
    bound to the version's hash like any other signature."""
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    if not user.is_staff:  # who before what
        raise Forbidden.on("signer", Msg("只有团区委工作人员可以登记采购方的签署"))
    body = checked_body(SIGNATURE_FIELDS)
    require_fields(body, SIGNATURE_REQUIRED)
    signature = agreements.record_party_signature(
        agreement,
        user,
        agreements.RecordedSignature(
            party_id=body["party_id"],
            version_id=body["version_id"],
            content_sha256=body["content_sha256"],
            signer_name=body.get("signer_name") or "",
            signer_title=body.get("signer_title") or "",
            evidence=body.get("evidence") or "",
        ),
    )
    db.session.commit()
    response = jsonify(serializers.agreement_signature(signature))
    response.status_code = 201
    return response


@bp.get("/agreements/<int:agreement_id>/events")
@api_login_required
def list_agreement_events(agreement_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    return jsonify({"items": [serializers.audit_event(event) for event in agreements.events(agreement)]})


# ───────────── versions ─────────────


@bp.post("/agreements/<int:agreement_id>/versions")
@api_login_required
def add_agreement_version(agreement_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    version = agreements.add_version(agreement, user, _version_input())
    db.session.commit()
    response = _version_response(version, 201)
    response.headers["Location"] = url_for(
        "api.get_agreement_version", agreement_id=agreement.id, version_id=version.id
    )
    return response


@bp.get("/agreements/<int:agreement_id>/versions/<int:version_id>")
@api_login_required
def get_agreement_version(agreement_id: int, version_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    return _version_response(agreements.version_of(agreement, version_id))


@bp.put("/agreements/<int:agreement_id>/versions/<int:version_id>")
@api_login_required
def update_agreement_version(agreement_id: int, version_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    version = agreements.version_of(agreement, version_id)
    agreements.update_version(version, user, _version_input())
    db.session.commit()
    return _version_response(version)


@bp.get("/agreements/<int:agreement_id>/diff")
@api_login_required
def get_agreement_diff(agreement_id: int) -> Any:
    user = require_api_user()
    agreement = _visible_agreement(agreement_id, user)
    errors: dict[str, str] = {}
    from_id = query_integer(request.args, "from", errors)
    to_id = query_integer(request.args, "to", errors)
    if errors:
        raise DomainError(errors)
    new = agreements.version_of(agreement, to_id) if to_id is not None else agreement.latest_version
    if new is None:
        raise DomainError.on("to", Msg("该协议还没有任何版本"))
    if from_id is not None:
        old = agreements.version_of(agreement, from_id)
    else:
        earlier = [version for version in agreement.versions if version.version_no < new.version_no]
        if not earlier:
            raise DomainError.on("from", Msg("没有更早的版本可以比较，请用 from 指定版本"))
        old = earlier[-1]
    return jsonify(
        {
            "from": serializers.agreement_version_summary(old),
            "to": serializers.agreement_version_summary(new),
            "rows": [serializers.diff_row(row) for row in rules.diff(old.content, new.content)],
        }
    )
