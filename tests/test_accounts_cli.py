"""`flask users create` and `flask users list`: same rules as sign-up, non-zero exit on bad input."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.parties.uscc import CHARSET
from tests import factories


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Organization, Company)
        )


def create(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["users", "create", *args])


@pytest.mark.parametrize(
    ("role", "model", "prefix"),
    [("org", Organization, "52330302"), ("company", Company, "91330302")],
)
def test_create_party_member_with_a_verified_party(
    app: Flask, runner: Any, role: str, model: type, prefix: str
) -> None:
    uscc = factories.unique_uscc(prefix)
    result = create(
        runner,
        "--role",
        role,
        "--email",
        f"cli-{role}@example.cn",
        "--password",
        factories.PASSWORD,
        "--name",
        "王五",
        "--party-name",
        f"命令行创建的{role}",
        "--uscc",
        uscc,
        "--district",
        "龙湾区",
        "--business-area",
        "elderly",
    )
    assert result.exit_code == 0, result.output
    assert "已创建" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"cli-{role}@example.cn"))
        assert user is not None and user.role == role
        party = user.party
        assert isinstance(party, model)
        assert party.verification_status == "verified"
        assert party.uscc == uscc
        assert party.contact_email == user.email
    # The account works on the site right away.
    response = app.test_client().post(
        "/login", data={"email": f"cli-{role}@example.cn", "password": factories.PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_create_staff_and_admin(app: Flask, runner: Any, role: str) -> None:
    result = create(
        runner,
        "--role",
        role,
        "--email",
        f"{role}@league.example.cn",
        "--password",
        factories.PASSWORD,
        "--name",
        "团区委小李",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == f"{role}@league.example.cn"))
        assert user is not None and user.role == role and user.party is None


def test_wrong_uscc_check_character_exits_non_zero_and_saves_nothing(app: Flask, runner: Any) -> None:
    uscc = factories.unique_uscc()
    wrong = uscc[:17] + next(ch for ch in CHARSET if ch != uscc[17])
    before = counts(app)
    result = create(
        runner,
        "--role",
        "org",
        "--email",
        "bad-uscc@example.cn",
        "--password",
        factories.PASSWORD,
        "--name",
        "赵六",
        "--party-name",
        "校验位错误的组织",
        "--uscc",
        wrong,
        "--district",
        "鹿城区",
    )
    assert result.exit_code == 1
    assert "校验位" in result.stderr
    assert "--uscc" in result.stderr
    assert counts(app) == before


def test_duplicate_email_exits_non_zero(app: Flask, runner: Any) -> None:
    with app.app_context():
        existing = factories.staff().email
    before = counts(app)
    result = create(
        runner,
        "--role",
        "company",
        "--email",
        existing,
        "--password",
        factories.PASSWORD,
        "--name",
        "钱七",
        "--party-name",
        "重复邮箱公司",
        "--uscc",
        factories.unique_uscc("91330302"),
        "--district",
        "鹿城区",
    )
    assert result.exit_code == 1
    assert "该邮箱已注册" in result.stderr
    assert counts(app) == before


def test_short_password_is_refused_for_staff(app: Flask, runner: Any) -> None:
    before = counts(app)
    result = create(
        runner,
        "--role",
        "staff",
        "--email",
        "weak@league.example.cn",
        "--password",
        "short",
        "--name",
        "弱密码",
    )
    assert result.exit_code == 1
    assert "至少需要 10 个字符" in result.stderr
    assert counts(app) == before


def test_party_roles_require_a_party_name(app: Flask, runner: Any) -> None:
    result = create(
        runner,
        "--role",
        "org",
        "--email",
        "noparty@example.cn",
        "--password",
        factories.PASSWORD,
        "--name",
        "孙八",
        "--uscc",
        factories.unique_uscc(),
        "--district",
        "鹿城区",
    )
    assert result.exit_code == 2
    assert "--party-name" in result.output
    assert counts(app) == (0, 0, 0)


def test_staff_cannot_be_given_a_party(runner: Any) -> None:
    result = create(
        runner,
        "--role",
        "staff",
        "--email",
        "s@example.cn",
        "--password",
        factories.PASSWORD,
        "--name",
        "周九",
        "--party-name",
        "某组织",
    )
    assert result.exit_code == 2


def test_list_users(app: Flask, runner: Any, world: factories.World) -> None:
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    for email in (world.org_email, world.company_email, world.staff_email, world.admin_email):
        assert email in result.output
    only_staff = runner.invoke(args=["users", "list", "--role", "staff"])
    assert world.staff_email in only_staff.output
    assert world.org_email not in only_staff.output
