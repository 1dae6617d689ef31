"""Partnership agreements at the operations level, on SQLite and PostgreSQL: who may create one, the
bad input issue 6 lists (each refused with its field and nothing changed), versions bound by their
hash, signatures, requests for changes, declines, amendments and renewals, the money link to
pledges and the ledger, introductions converted, the audit trail and who hears of what."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from marketplace import audit, mail
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementSignature, AgreementVersion
from marketplace.agreements.terms import Terms, Tranche
from marketplace.errors import Conflict, DomainError, Forbidden
from marketplace.extensions import db
from marketplace.matching import operations as matching
from marketplace.matching.models import Introduction
from marketplace.notifications.models import Notification
from marketplace.parties.models import Organization
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, Pledge
from marketplace.projects.models import Project
from marketplace.timeutil import local_today
from tests import factories

TERMS = Terms(
    scope="共同开展五马街道独居长者助餐服务",
    obligations_company="按期拨付资助资金，每季度派出志愿者",
    obligations_organization="组织实施助餐服务，按季度报告资金使用情况",
    kpis=("每月服务不少于 600 人次",),
    dispute="协商不成的，提交温州仲裁委员会仲裁",
)
COMMITTED = 3_000_000  # fen: ¥30,000


@dataclass
class Cast:
    staff: User
    other_staff: User
    company: User  # member of company C
    colleague: User  # a second member of company C
    org: User  # member of organization O
    org_colleague: User  # a second member of organization O
    other_company: User  # member of another verified company
    other_org: User  # member of another verified organization
    project: Project  # O, published
    second: Project  # O, published
    draft: Project  # O, never published
    foreign: Project  # the other organization's, published

    @property
    def company_id(self) -> int:
        return self.company.company_id

    @property
    def organization_id(self) -> int:
        return self.org.organization_id


def member_of(party: Any, name: str) -> User:
    user = accounts.add_member(
        party,
        accounts.AccountInput(email=f"{name}@example.cn", password=factories.PASSWORD, name=name),
        actor_id=factories.staff_user().id,
    )
    db.session.commit()
    return user


@pytest.fixture
def cast(ctx: Flask) -> Cast:
    factories.foundation()
    staff = factories.staff()
    company = factories.company_member(name="温州瓯江实业有限公司")
    org = factories.org_member(name="鹿城区彩虹公益服务中心")
    other_org = factories.org_member(name="瓯海区绿水环保协会")
    mail.outbox().clear()
    return Cast(
        staff=staff,
        other_staff=factories.staff(),
        company=company,
        colleague=member_of(company.company, "company-colleague"),
        org=org,
        org_colleague=member_of(org.organization, "org-colleague"),
        other_company=factories.company_member(),
        other_org=other_org,
        project=factories.project(org, status="published", reviewer=staff, title="长者助餐点"),
        second=factories.project(org, status="published", reviewer=staff, title="四点钟课堂"),
        draft=factories.project(org, title="草稿：社区图书角"),
        foreign=factories.project(other_org, status="published", reviewer=staff, title="塘河护水行动"),
    )


# ─────────────────────────────── helpers ───────────────────────────────


def today() -> date:
    return local_today()


def fresh(model: Any, item_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, item_id)


def agreement_input(cast: Cast, **overrides: Any) -> ops.AgreementInput:
    values: dict[str, Any] = {
        "title": "助老战略合作协议",
        "company_id": cast.company_id,
        "organization_id": cast.organization_id,
        "project_ids": [cast.project.id],
        "starts_on": today(),
        "ends_on": today() + timedelta(days=365),
    }
    values.update(overrides)
    return ops.AgreementInput(**values)


def create(cast: Cast, actor: User | None = None, **overrides: Any) -> Agreement:
    agreement = ops.create_agreement(actor or cast.staff, agreement_input(cast, **overrides))
    db.session.commit()
    return agreement


def schedule(*amounts: int, project_ids: tuple[int | None, ...] = ()) -> tuple[Tranche, ...]:
    """Tranches 10, 100, 190 … days from today."""
    return tuple(
        Tranche(
            today() + timedelta(days=10 + 90 * index), amount, project_ids[index] if project_ids else None
        )
        for index, amount in enumerate(amounts)
    )


def funded(**overrides: Any) -> ops.VersionInput:
    values: dict[str, Any] = {
        "terms": TERMS,
        "committed_amount": COMMITTED,
        "tranches": schedule(1_000_000, 2_000_000),
    }
    values.update(overrides)
    return ops.VersionInput(**values)


def draft(agreement: Agreement, actor: User, data: ops.VersionInput | None = None) -> AgreementVersion:
    version = ops.add_version(agreement, actor, data or funded())
    db.session.commit()
    return version


def propose(agreement: Agreement, actor: User, version: AgreementVersion) -> AgreementVersion:
    ops.transition(agreement, actor, ops.TransitionRequest("propose", version_id=version.id))
    db.session.commit()
    return version


def sign(agreement: Agreement, user: User, version: AgreementVersion) -> AgreementSignature:
    signature = ops.sign(agreement, user, version_id=version.id, content_sha256=version.content_sha256)
    db.session.commit()
    return signature


def proposed(
    cast: Cast, data: ops.VersionInput | None = None, **overrides: Any
) -> tuple[Agreement, AgreementVersion]:
    agreement = create(cast, **overrides)
    version = propose(agreement, cast.staff, draft(agreement, cast.staff, data))
    return agreement, version


def active(
    cast: Cast, data: ops.VersionInput | None = None, **overrides: Any
) -> tuple[Agreement, AgreementVersion]:
    agreement, version = proposed(cast, data, **overrides)
    sign(agreement, cast.company, version)
    sign(agreement, cast.org, version)
    assert agreement.status == "active"
    return agreement, version


def amend(agreement: Agreement, actor: User, **changes: Any) -> AgreementVersion:
    """A new version starting from the one in force, with ``changes`` applied, proposed."""
    assert agreement.current_version is not None
    data = replace(ops.fresh_copy(agreement.current_version), **changes)
    return propose(agreement, actor, draft(agreement, actor, data))


def actions(agreement: Agreement) -> list[str]:
    return [event.action for event in ops.events(agreement)]


def notified(title_part: str) -> set[int]:
    rows = db.session.scalars(
        select(Notification).where(Notification.kind == "agreement", Notification.title.contains(title_part))
    )
    return {note.user_id for note in rows}


WATCHED = (
    "agreements",
    "agreement_parties",
    "agreement_projects",
    "agreement_versions",
    "agreement_signatures",
    "agreement_comments",
    "agreement_reminders",
    "pledges",
    "ledger_entries",
    "audit_events",
    "notifications",
    "introductions",
)


def snapshot(*, lock_touch: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an agreement operation may touch (flushing what the session holds, so
    a half-done change shows up too). ``lock_touch=False`` leaves out ``agreements.updated_at``,
    which the operations bump to take the agreement's row lock before they check anything."""
    db.session.flush()
    tables = db.metadata.tables
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for name in WATCHED:
        table = tables[name]
        columns = [c for c in table.columns if lock_touch or (name, c.name) != ("agreements", "updated_at")]
        statement = select(*columns).order_by(*table.primary_key.columns)
        rows[name] = [tuple(row) for row in db.session.execute(statement).all()]
    return rows


