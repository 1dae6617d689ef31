"""`flask demo`: load the demo data set and print the logins."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from marketplace.demo import content
from marketplace.demo.loader import demo_logins, load_demo
from marketplace.extensions import db

ROLE_NAMES = {"staff": "团区委工作人员", "admin": "管理员", "org": "公益组织", "company": "爱心企业"}
KIND_NAMES = {
    "staff": "工作人员",
    "organizations": "公益组织",
    "companies": "爱心企业",
    "projects": "项目",
    "foundations": "合作基金会",
    "matching_pools": "配捐计划",
    "introductions": "牵线介绍",
    "agreements": "合作协议",
    "tenders": "政府购买服务",
}


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """加载演示数据（可重复运行，不会重复创建）。"""
    report = load_demo()
    db.session.commit()
    created = (
        "，".join(f"{KIND_NAMES.get(kind, kind)} {n} 个" for kind, n in sorted(report.created.items()) if n)
        or "无"
    )
    click.echo(f"演示数据已就绪（本次新建：{created}）。")
    click.echo(f"演示账号（密码均为 {content.DEMO_PASSWORD}）：")
    for role, email, who in demo_logins():
        click.echo(f"  {ROLE_NAMES.get(role, role):<8} {email:<36} {who}")
