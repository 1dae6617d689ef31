"""`flask users …`: create accounts from the command line with the same rules as the sign-up pages."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.accounts import operations
from marketplace.accounts.models import Role, User
from marketplace.cli_errors import exit_refused
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.parties.operations import PartyInput

users_cli = AppGroup("users", help="管理用户账号。")

# Which option to name when an operation reports a field.
_OPTION_FOR_FIELD = {
    "email": "--email",
    "password": "--password",
    "name": "--name",
    "party_name": "--party-name",
    "uscc": "--uscc",
    "district": "--district",
    "contact_name": "--name",
    "contact_email": "--email",
    "contact_phone": "--phone",
    "business_areas": "--business-area",
    "focus_categories": "--business-area",
    "role": "--role",
}


@users_cli.command("create")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True, help="账号角色")
@click.option("--email", required=True, help="登录邮箱")
@click.option("--password", required=True, help="密码（至少 10 个字符）")
@click.option("--name", required=True, help="使用者姓名")
@click.option("--party-name", default=None, help="组织或企业名称（org / company 必填）")
@click.option("--uscc", default="", help="统一社会信用代码（org / company）")
@click.option("--district", default="", help="所在区县，例如 鹿城区（org / company）")
@click.option("--phone", default="", help="联系电话（org / company，可选）")
@click.option(
    "--business-area",
    "business_areas",
    multiple=True,
    help="服务领域（org）或关注领域（company）的代码，可重复，例如 elderly",
)
def create_user(
    role: str,
    email: str,
    password: str,
    name: str,
    party_name: str | None,
    uscc: str,
    district: str,
    phone: str,
    business_areas: tuple[str, ...],
) -> None:
    """Create a user; for org and company roles also the organization or company, already verified."""
    chosen = Role(role)
    account = operations.AccountInput(email=email, password=password, name=name)
    if chosen in (Role.ORG, Role.COMPANY):
        if not party_name:
            raise click.UsageError("org 和 company 角色必须提供 --party-name（组织或企业名称）")
        party = PartyInput(
            name=party_name,
            uscc=uscc,
            district=district,
            contact_name=name,
            contact_phone=phone,
            contact_email=email,
            business_areas=list(business_areas) if chosen == Role.ORG else [],
            focus_categories=list(business_areas) if chosen == Role.COMPANY else [],
        )
        try:
            user = operations.sign_up(chosen, account, party, verified=True)
        except DomainError as error:
            exit_refused(error, _OPTION_FOR_FIELD)
        db.session.commit()
        click.echo(f"已创建{user.role_label}账号 {user.email}，所属「{party_name}」已认证。")
        return
    if party_name or uscc or district or business_areas:
        raise click.UsageError(
            "staff 和 admin 账号不属于任何组织或企业，请去掉 --party-name / --uscc / --district"
        )
    try:
        user = operations.create_staff(chosen, account)
    except DomainError as error:
        exit_refused(error, _OPTION_FOR_FIELD)
    db.session.commit()
    click.echo(f"已创建{user.role_label}账号 {user.email}。")


@users_cli.command("list")
@click.option("--role", type=click.Choice([role.value for role in Role]), default=None, help="只列出该角色")
def list_users(role: str | None) -> None:
    """List users: e-mail, role and the organization or company they act for."""
    query = select(User).order_by(User.role, User.email)
    if role:
        query = query.where(User.role == role)
    users = db.session.scalars(query).all()
    if not users:
        click.echo("（没有用户）")
        return
    for user in users:
        party = user.party
        party_text = f"{party.name}（{party.verification_label}）" if party is not None else "-"
        state = "" if user.active else "  [已停用]"
        click.echo(f"{user.email}\t{user.role}\t{party_text}{state}")