# ─────────────────────────────── creating an agreement ───────────────────────────────


def test_staff_broker_an_agreement_as_its_witness_and_both_parties_hear_of_it(cast: Cast) -> None:
    agreement = ops.create_agreement(
        cast.staff, agreement_input(cast, title="  助老战略合作协议  ", project_ids=[cast.project.id])
    )
    assert mail.outbox() == []  # queued until the transaction commits
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    assert (agreement.status, agreement.type, agreement.title) == (
        "draft",
        "strategic_cooperation",
        "助老战略合作协议",
    )
    assert agreement.broker_id == cast.staff.id and agreement.created_by_id == cast.staff.id
    assert [
        (p.role, p.company_id, p.organization_id, p.signatory, p.signer_id) for p in agreement.parties
    ] == [
        ("company", cast.company_id, None, True, None),
        ("organization", None, cast.organization_id, True, None),
    ]
    assert [p.display_name for p in agreement.parties] == ["温州瓯江实业有限公司", "鹿城区彩虹公益服务中心"]
    assert agreement.project_ids == [cast.project.id]
    assert agreement.versions == [] and agreement.current_version is None
    assert (agreement.starts_on, agreement.ends_on) == (today(), today() + timedelta(days=365))

    (event,) = ops.events(agreement)
    assert (event.action, event.actor_id, event.acting_for) == ("agreement.created", cast.staff.id, "staff")
    assert event.payload["project_ids"] == [cast.project.id]
    # Both parties' members are told; the broker who created it is not told about his own act.
    members = {cast.company.id, cast.colleague.id, cast.org.id, cast.org_colleague.id}
    assert notified("新的合作协议") == members
    assert {m.to for m in mail.outbox()} == {
        cast.company.email,
        cast.colleague.email,
        cast.org.email,
        cast.org_colleague.email,
    }
    assert all(m.subject == "【青亲筹】新的合作协议：助老战略合作协议" for m in mail.outbox())
    assert all(f"/agreements/{agreement.id}" in m.body for m in mail.outbox())


@pytest.mark.parametrize("who, acting_for", [("company", "company"), ("org", "organization")])
def test_a_member_of_either_party_proposes_an_agreement_without_a_broker(
    cast: Cast, who: str, acting_for: str
) -> None:
    actor = getattr(cast, who)
    agreement = create(cast, actor)
    assert agreement.broker_id is None and agreement.created_by_id == actor.id
    party_id = cast.company_id if who == "company" else cast.organization_id
    (event,) = ops.events(agreement)
    assert (event.actor_id, event.acting_for) == (actor.id, f"{acting_for}:{party_id}")
    assert cast.staff.id not in notified("新的合作协议")  # no broker yet, so no staff to tell

    ops.take_over_as_broker(agreement, cast.staff)
    db.session.commit()
    assert fresh(Agreement, agreement.id).broker_id == cast.staff.id
    assert actions(agreement)[-1] == "agreement.broker_set"


@pytest.mark.parametrize(
    "who, company",
    [
        ("company", "other"),  # a member of company C proposes for another company and O
        ("other_company", "own"),  # a member of another company proposes for C and O
        ("other_org", "own"),  # a member of another organization proposes for C and O
    ],
)
def test_a_member_cannot_create_an_agreement_between_other_parties(
    cast: Cast, who: str, company: str
) -> None:
    company_id = cast.other_company.company_id if company == "other" else cast.company_id
    before = snapshot()
    with pytest.raises(Forbidden) as refused:
        ops.create_agreement(getattr(cast, who), agreement_input(cast, company_id=company_id))
    assert refused.value.status == 403 and refused.value.fields == {"agreement": "只能为本单位发起协议"}
    assert snapshot() == before


def test_unverified_parties_cannot_enter_an_agreement(cast: Cast) -> None:
    company = factories.company_member(verified=False, name="未认证的科技公司")
    org = factories.org_member(verified=False, name="未认证的读书会")
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        ops.create_agreement(
            cast.staff,
            agreement_input(
                cast, company_id=company.company_id, organization_id=org.organization_id, project_ids=[]
            ),
        )
    assert set(refused.value.fields) == {"company_id", "organization_id"}
    assert "未认证的科技公司" in refused.value.fields["company_id"]
    assert "未认证的读书会" in refused.value.fields["organization_id"]
    assert snapshot() == before


def test_a_league_body_is_the_witness_and_never_a_party(cast: Cast) -> None:
    league = db.session.get(Organization, cast.other_org.organization_id)
    league.is_league_body = True
    db.session.commit()
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        ops.create_agreement(cast.staff, agreement_input(cast, organization_id=league.id, project_ids=[]))
    assert refused.value.fields == {"organization_id": "团区委所属机构是见证方，不能作为签约方"}
    assert snapshot() == before


@pytest.mark.parametrize(
    "projects, reason",
    [
        ("foreign", "不属于 鹿城区彩虹公益服务中心"),
        ("draft", "不能纳入协议"),
        ("missing", "找不到项目"),
        ("twice", "关联项目有重复"),
    ],
)
def test_only_the_organizations_own_visible_projects_can_be_linked(
    cast: Cast, projects: str, reason: str
) -> None:
    ids = {
        "foreign": [cast.project.id, cast.foreign.id],
        "draft": [cast.draft.id],
        "missing": [987_654],
        "twice": [cast.project.id, cast.project.id],
    }[projects]
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        ops.create_agreement(cast.staff, agreement_input(cast, project_ids=ids))
    assert type(refused.value) is DomainError and set(refused.value.fields) == {"project_ids"}
    assert reason in refused.value.fields["project_ids"]
    assert snapshot() == before


def test_an_introduction_must_be_between_the_same_company_and_organization(cast: Cast) -> None:
    elsewhere = matching.send_introduction(cast.staff, cast.company.company, cast.foreign, "护水项目")
    other_company = matching.send_introduction(cast.staff, cast.other_company.company, cast.project, "")
    matching_one = matching.send_introduction(cast.staff, cast.company.company, cast.second, "课后托管")
    db.session.commit()
    before = snapshot()
    for introduction_id in (elsewhere.id, other_company.id, 987_654):
        with pytest.raises(DomainError) as refused:
            ops.create_agreement(cast.staff, agreement_input(cast, introduction_id=introduction_id))
        assert refused.value.fields == {"introduction_id": "该牵线介绍与所选企业和社会组织不符"}
    assert snapshot() == before

    agreement = create(cast, introduction_id=matching_one.id)
    assert agreement.introduction_id == matching_one.id
    assert ops.events(agreement)[0].payload["introduction_id"] == matching_one.id


# ─────────────────────────────── bad input: field reason, nothing changed ───────────────────────────────


@dataclass(frozen=True)
class BadCase:
    name: str
    setup: Callable[[Cast], Callable[[], Any]]  # prepares (and commits) the state; returns the attempt
    error: type[DomainError]
    field: str
    reason: str


