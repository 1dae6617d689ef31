"""Small factory functions that go through the real operations and commit, like a request would."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import Role, User
from marketplace.extensions import db
from marketplace.parties.operations import PartyInput
from marketplace.parties.uscc import make_uscc
from marketplace.projects import operations as projects
from marketplace.projects.models import Project
from marketplace.projects.operations import ProjectInput
from marketplace.timeutil import local_today

PASSWORD = "Correct-Horse-42"
# Offset by the process id so factories in parallel processes never produce the same names or codes.
_sequence = itertools.count(1 + (os.getpid() % 10_000) * 100_000)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def unique_uscc(prefix: str = "52330302") -> str:
    """A valid 统一社会信用代码 that no other factory call returns."""
    number = next(_sequence)
    body = ""
    for _ in range(9):
        number, digit = divmod(number, len(_USCC_CHARS))
        body = _USCC_CHARS[digit] + body
    return make_uscc(prefix + body)


def org_member(
    *, verified: bool = True, name: str | None = None, email: str | None = None, district: str = "鹿城区"
) -> User:
    n = next(_sequence)
    user = accounts.sign_up(
        Role.ORG,
        accounts.AccountInput(email=email or f"org{n}@example.cn", password=PASSWORD, name=f"组织成员{n}"),
        PartyInput(
            name=name or f"测试公益服务中心{n}",
            uscc=unique_uscc("52330302"),
            district=district,
            contact_name=f"联系人{n}",
            contact_phone="13857712345",
            contact_email=f"contact{n}@example.cn",
            business_areas=["elderly"],
        ),
        verified=verified,
    )
    db.session.commit()
    return user


def company_member(*, verified: bool = True, name: str | None = None, email: str | None = None) -> User:
    n = next(_sequence)
    user = accounts.sign_up(
        Role.COMPANY,
        accounts.AccountInput(
            email=email or f"company{n}@example.cn", password=PASSWORD, name=f"企业成员{n}"
        ),
        PartyInput(
            name=name or f"温州测试实业有限公司{n}",
            uscc=unique_uscc("91330302"),
            district="鹿城区",
            contact_name=f"联系人{n}",
            contact_phone="13857712345",
            contact_email=f"company-contact{n}@example.cn",
            industry="制造业",
            focus_categories=["children"],
        ),
        verified=verified,
    )
    db.session.commit()
    return user


def staff(*, role: Role = Role.STAFF, email: str | None = None) -> User:
    n = next(_sequence)
    user = accounts.create_staff(
        role,
        accounts.AccountInput(email=email or f"staff{n}@example.cn", password=PASSWORD, name=f"团区委{n}"),
    )
    db.session.commit()
    return user


def project_input(**overrides: Any) -> ProjectInput:
    values: dict[str, Any] = {
        "title": "四点钟课堂：外来务工子女课后托管",
        "summary": "为五马街道外来务工家庭的孩子提供放学后的安全看护和作业辅导。",
        "description": "## 项目背景\n\n很多孩子放学后无人看护。\n\n- 志愿者补贴\n- 教材文具",
        "category": "children",
        "tags": ["四点钟课堂", "留守儿童"],
        "district": "鹿城区",
        "community": "五马街道",
        "goal_yuan": "20000",
        "deadline": local_today() + timedelta(days=30),
        "funding_model": "all_or_nothing",
        "beneficiaries": 60,
    }
    values.update(overrides)
    return ProjectInput(**values)


def project(owner: User, *, status: str = "draft", reviewer: User | None = None, **overrides: Any) -> Project:
    """A project taken through the real workflow up to `status` (draft, submitted, returned, published,
    cancelled)."""
    item = projects.create_project(owner, project_input(**overrides))
    steps = {
        "draft": [],
        "submitted": [("submit", owner)],
        "returned": [("submit", owner), ("return", reviewer)],
        "published": [("submit", owner), ("publish", reviewer)],
        "cancelled": [("cancel", owner)],
    }[status]
    for action, actor in steps:
        if actor is None:
            actor = reviewer = staff()
        projects.transition_project(
            item, action, actor, reason="请补充预算明细" if action == "return" else None
        )
    db.session.commit()
    return item


def foundation(*, name: str | None = None, is_default: bool = True) -> Any:
    """A partner foundation receiving money for organizations without 公开募捐资格."""
    from marketplace.pledges.operations import FoundationInput, save_foundation

    n = next(_sequence)
    item = save_foundation(
        None,
        staff_user(),
        FoundationInput(
            name=name or f"鹿城区青少年发展基金会{n}",
            uscc=unique_uscc("53330302"),
            bank_name="温州银行鹿城支行",
            bank_account_name=name or f"鹿城区青少年发展基金会{n}",
            bank_account_number=f"6228{n:012d}",
            is_default=is_default,
        ),
    )
    db.session.commit()
    return item


def staff_user() -> User:
    """Any staff member, creating one if there is none (for factories that need an actor)."""
    existing = db.session.scalar(select(User).where(User.role == Role.STAFF).limit(1))
    return existing or staff()


def pledge(
    project: Project,
    company_user: User,
    amount: int,
    *,
    method: str = "bank_transfer",
    paid: bool = True,
    reviewer: User | None = None,
    key: str | None = None,
    **extra: Any,
) -> Any:
    """A pledge made through the real operation; paid (bank transfer confirmed by staff) by default."""
    from marketplace.pledges import operations as pledges

    if pledges.receiving_entity(project) is None:
        foundation()
    n = next(_sequence)
    if method == "in_kind":
        extra.setdefault("in_kind_description", "图书 200 册")
    item = pledges.create_pledge(
        project,
        company_user,
        pledges.PledgeRequest(amount=amount, method=method, **extra),
        idempotency_key=key or f"factory-{n}",
        card_enabled=method == "card",
    )
    db.session.flush()
    if paid:
        pledges.confirm_offline_pledge(
            item,
            reviewer or staff_user(),
            received_amount=amount,
            bank_reference=f"BANK{n:010d}" if method == "bank_transfer" else None,
        )
    db.session.commit()
    return item


@dataclass(frozen=True)
class World:
    """Plain ids and e-mails (not ORM objects) so tests can use them outside an app context."""

    org_email: str
    organization_id: int
    other_org_email: str
    other_organization_id: int
    company_email: str
    company_id: int
    staff_email: str
    admin_email: str
    draft_id: int
    submitted_id: int
    published_id: int
    other_draft_id: int

    def email_for(self, who: str) -> str | None:
        """The login for a role name used in access-control matrices (None for anonymous)."""
        return {
            "anonymous": None,
            "org": self.org_email,
            "other_org": self.other_org_email,
            "company": self.company_email,
            "staff": self.staff_email,
            "admin": self.admin_email,
        }[who]


def build_world() -> World:
    org_user = org_member()
    other = org_member()
    company = company_member()
    staff_user = staff()
    admin = staff(role=Role.ADMIN)
    world = World(
        org_email=org_user.email,
        organization_id=org_user.organization_id,
        other_org_email=other.email,
        other_organization_id=other.organization_id,
        company_email=company.email,
        company_id=company.company_id,
        staff_email=staff_user.email,
        admin_email=admin.email,
        draft_id=project(org_user, title="草稿项目：社区图书角").id,
        submitted_id=project(org_user, status="submitted", title="待审核项目：长者助餐").id,
        published_id=project(
            org_user, status="published", reviewer=staff_user, title="已发布项目：防溺水安全课"
        ).id,
        other_draft_id=project(other, title="别家的草稿：垃圾分类宣传").id,
    )
    db.session.commit()
    return world
