"""Organization and company profiles, sign-up validation and staff verification."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from marketplace import audit
from marketplace.errors import Conflict, DomainError
from marketplace.extensions import db
from marketplace.messages import Msg
from marketplace.money import parse_yuan
from marketplace.parties.models import (
    GRADES,
    Company,
    Organization,
    Tier,
    VerificationStatus,
)
from marketplace.parties.uscc import validate_uscc
from marketplace.taxonomy.models import Category, District
from marketplace.timeutil import local_today, utcnow

MOBILE_OR_LANDLINE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

Party = TypeVar("Party", Organization, Company)


@dataclass
class PartyInput:
    """What sign-up forms, the API and the CLI collect about an organization or a company."""

    name: str = ""
    uscc: str = ""
    district: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    description: str = ""
    # organizations
    community: str = ""
    founded_year: int | str | None = None
    business_areas: list[str] = field(default_factory=list)
    # companies
    industry: str = ""
    focus_categories: list[str] = field(default_factory=list)
    districts_of_interest: list[str] = field(default_factory=list)
    yearly_budget_yuan: str | int | None = None


def normalise_email(email: str, *, field_name: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise DomainError.on(field_name, Msg("请输入有效的电子邮箱地址")) from None


def _text(
    value: str | None,
    field_name: str,
    label: str,
    max_length: int,
    errors: dict[str, str],
    *,
    required: bool = True,
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field_name] = Msg("请填写%(label)s", label=label)
    elif len(text) > max_length:
        errors[field_name] = Msg("%(label)s不能超过 %(n)d 个字", label=label, n=max_length)
    return text


def categories_named(slugs: list[str], field_name: str, errors: dict[str, str]) -> list[Category]:
    wanted = list(dict.fromkeys(slug.strip() for slug in slugs if slug and slug.strip()))
    found = db.session.scalars(select(Category).where(Category.slug.in_(wanted))).all() if wanted else []
    if len(found) != len(wanted):
        unknown = sorted(set(wanted) - {category.slug for category in found})
        errors[field_name] = Msg("未知的服务领域：%(names)s", names="、".join(unknown))
    return sorted(found, key=lambda category: category.position)


def _district(name: str, field_name: str, errors: dict[str, str]) -> str:
    name = (name or "").strip()
    if not name:
        errors[field_name] = Msg("请选择所在区县")
    elif db.session.get(District, name) is None:
        errors[field_name] = Msg("「%(name)s」不是温州市的区县", name=name)
    return name


def _common_fields(data: PartyInput, errors: dict[str, str]) -> dict[str, object]:
    cleaned: dict[str, object] = {
        "name": _text(data.name, "name", Msg("名称"), 100, errors),
        "district": _district(data.district, "district", errors),
        "contact_name": _text(data.contact_name, "contact_name", Msg("联系人"), 50, errors),
        "description": _text(data.description, "description", Msg("简介"), 2000, errors, required=False),
    }
    try:
        cleaned["uscc"] = validate_uscc(data.uscc)
    except DomainError as error:
        errors.update(error.fields)
    phone = re.sub(r"[\s()（）]", "", data.contact_phone or "")
    # Optional here (the CLI creates parties without one); the sign-up form requires it.
    if phone and not MOBILE_OR_LANDLINE.match(phone):
        errors["contact_phone"] = Msg("请输入有效的手机号或座机号，例如 13857712345 或 0577-88881234")
    cleaned["contact_phone"] = phone
    try:
        cleaned["contact_email"] = normalise_email(data.contact_email, field_name="contact_email")
    except DomainError as error:
        errors.update(error.fields)
    return cleaned


def _check_unique(
    model: type[Party], cleaned: dict[str, object], errors: dict[str, str], exclude_id: int | None = None
) -> None:
    for column, message in (
        ("name", Msg("该名称已经注册")),
        ("uscc", Msg("该统一社会信用代码已经注册")),
    ):
        value = cleaned.get(column)
        if not value or column in errors:
            continue
        query = select(model.id).where(getattr(model, column) == value)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query) is not None:
            errors[column] = message


def _organization_fields(data: PartyInput, errors: dict[str, str]) -> dict[str, object]:
    cleaned = _common_fields(data, errors)
    cleaned["community"] = _text(data.community, "community", Msg("街道/社区"), 100, errors, required=False)
    cleaned["business_areas"] = categories_named(data.business_areas, "business_areas", errors)
    year = data.founded_year
    if year in (None, ""):
        cleaned["founded_year"] = None
    else:
        try:
            year_number = int(str(year).strip())
        except ValueError:
            year_number = 0
        if not 1949 <= year_number <= local_today().year:
            errors["founded_year"] = Msg("成立年份应在 1949 到 %(year)d 之间", year=local_today().year)
        cleaned["founded_year"] = year_number
    return cleaned


def districts_named(names: list[str], field_name: str, errors: dict[str, str]) -> list[District]:
    """The districts with these names, in the order given; an unknown name is a field error."""
    districts = []
    for name in dict.fromkeys(names):
        district = db.session.get(District, name)
        if district is None:
            errors[field_name] = Msg("「%(name)s」不是温州市的区县", name=name)
        else:
            districts.append(district)
    return districts


def _company_fields(data: PartyInput, errors: dict[str, str]) -> dict[str, object]:
    cleaned = _common_fields(data, errors)
    cleaned["industry"] = _text(data.industry, "industry", Msg("所属行业"), 50, errors, required=False)
    cleaned["focus_categories"] = categories_named(data.focus_categories, "focus_categories", errors)
    cleaned["districts_of_interest"] = districts_named(
        data.districts_of_interest, "districts_of_interest", errors
    )
    budget = data.yearly_budget_yuan
    cleaned["yearly_budget"] = None
    if budget not in (None, ""):
        try:
            cleaned["yearly_budget"] = parse_yuan(
                budget if isinstance(budget, int) else str(budget), field="yearly_budget"
            )
        except DomainError as error:
            errors.update(error.fields)
    return cleaned


def _validated(model: type[Party], data: PartyInput, *, exclude_id: int | None = None) -> dict[str, object]:
    """Every field reason for an organization's or company's input at once, or the cleaned values."""
    errors: dict[str, str] = {}
    fields = _organization_fields if model is Organization else _company_fields
    cleaned = fields(data, errors)
    _check_unique(model, cleaned, errors, exclude_id=exclude_id)
    if errors:
        raise DomainError(errors)
    return cleaned


def _new_party(model: type[Party], data: PartyInput) -> Party:
    """Validate and add a pending party (its first member is added by the caller)."""
    party = model(**_validated(model, data), verification_status=VerificationStatus.PENDING)
    db.session.add(party)
    return party


def new_organization(data: PartyInput) -> Organization:
    return _new_party(Organization, data)


def new_company(data: PartyInput) -> Company:
    return _new_party(Company, data)


def update_party(party: Party, data: PartyInput, *, actor_id: int) -> Party:
    """Edit a profile. A changed name or USCC sends a verified party back to verification."""
    _apply_profile(party, _validated(type(party), data, exclude_id=party.id), actor_id)
    return party


def _apply_profile(party: Organization | Company, cleaned: dict[str, object], actor_id: int) -> None:
    identity_changed = (cleaned["name"], cleaned["uscc"]) != (party.name, party.uscc)
    for key, value in cleaned.items():
        setattr(party, key, value)
    if identity_changed and party.verification_status == VerificationStatus.VERIFIED:
        # Staff verified a legal identity; a new name or code must be checked again.
        party.verification_status = VerificationStatus.PENDING
        party.verified_at = None
    db.session.flush()
    audit.record(
        "party.profile_updated",
        actor_id=actor_id,
        subject=party,
        payload={"identity_changed": identity_changed},
    )


def verify_party(party: Party, *, staff_id: int) -> Party:
    if party.verification_status == VerificationStatus.VERIFIED:
        raise Conflict.on("verification_status", Msg("该主体已经通过认证"))
    party.verification_status = VerificationStatus.VERIFIED
    party.rejection_reason = None
    party.verified_at = utcnow()
    party.verified_by_id = staff_id
    db.session.flush()
    audit.record("party.verified", actor_id=staff_id, subject=party)
    return party


def reject_party(party: Party, *, staff_id: int, reason: str) -> Party:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError.on("reason", Msg("请填写未通过的原因，方便对方修改后重新提交"))
    if len(reason) > 500:
        raise DomainError.on("reason", Msg("原因不能超过 %(n)d 个字", n=500))
    if party.verification_status != VerificationStatus.PENDING:
        raise Conflict.on("verification_status", Msg("只能审核待认证的主体"))
    party.verification_status = VerificationStatus.REJECTED
    party.rejection_reason = reason
    party.verified_by_id = staff_id
    db.session.flush()
    audit.record("party.rejected", actor_id=staff_id, subject=party, payload={"reason": reason})
    return party


def resubmit_for_verification(party: Party, *, actor_id: int) -> Party:
    if party.verification_status != VerificationStatus.REJECTED:
        raise Conflict.on("verification_status", Msg("只有未通过认证的主体可以重新提交"))
    party.verification_status = VerificationStatus.PENDING
    db.session.flush()
    audit.record("party.resubmitted", actor_id=actor_id, subject=party)
    return party


def set_organization_grade(
    organization: Organization,
    *,
    grade: str | None,
    valid_until: date | None,
    tier: str | None,
    staff_id: int,
) -> Organization:
    errors: dict[str, str] = {}
    if grade is not None and grade not in GRADES:
        errors["grade"] = Msg("等级应为 A1 到 A5")
    if grade is not None and valid_until is None:
        errors["grade_valid_until"] = Msg("请填写等级有效期")
    if tier is not None and tier not in {t.value for t in Tier}:
        errors["tier"] = Msg("层级应为名木、成木或苗木")
    if errors:
        raise DomainError(errors)
    organization.grade, organization.grade_valid_until, organization.tier = grade, valid_until, tier
    db.session.flush()
    audit.record(
        "organization.graded",
        actor_id=staff_id,
        subject=organization,
        payload={"grade": grade, "valid_until": str(valid_until), "tier": tier},
    )
    return organization


def pending_counts() -> dict[str, int]:
    """How many organizations and companies wait for staff (dashboard badges)."""

    def count(model: type[Organization] | type[Company]) -> int:
        return (
            db.session.scalar(
                select(func.count())
                .select_from(model)
                .where(model.verification_status == VerificationStatus.PENDING)
            )
            or 0
        )

    return {"organizations": count(Organization), "companies": count(Company)}