def _end_before_start(cast: Cast) -> Callable[[], Any]:
    return lambda: ops.create_agreement(
        cast.staff, agreement_input(cast, starts_on=today(), ends_on=today() - timedelta(days=1))
    )


def _end_on_start(cast: Cast) -> Callable[[], Any]:
    return lambda: ops.create_agreement(cast.staff, agreement_input(cast, starts_on=today(), ends_on=today()))


def _version_ends_before_it_starts(cast: Cast) -> Callable[[], Any]:
    agreement = create(cast)
    data = funded(starts_on=today() + timedelta(days=30), ends_on=today() + timedelta(days=20))
    return lambda: ops.add_version(agreement, cast.staff, data)


def _notice_longer_than_term(cast: Cast) -> Callable[[], Any]:
    return lambda: ops.create_agreement(
        cast.staff, agreement_input(cast, ends_on=today() + timedelta(days=60), renewal_notice_days=90)
    )


def _notice_as_long_as_term(cast: Cast) -> Callable[[], Any]:
    return lambda: ops.create_agreement(
        cast.staff, agreement_input(cast, ends_on=today() + timedelta(days=60), renewal_notice_days=60)
    )


def _version_notice_longer_than_term(cast: Cast) -> Callable[[], Any]:
    agreement = create(cast)
    data = ops.VersionInput(terms=TERMS, ends_on=today() + timedelta(days=20))  # notice stays 30 days
    return lambda: ops.add_version(agreement, cast.staff, data)


def _editing_a_proposed_version(cast: Cast) -> Callable[[], Any]:
    _agreement, version = proposed(cast)
    changed = funded(terms=replace(TERMS, scope="改成只做助餐，不做上门送餐"))
    return lambda: ops.update_version(version, cast.staff, changed)


def _signing(user: str, version_of: str = "proposed") -> Callable[[Cast], Callable[[], Any]]:
    def setup(cast: Cast) -> Callable[[], Any]:
        agreement, version = proposed(cast)
        return lambda: ops.sign(
            agreement, getattr(cast, user), version_id=version.id, content_sha256=version.content_sha256
        )

    return setup


def _signing_twice(second: str) -> Callable[[Cast], Callable[[], Any]]:
    def setup(cast: Cast) -> Callable[[], Any]:
        agreement, version = proposed(cast)
        sign(agreement, cast.company, version)
        return lambda: ops.sign(
            agreement, getattr(cast, second), version_id=version.id, content_sha256=version.content_sha256
        )

    return setup


def _asking_to_activate(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    sign(agreement, cast.company, version)
    return lambda: ops.transition(
        agreement, cast.staff, ops.TransitionRequest("activate", version_id=version.id)
    )


def _terminating_without_reason(cast: Cast) -> Callable[[], Any]:
    agreement, _version = active(cast)
    return lambda: ops.transition(agreement, cast.company, ops.TransitionRequest("terminate", reason="   "))


def _terminating_directly_without_reason(cast: Cast) -> Callable[[], Any]:
    agreement, _version = active(cast)
    return lambda: ops.terminate(agreement, cast.staff, reason="")


def _terminating_before_activation(cast: Cast) -> Callable[[], Any]:
    agreement, _version = proposed(cast)
    return lambda: ops.transition(
        agreement, cast.staff, ops.TransitionRequest("terminate", reason="合作方变更")
    )


def _cancelling_an_active_agreement(cast: Cast) -> Callable[[], Any]:
    agreement, _version = active(cast)
    return lambda: ops.transition(agreement, cast.staff, ops.TransitionRequest("cancel", reason="不想要了"))


def _declining_without_reason(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    return lambda: ops.transition(
        agreement, cast.org, ops.TransitionRequest("decline", version_id=version.id)
    )


def _unknown_action(cast: Cast) -> Callable[[], Any]:
    agreement, _version = proposed(cast)
    return lambda: ops.transition(agreement, cast.staff, ops.TransitionRequest("approve"))


def _funding(**changes: Any) -> Callable[[Cast], Callable[[], Any]]:
    def setup(cast: Cast) -> Callable[[], Any]:
        agreement = create(cast)
        return lambda: ops.add_version(agreement, cast.staff, funded(**changes))

    return setup


def _linked_to_two(**changes: Any) -> Callable[[Cast], Callable[[], Any]]:
    def setup(cast: Cast) -> Callable[[], Any]:
        agreement = create(cast, project_ids=[cast.project.id, cast.second.id])
        return lambda: ops.add_version(agreement, cast.staff, funded(**changes))

    return setup


def _signing_a_withdrawn_version(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    ops.transition(
        agreement, cast.org, ops.TransitionRequest("request_changes", version_id=version.id, reason="改日期")
    )
    db.session.commit()
    return lambda: ops.sign(
        agreement, cast.company, version_id=version.id, content_sha256=version.content_sha256
    )


def _signing_a_superseded_version(cast: Cast) -> Callable[[], Any]:
    agreement, first = active(cast)
    second = amend(agreement, cast.staff, terms=replace(TERMS, scope="扩大到南汇街道"))
    sign(agreement, cast.company, second)
    sign(agreement, cast.org, second)
    assert fresh(AgreementVersion, first.id).status == "superseded"
    return lambda: ops.sign(agreement, cast.company, version_id=first.id, content_sha256=first.content_sha256)


def _signing_a_draft(cast: Cast) -> Callable[[], Any]:
    agreement = create(cast)
    version = draft(agreement, cast.staff)
    return lambda: ops.sign(agreement, cast.org, version_id=version.id, content_sha256=version.content_sha256)


def _signing_another_hash(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    other = "f" * 64
    assert other != version.content_sha256
    return lambda: ops.sign(agreement, cast.org, version_id=version.id, content_sha256=other)


def _signing_without_hash(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    return lambda: ops.transition(agreement, cast.org, ops.TransitionRequest("sign", version_id=version.id))


def _signing_tampered_content(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    content = dict(version.content)
    content["terms"] = {**content["terms"], "scope": "企业另行追加拨付 ¥1,000,000"}
    db.session.execute(
        AgreementVersion.__table__.update().where(AgreementVersion.id == version.id).values(content=content)
    )
    db.session.commit()
    db.session.expire_all()
    stored_hash = version.content_sha256  # unchanged: only the content was edited behind its back
    return lambda: ops.sign(agreement, cast.org, version_id=version.id, content_sha256=stored_hash)


def _not_the_authorised_signer(cast: Cast) -> Callable[[], Any]:
    agreement, version = proposed(cast)
    company_party = agreement.parties[0]
    ops.set_signer(agreement, company_party, cast.staff, signer_id=cast.company.id, title="总经理")
    db.session.commit()
    return lambda: ops.sign(
        agreement, cast.colleague, version_id=version.id, content_sha256=version.content_sha256
    )


def _second_version_in_play(cast: Cast) -> Callable[[], Any]:
    agreement = create(cast)
    draft(agreement, cast.staff)
    return lambda: ops.add_version(agreement, cast.org, funded())


BAD_CASES = [
    BadCase("end-before-start", _end_before_start, DomainError, "ends_on", "结束日期必须晚于开始日期"),
    BadCase("end-on-start", _end_on_start, DomainError, "ends_on", "结束日期必须晚于开始日期"),
    BadCase("version-end-before-start", _version_ends_before_it_starts, DomainError, "ends_on", "必须晚于"),
    BadCase(
        "notice-longer-than-term",
        _notice_longer_than_term,
        DomainError,
        "renewal_notice_days",
        "必须短于协议期限",
    ),
    BadCase(
        "notice-as-long-as-term",
        _notice_as_long_as_term,
        DomainError,
        "renewal_notice_days",
        "必须短于协议期限",
    ),
    BadCase(
        "version-notice-longer-than-term",
        _version_notice_longer_than_term,
        DomainError,
        "renewal_notice_days",
        "必须短于协议期限（20 天）",
    ),
    BadCase("editing-a-proposed-version", _editing_a_proposed_version, Conflict, "terms", "条款不可再改"),
    BadCase("non-party-signing", _signing("other_company"), Forbidden, "signer", "只有协议签约方可以签署"),
    BadCase(
        "other-organization-signing", _signing("other_org"), Forbidden, "signer", "只有协议签约方可以签署"
    ),
    BadCase("broker-signing", _signing("staff"), Forbidden, "signer", "团区委是协议的见证方"),
    BadCase("other-staff-signing", _signing("other_staff"), Forbidden, "signer", "团区委是协议的见证方"),
    BadCase("party-signing-twice", _signing_twice("company"), Conflict, "signer", "不能重复签署"),
    BadCase(
        "colleague-signing-after-the-party-signed",
        _signing_twice("colleague"),
        Conflict,
        "signer",
        "不能重复签署",
    ),
    BadCase("asking-to-activate-with-one-signature", _asking_to_activate, DomainError, "action", "propose"),
    BadCase(
        "terminating-without-reason",
        _terminating_without_reason,
        DomainError,
        "reason",
        "终止协议必须填写理由",
    ),
    BadCase(
        "terminate-call-without-reason",
        _terminating_directly_without_reason,
        DomainError,
        "reason",
        "必须填写理由",
    ),
    BadCase("terminating-before-activation", _terminating_before_activation, Conflict, "action", "待签署"),
    BadCase("cancelling-an-active-agreement", _cancelling_an_active_agreement, Conflict, "action", "生效中"),
    BadCase("declining-without-reason", _declining_without_reason, DomainError, "reason", "拒绝签署的理由"),
    BadCase("unknown-action", _unknown_action, DomainError, "action", "propose"),
    BadCase("committed-zero", _funding(committed_amount=0), DomainError, "committed_amount", "必须大于 0"),
    BadCase(
        "committed-negative", _funding(committed_amount=-100), DomainError, "committed_amount", "必须大于 0"
    ),
    BadCase(
        "tranches-short-of-committed",
        _funding(tranches=schedule(1_000_000, 1_000_000)),
        DomainError,
        "tranches",
        "各期金额合计 ¥20,000",
    ),
    BadCase(
        "tranches-above-committed",
        _funding(tranches=schedule(1_000_000, 2_000_001)),
        DomainError,
        "tranches",
        "不一致",
    ),
    BadCase("committed-without-tranches", _funding(tranches=()), DomainError, "tranches", "至少一期"),
    BadCase(
        "tranches-without-committed",
        _funding(committed_amount=None),
        DomainError,
        "committed_amount",
        "承诺资助总额",
    ),
    BadCase(
        "tranche-of-zero",
        _funding(tranches=schedule(3_000_000, 0)),
        DomainError,
        "tranches[1].amount",
        "大于 0",
    ),
    BadCase(
        "tranche-after-the-end",
        _funding(tranches=(Tranche(today() + timedelta(days=400), COMMITTED),)),
        DomainError,
        "tranches[0].due_on",
        "拨付日期须在协议期限内",
    ),
    BadCase(
        "tranche-naming-no-project-of-two",
        _linked_to_two(),
        DomainError,
        "tranches[0].project_id",
        "请为每一期指定资助的项目",
    ),
    BadCase("signing-a-withdrawn-version", _signing_a_withdrawn_version, Conflict, "version_id", "已撤回"),
    BadCase(
        "signing-a-superseded-version", _signing_a_superseded_version, Conflict, "version_id", "已被替代"
    ),
    BadCase("signing-a-draft", _signing_a_draft, Conflict, "version_id", "还是草稿"),
    BadCase("signing-another-hash", _signing_another_hash, Conflict, "content_sha256", "不一致"),
    BadCase("signing-without-a-hash", _signing_without_hash, DomainError, "content_sha256", "内容哈希"),
    BadCase("signing-tampered-content", _signing_tampered_content, Conflict, "content_sha256", "不符"),
    BadCase(
        "not-the-authorised-signer", _not_the_authorised_signer, Forbidden, "signer", "授权签署人是企业成员"
    ),
    BadCase("second-version-in-play", _second_version_in_play, Conflict, "version", "尚在草拟或待签署"),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[case.name for case in BAD_CASES])
def test_bad_input_is_refused_with_the_field_and_changes_nothing(cast: Cast, case: BadCase) -> None:
    attempt = case.setup(cast)
    db.session.commit()
    db.session.expire_all()
    before, untouched = snapshot(), snapshot(lock_touch=False)

    with pytest.raises(DomainError) as refused:
        attempt()

    assert type(refused.value) is case.error, refused.value
    assert case.field in refused.value.fields, refused.value.fields
    assert case.reason in refused.value.fields[case.field]
    # Refused before changing anything but the lock's touch: even a caller that committed now would
    # change no state, version, signature, pledge, event or notification.
    assert snapshot(lock_touch=False) == untouched
    db.session.rollback()
    assert snapshot() == before


def test_one_of_two_signatures_does_not_activate_the_agreement(cast: Cast) -> None:
    agreement, version = proposed(cast)
    signature = sign(agreement, cast.company, version)

    agreement = fresh(Agreement, agreement.id)
    assert agreement.status == "pending_signature" and agreement.current_version_id is None
    assert agreement.activated_at is None
    version = db.session.get(AgreementVersion, version.id)
    assert version.status == "proposed" and version.signed_at is None
    assert (signature.party_id, signature.signer_id, signature.decision, signature.version_sha256) == (
        agreement.parties[0].id,
        cast.company.id,
        "signed",
        version.content_sha256,
    )
    assert signature.signer_name == cast.company.name
    assert ops.agreement_pledges(agreement) == []
    assert "agreement.activated" not in actions(agreement)
    assert [a.id for a, _ in ops.awaiting_my_signature(cast.org)] == [agreement.id]
    assert ops.awaiting_my_signature(cast.company) == [] and ops.awaiting_my_signature(cast.colleague) == []
    assert notified("已签署") >= {cast.org.id, cast.org_colleague.id, cast.staff.id}


# ─────────────────────────────── signers ───────────────────────────────


def test_the_named_signer_signs_for_the_party_and_only_a_member_can_be_named(cast: Cast) -> None:
    agreement, version = proposed(cast)
    company_party, org_party = agreement.parties
    with pytest.raises(DomainError) as refused:
        ops.set_signer(agreement, company_party, cast.staff, signer_id=cast.org.id)
    assert set(refused.value.fields) == {"signer_id"}
    with pytest.raises(Forbidden):
        ops.set_signer(agreement, company_party, cast.org, signer_id=cast.org.id)
    db.session.rollback()

    ops.set_signer(agreement, org_party, cast.org, signer_id=cast.org_colleague.id, title="理事长")
    db.session.commit()
    assert ops.can_sign(org_party, cast.org_colleague) and not ops.can_sign(org_party, cast.org)
    assert [a.id for a, _ in ops.awaiting_my_signature(cast.org_colleague)] == [agreement.id]
    assert ops.awaiting_my_signature(cast.org) == []

    sign(agreement, cast.colleague, version)  # no signer named for the company: any member signs
    signature = sign(agreement, cast.org_colleague, version)
    assert signature.signer_title == "理事长"
    assert fresh(Agreement, agreement.id).status == "active"
    event = next(e for e in ops.events(agreement) if e.action == "agreement.signer_set")
    assert (event.acting_for, event.payload["signer_id"]) == (
        f"organization:{cast.organization_id}",
        cast.org_colleague.id,
    )


# ─────────────────────────────── negotiating ───────────────────────────────


def test_a_request_for_changes_withdraws_the_version_and_its_signatures_lapse(cast: Cast) -> None:
    agreement, first = proposed(cast)
    sign(agreement, cast.company, first)
    reason = "请把第二期拨付提前到第一季度"
    ops.transition(
        agreement, cast.org, ops.TransitionRequest("request_changes", version_id=first.id, reason=reason)
    )
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    first = db.session.get(AgreementVersion, first.id)
    assert agreement.status == "negotiating" and agreement.pending_version is None
    assert (first.status, first.close_reason) == ("withdrawn", reason) and first.closed_at is not None
    (comment,) = ops.comments(agreement)
    assert (comment.kind, comment.body, comment.version_id, comment.author_id, comment.acting_for) == (
        "request_changes",
        reason,
        first.id,
        cast.org.id,
        "鹿城区彩虹公益服务中心",
    )
    event = ops.events(agreement)[-1]
    assert (event.action, event.acting_for, event.payload["reason"]) == (
        "agreement.changes_requested",
        f"organization:{cast.organization_id}",
        reason,
    )
    assert notified("要求修改") == {cast.company.id, cast.colleague.id, cast.org_colleague.id, cast.staff.id}
    assert ops.awaiting_my_signature(cast.org) == []

    # The next round: the company's signature on the withdrawn version counts for nothing.
    tranches = (
        Tranche(today() + timedelta(days=10), 2_000_000),
        Tranche(today() + timedelta(days=60), 1_000_000),
    )
    second = propose(agreement, cast.staff, draft(agreement, cast.staff, funded(tranches=tranches)))
    assert second.version_no == 2 and second.content_sha256 != first.content_sha256
    assert [a.id for a, _ in ops.awaiting_my_signature(cast.company)] == [agreement.id]
    sign(agreement, cast.org, second)
    agreement = fresh(Agreement, agreement.id)
    assert agreement.status == "pending_signature"
    assert ops.agreement_pledges(agreement) == []
    sign(agreement, cast.company, second)
    agreement = fresh(Agreement, agreement.id)
    assert agreement.status == "active" and agreement.current_version_id == second.id
    assert db.session.get(AgreementVersion, first.id).status == "withdrawn"  # not superseded: never in force
    assert [p.amount for p in ops.agreement_pledges(agreement)] == [2_000_000, 1_000_000]


def test_declining_the_first_version_cancels_the_agreement(cast: Cast) -> None:
    agreement, version = proposed(cast)
    reason = "董事会未批准本年度预算"
    ops.transition(
        agreement, cast.company, ops.TransitionRequest("decline", version_id=version.id, reason=reason)
    )
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    assert (agreement.status, agreement.end_reason) == (
        "cancelled",
        reason,
    ) and agreement.ended_at is not None
    version = db.session.get(AgreementVersion, version.id)
    assert version.status == "withdrawn"
    assert [(s.party_id, s.decision, s.reason, s.version_sha256) for s in version.signatures] == [
        (agreement.parties[0].id, "declined", reason, version.content_sha256)
    ]
    assert [(c.kind, c.body) for c in ops.comments(agreement)] == [("decline", reason)]
    assert actions(agreement)[-1] == "agreement.declined"
    assert ops.events(agreement)[-1].acting_for == f"company:{cast.company_id}"
    assert notified("拒绝签署") == {cast.org.id, cast.org_colleague.id, cast.staff.id, cast.colleague.id}
    with pytest.raises(Conflict):
        ops.sign(agreement, cast.org, version_id=version.id, content_sha256=version.content_sha256)
    with pytest.raises(Conflict):
        ops.add_version(agreement, cast.staff, funded())
    db.session.rollback()
    assert ops.agreement_pledges(agreement) == []


def test_declining_an_amendment_keeps_the_agreement_on_its_current_terms(cast: Cast) -> None:
    agreement, first = active(cast)
    scheduled = [(p.id, p.status, p.amount) for p in ops.agreement_pledges(agreement)]
    period = (agreement.starts_on, agreement.ends_on)
    amendment = amend(agreement, cast.org, committed_amount=1_500_000, tranches=schedule(500_000, 1_000_000))
    assert amendment.kind == "amendment" and fresh(Agreement, agreement.id).status == "active"

    ops.transition(
        agreement,
        cast.company,
        ops.TransitionRequest("decline", version_id=amendment.id, reason="资助额不变"),
    )
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    assert agreement.status == "active" and agreement.current_version_id == first.id
    assert agreement.ended_at is None and agreement.end_reason is None
    assert (agreement.starts_on, agreement.ends_on) == period
    assert db.session.get(AgreementVersion, first.id).status == "signed"
    assert db.session.get(AgreementVersion, amendment.id).status == "withdrawn"
    assert [(p.id, p.status, p.amount) for p in ops.agreement_pledges(agreement)] == scheduled
    assert ops.money_summary(agreement).committed == COMMITTED


def test_a_draft_can_be_discarded_and_a_party_can_cancel_before_activation(cast: Cast) -> None:
    agreement = create(cast)
    first = draft(agreement, cast.org)
    ops.discard_draft(first, cast.company)
    db.session.commit()
    first = fresh(AgreementVersion, first.id)
    assert (first.status, first.close_reason) == ("withdrawn", "草稿已撤回")
    assert fresh(Agreement, agreement.id).status == "negotiating"

    second = draft(agreement, cast.org)
    assert second.version_no == 2
    ops.transition(agreement, cast.org, ops.TransitionRequest("cancel", reason="合作方向调整"))
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    assert (agreement.status, agreement.end_reason) == ("cancelled", "合作方向调整")
    assert db.session.get(AgreementVersion, second.id).status == "withdrawn"
    company, org = f"company:{cast.company_id}", f"organization:{cast.organization_id}"
    assert [(e.action, e.acting_for) for e in ops.events(agreement)][-3:] == [
        ("agreement.version_discarded", company),
        ("agreement.version_created", org),
        ("agreement.cancelled", org),
    ]
    assert notified("协议已取消") == {
        cast.company.id,
        cast.colleague.id,
        cast.org_colleague.id,
        cast.staff.id,
    }
    with pytest.raises(Conflict):
        ops.add_comment(agreement, cast.company, version_id=None, body="还能谈吗？")
    db.session.rollback()


# ─────────────────────────────── amendments and renewals ───────────────────────────────


def test_an_amendment_supersedes_the_signed_version_while_the_agreement_stays_active(cast: Cast) -> None:
    agreement, first = active(cast)
    wider = replace(TERMS, scope="助餐服务扩大到南汇街道", volunteers=120)
    amendment = ops.add_version(agreement, cast.org, replace(ops.fresh_copy(first), terms=wider))
    db.session.commit()
    assert (amendment.version_no, amendment.kind, amendment.status) == (2, "amendment", "draft")
    assert fresh(Agreement, agreement.id).status == "active"
    amendment = db.session.get(AgreementVersion, amendment.id)
    ops.update_version(
        amendment, cast.company, replace(ops.fresh_copy(first), terms=replace(wider, volunteers=150))
    )
    db.session.commit()
    propose(agreement, cast.company, amendment)
    assert amendment.terms_value.volunteers == 150

    sign(agreement, cast.company, amendment)
    agreement = fresh(Agreement, agreement.id)
    assert agreement.status == "active" and agreement.current_version_id == first.id  # not yet
    sign(agreement, cast.org, amendment)

    agreement = fresh(Agreement, agreement.id)
    first = db.session.get(AgreementVersion, first.id)
    assert agreement.status == "active" and agreement.current_version_id == amendment.id
    assert first.status == "superseded" and "第 2 版" in (first.close_reason or "")
    assert db.session.get(AgreementVersion, amendment.id).status == "signed"
    assert [v.status for v in agreement.versions] == ["superseded", "signed"]
    activated = [e for e in ops.events(agreement) if e.action == "agreement.activated"]
    assert [e.payload["superseded_version_id"] for e in activated] == [None, first.id]
    assert [e.action for e in ops.events(agreement)].count("agreement.version_edited") == 1


def test_a_renewal_moves_the_agreement_to_the_dates_of_the_version_signed(cast: Cast) -> None:
    agreement, first = active(cast)
    old_end = agreement.ends_on
    new_start = today() + timedelta(days=5)
    new_end = old_end + timedelta(days=365)
    renewal = amend(
        agreement,
        cast.staff,
        starts_on=new_start,
        ends_on=new_end,
        auto_renew=True,
        renewal_notice_days=60,
        tranches=(
            Tranche(today() + timedelta(days=10), 1_000_000),
            Tranche(old_end + timedelta(days=30), 2_000_000),
        ),
    )
    assert renewal.kind == "renewal"
    agreement = fresh(Agreement, agreement.id)
    assert (agreement.starts_on, agreement.ends_on, agreement.auto_renew) == (today(), old_end, False)

    sign(agreement, cast.org, renewal)
    sign(agreement, cast.company, renewal)

    agreement = fresh(Agreement, agreement.id)
    assert (agreement.starts_on, agreement.ends_on) == (new_start, new_end)
    assert (agreement.auto_renew, agreement.renewal_notice_days) == (True, 60)
    assert agreement.current_version_id == renewal.id
    assert db.session.get(AgreementVersion, first.id).status == "superseded"


# ─────────────────────────────── the money link ───────────────────────────────


def test_activation_schedules_each_tranche_as_a_pending_bank_transfer_on_the_linked_project(
    cast: Cast,
) -> None:
    agreement, version = active(cast)

    scheduled = ops.agreement_pledges(agreement)
    assert [
        (
            p.project_id,
            p.company_id,
            p.amount,
            p.due_on,
            p.tranche_no,
            p.method,
            p.status,
            p.agreement_version_id,
        )
        for p in scheduled
    ] == [
        (
            cast.project.id,
            cast.company_id,
            1_000_000,
            today() + timedelta(days=10),
            1,
            "bank_transfer",
            "pending",
            version.id,
        ),
        (
            cast.project.id,
            cast.company_id,
            2_000_000,
            today() + timedelta(days=100),
            2,
            "bank_transfer",
            "pending",
            version.id,
        ),
    ]
    assert all(p.purpose == "长者助餐点" and p.organization_id == cast.organization_id for p in scheduled)
    summary = ops.money_summary(agreement)
    assert (summary.committed, summary.scheduled, summary.received, summary.outstanding, summary.percent) == (
        COMMITTED,
        COMMITTED,
        0,
        COMMITTED,
        0,
    )
    assert fresh(Project, cast.project.id).raised_amount == 0  # promised is not received
    activated = next(e for e in ops.events(agreement) if e.action == "agreement.activated")
    assert activated.payload["scheduled_pledge_ids"] == [p.id for p in scheduled]


def test_without_a_project_the_money_goes_to_the_organizations_agreement_account(cast: Cast) -> None:
    agreement, _version = active(cast, project_ids=[])
    first, second = ops.agreement_pledges(agreement)
    assert (first.project_id, second.project_id) == (None, None)
    assert first.organization_id == cast.organization_id
    assert first.purpose == "《助老战略合作协议》协议资金"

    pledges.confirm_offline_pledge(
        first, cast.staff, received_amount=1_000_000, bank_reference="ICBC20261201001"
    )
    db.session.commit()

    first = fresh(Pledge, first.id)
    assert (first.status, first.paid_amount, first.bank_reference, first.confirmed_by_id) == (
        "paid",
        1_000_000,
        "ICBC20261201001",
        cast.staff.id,
    )
    rows = db.session.execute(
        select(LedgerEntry.project_id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.account).where(
            LedgerEntry.pledge_id == first.id
        )
    ).all()
    assert [tuple(row) for row in rows] == [
        (None, "pledge_paid", 1_000_000, f"{first.payee_kind}:{first.payee_id}")
    ]
    summary = ops.money_summary(fresh(Agreement, agreement.id))
    assert (summary.committed, summary.received, summary.scheduled, summary.outstanding, summary.percent) == (
        COMMITTED,
        1_000_000,
        2_000_000,
        2_000_000,
        33,
    )
    assert pledges.ledger_mismatches() == []
    assert fresh(Project, cast.project.id).raised_amount == 0  # the account is not a project


def test_with_several_projects_each_tranche_goes_to_the_project_it_names(cast: Cast) -> None:
    tranches = schedule(1_200_000, 1_800_000, project_ids=(cast.second.id, cast.project.id))
    agreement, _version = active(
        cast, funded(tranches=tranches), project_ids=[cast.project.id, cast.second.id]
    )
    first, second = ops.agreement_pledges(agreement)
    assert [(p.project_id, p.amount, p.tranche_no) for p in (first, second)] == [
        (cast.second.id, 1_200_000, 1),
        (cast.project.id, 1_800_000, 2),
    ]

    pledges.confirm_offline_pledge(second, cast.staff, received_amount=1_800_000, bank_reference="ABC-88001")
    db.session.commit()
    assert fresh(Project, cast.project.id).raised_amount == 1_800_000
    assert fresh(Project, cast.second.id).raised_amount == 0
    assert pledges.ledger_total(cast.project.id) == 1_800_000
    assert ops.money_summary(fresh(Agreement, agreement.id)).received == 1_800_000
    assert pledges.ledger_mismatches() == []


def test_an_amendment_after_a_paid_tranche_asks_only_for_what_is_still_due(cast: Cast) -> None:
    agreement, _first = active(cast)
    paid, old_pending = ops.agreement_pledges(agreement)
    pledges.confirm_offline_pledge(paid, cast.staff, received_amount=1_000_000, bank_reference="CCB-0001")
    db.session.commit()

    # Same first tranche, the rest split in two and raised by ¥5,000.
    tranches = (
        Tranche(today() + timedelta(days=10), 1_000_000),
        Tranche(today() + timedelta(days=100), 1_000_000),
        Tranche(today() + timedelta(days=200), 1_500_000),
    )
    amendment = amend(agreement, cast.staff, committed_amount=3_500_000, tranches=tranches)
    sign(agreement, cast.company, amendment)
    sign(agreement, cast.org, amendment)

    db.session.expire_all()
    assert db.session.get(Pledge, paid.id).status == "paid"
    assert db.session.get(Pledge, old_pending.id).status == "cancelled"
    new = [p for p in ops.agreement_pledges(agreement) if p.agreement_version_id == amendment.id]
    assert [(p.amount, p.tranche_no, p.status, p.due_on) for p in new] == [
        (1_000_000, 2, "pending", today() + timedelta(days=100)),
        (1_500_000, 3, "pending", today() + timedelta(days=200)),
    ]
    summary = ops.money_summary(fresh(Agreement, agreement.id))
    assert (summary.committed, summary.received, summary.scheduled, summary.outstanding) == (
        3_500_000,
        1_000_000,
        2_500_000,
        2_500_000,
    )


def test_a_renewal_for_a_new_term_schedules_that_terms_money(cast: Cast) -> None:
    agreement, first = active(cast, funded(committed_amount=1_000_000, tranches=schedule(1_000_000)))
    (paid,) = ops.agreement_pledges(agreement)
    pledges.confirm_offline_pledge(paid, cast.staff, received_amount=1_000_000, bank_reference="CMB-2026-1")
    db.session.commit()

    next_start = first.ends_on + timedelta(days=1)
    renewal = amend(
        agreement,
        cast.staff,
        starts_on=next_start,
        ends_on=next_start + timedelta(days=365),
        committed_amount=1_000_000,
        tranches=(Tranche(next_start + timedelta(days=30), 1_000_000),),
    )
    assert renewal.kind == "renewal"
    sign(agreement, cast.company, renewal)
    sign(agreement, cast.org, renewal)

    due = [p for p in ops.agreement_pledges(agreement) if p.agreement_version_id == renewal.id]
    assert [(p.amount, p.status, p.due_on) for p in due] == [
        (1_000_000, "pending", next_start + timedelta(days=30))
    ]
    summary = ops.money_summary(fresh(Agreement, agreement.id))
    assert (summary.committed, summary.scheduled, summary.outstanding) == (1_000_000, 1_000_000, 1_000_000)


def test_termination_cancels_the_money_still_due_and_keeps_what_was_paid(cast: Cast) -> None:
    agreement, _version = active(cast)
    paid, pending = ops.agreement_pledges(agreement)
    pledges.confirm_offline_pledge(paid, cast.staff, received_amount=1_000_000, bank_reference="BOC-7001")
    db.session.commit()
    reason = "项目场地被征收，双方协商提前终止"
    ops.transition(agreement, cast.company, ops.TransitionRequest("terminate", reason=reason))
    db.session.commit()

    agreement = fresh(Agreement, agreement.id)
    assert (agreement.status, agreement.end_reason) == (
        "terminated",
        reason,
    ) and agreement.ended_at is not None
    assert db.session.get(Pledge, paid.id).status == "paid"
    assert db.session.get(Pledge, pending.id).status == "cancelled"
    summary = ops.money_summary(agreement)
    assert (summary.received, summary.scheduled) == (1_000_000, 0)
    assert fresh(Project, cast.project.id).raised_amount == 1_000_000 == pledges.ledger_total(cast.project.id)
    event = ops.events(agreement)[-1]
    assert (event.action, event.acting_for, event.payload) == (
        "agreement.terminated",
        f"company:{cast.company_id}",
        {"reason": reason},
    )
    assert notified("协议已终止") == {cast.colleague.id, cast.org.id, cast.org_colleague.id, cast.staff.id}


def test_terminating_with_an_amendment_in_play_withdraws_it(cast: Cast) -> None:
    agreement, _first = active(cast)
    amendment = amend(agreement, cast.org, terms=replace(TERMS, dispute="向鹿城区人民法院起诉"))
    ops.transition(agreement, cast.staff, ops.TransitionRequest("terminate", reason="企业经营困难"))
    db.session.commit()
    assert fresh(AgreementVersion, amendment.id).status == "withdrawn"
    with pytest.raises(Conflict):
        ops.sign(agreement, cast.company, version_id=amendment.id, content_sha256=amendment.content_sha256)
    db.session.rollback()


def test_activation_converts_the_open_introduction_of_the_same_pair(cast: Cast) -> None:
    introduction = matching.send_introduction(cast.staff, cast.company.company, cast.project, "长期关注养老")
    elsewhere = matching.send_introduction(cast.staff, cast.company.company, cast.foreign, "")
    someone_else = matching.send_introduction(cast.staff, cast.other_company.company, cast.second, "")
    db.session.commit()
    agreement, _version = proposed(cast, introduction_id=introduction.id)
    assert fresh(Introduction, introduction.id).status == "sent"  # not before it takes effect

    sign(agreement, cast.org, _version)
    sign(agreement, cast.company, _version)

    converted = fresh(Introduction, introduction.id)
    assert (converted.status, converted.converted_via, converted.pledge_id) == (
        "converted",
        "agreement",
        None,
    )
    assert converted.converted_at is not None
    assert db.session.get(Introduction, elsewhere.id).status == "sent"
    assert db.session.get(Introduction, someone_else.id).status == "sent"
    activated = next(e for e in ops.events(agreement) if e.action == "agreement.activated")
    assert activated.payload["introductions_converted"] == 1


# ─────────────────────────────── audit trail and notifications ───────────────────────────────


def test_every_step_is_an_audit_event_naming_who_acted_for_whom_and_the_chain_holds(cast: Cast) -> None:
    agreement = create(cast, cast.org)
    ops.take_over_as_broker(agreement, cast.staff)
    version = ops.add_version(agreement, cast.company, funded())
    db.session.commit()
    ops.update_version(
        version, cast.staff, funded(terms=replace(TERMS, confidentiality="双方对捐赠金额保密"))
    )
    ops.add_comment(agreement, cast.org, version_id=version.id, body="保密条款同意")
    db.session.commit()
    propose(agreement, cast.staff, version)
    sign(agreement, cast.company, version)
    sign(agreement, cast.org, version)
    ops.transition(agreement, cast.staff, ops.TransitionRequest("terminate", reason="合作目标已提前完成"))
    db.session.commit()

    company, org = f"company:{cast.company_id}", f"organization:{cast.organization_id}"
    assert [(e.action, e.actor_id, e.acting_for) for e in ops.events(agreement)] == [
        ("agreement.created", cast.org.id, org),
        ("agreement.broker_set", cast.staff.id, "staff"),
        ("agreement.version_created", cast.company.id, company),
        ("agreement.version_edited", cast.staff.id, "staff"),
        ("agreement.commented", cast.org.id, org),
        ("agreement.proposed", cast.staff.id, "staff"),
        ("agreement.signed", cast.company.id, company),
        ("agreement.signed", cast.org.id, org),
        ("agreement.activated", cast.org.id, org),
        ("agreement.terminated", cast.staff.id, "staff"),
    ]
    events = ops.events(agreement)
    version = fresh(AgreementVersion, version.id)
    assert events[5].payload["content_sha256"] == version.content_sha256
    assert (
        events[3].payload["previous_sha256"] != events[3].payload["content_sha256"] == version.content_sha256
    )
    assert events[6].payload["party_id"] == agreement.parties[0].id
    # The money link writes its own events in the same chain.
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(audit.AuditEvent.action == "pledge.scheduled")
        )
        == 2
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(audit.AuditEvent.action == "pledge.cancelled")
        )
        == 2
    )
    assert all(event.prev_hash and event.hash for event in events)
    assert audit.verify_chain() is None


def test_a_proposal_asks_each_partys_signers_in_app_and_by_mail(cast: Cast) -> None:
    agreement = create(cast)
    company_party = agreement.parties[0]
    ops.set_signer(agreement, company_party, cast.staff, signer_id=cast.colleague.id, title="董事长")
    version = draft(agreement, cast.staff)
    mail.outbox().clear()

    ops.propose(agreement, cast.staff, version_id=version.id)
    assert mail.outbox() == []
    db.session.commit()

    # The company named its signer, so only he is asked; every member of the organization may sign.
    assert notified("请签署") == {cast.colleague.id, cast.org.id, cast.org_colleague.id}
    asked = [m for m in mail.outbox() if "请签署" in m.subject]
    assert sorted(m.to for m in asked) == sorted(
        [cast.colleague.email, cast.org.email, cast.org_colleague.email]
    )
    assert all(version.content_sha256[:16] in m.body for m in asked)

    mail.outbox().clear()
    sign(agreement, cast.colleague, version)
    sign(agreement, cast.org, version)
    everyone = {cast.company.id, cast.colleague.id, cast.org.id, cast.org_colleague.id, cast.staff.id}
    assert notified("协议已生效") == everyone
    assert {m.to for m in mail.outbox() if "协议已生效" in m.subject} == {
        cast.company.email,
        cast.colleague.email,
        cast.org.email,
        cast.org_colleague.email,
        cast.staff.email,
    }


def test_a_failed_step_mails_nobody(cast: Cast) -> None:
    agreement, version = proposed(cast)
    mail.outbox().clear()
    with pytest.raises(Forbidden):
        ops.sign(agreement, cast.other_company, version_id=version.id, content_sha256=version.content_sha256)
    ops.add_comment(agreement, cast.org, version_id=version.id, body="这条留言随回滚一起消失")
    db.session.rollback()
    db.session.commit()
    assert mail.outbox() == []
    assert (
        db.session.scalar(
            select(func.count()).select_from(Notification).where(Notification.title.contains("协商留言"))
        )
        == 0
    )


# ─────────────────────────────── what the signature binds ───────────────────────────────


def test_a_signature_binds_the_exact_content_that_was_proposed(cast: Cast) -> None:
    agreement, version = proposed(cast)
    signature = sign(agreement, cast.company, version)
    version = fresh(AgreementVersion, version.id)
    assert signature.version_sha256 == version.content_sha256
    assert version.content["funding"]["committed_amount"] == COMMITTED
    assert [p["name"] for p in version.content["parties"]] == [
        "温州瓯江实业有限公司",
        "鹿城区彩虹公益服务中心",
    ]
    assert [project["title"] for project in version.content["projects"]] == ["长者助餐点"]
    assert "共青团温州市鹿城区委员会" in version.content["broker"]


def test_tranches_edited_after_the_proposal_are_refused_at_signing(cast: Cast) -> None:
    agreement, version = proposed(cast)
    tampered = [dict(item) for item in version.tranches]
    tampered[0]["amount"], tampered[1]["amount"] = 100, 2_999_900
    db.session.execute(
        text("UPDATE agreement_versions SET tranches = :tranches WHERE id = :id"),
        {"tranches": json.dumps(tampered), "id": version.id},
    )
    db.session.commit()
    db.session.expire_all()
    for signer in (cast.company, cast.org):
        with pytest.raises(Conflict) as refused:
            ops.sign(agreement, signer, version_id=version.id, content_sha256=version.content_sha256)
        assert "content_sha256" in refused.value.fields
        db.session.rollback()
    assert fresh(AgreementVersion, version.id).signatures == []
    assert ops.agreement_pledges(agreement) == []


def test_money_with_nobody_to_receive_it_is_refused_at_proposal_not_at_the_last_signature(ctx) -> None:
    """Without a partner foundation, an organization lacking 公开募捐资格 cannot receive the
    tranches: proposing says so, instead of the last signer meeting an error."""
    staff = factories.staff()
    org = factories.org_member()
    company = factories.company_member()
    agreement = ops.create_agreement(
        staff,
        ops.AgreementInput(
            title="无收款机构的协议",
            company_id=company.company_id,
            organization_id=org.organization_id,
            starts_on=local_today(),
            ends_on=local_today() + timedelta(days=100),
        ),
    )
    version = ops.add_version(
        agreement,
        staff,
        ops.VersionInput(
            terms=Terms(scope="合作", obligations_company="出资", obligations_organization="执行"),
            committed_amount=500_000,
            tranches=(Tranche(local_today() + timedelta(days=10), 500_000),),
        ),
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        ops.propose(agreement, staff, version_id=version.id)
    assert "organization" in refused.value.fields and "收款机构" in refused.value.message
    db.session.rollback()
    assert db.session.get(AgreementVersion, version.id).status == "draft"
    factories.foundation()
    ops.propose(agreement, staff, version_id=version.id)
    db.session.commit()
    assert db.session.get(AgreementVersion, version.id).status == "proposed"
