"""The public voting page, really posted: e-mail or phone → code (read from the memory outbox) →
ballot → thank-you page; the refusals shown on the page; a closed round; CSRF when it is on."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.evaluations.models import EvaluationRound, PublicVote, PublicVoteChoice
from marketplace.extensions import db
from marketplace.parties.models import Organization
from tests import factories
from tests.pages import html, login, text
from tests.test_votes import last_code, make_round, organizations


def _setup(app: Flask) -> tuple[int, list[int], list[str]]:
    app.config["SMS_BACKEND"] = "memory"
    with app.app_context():
        orgs = organizations(3)
        round_id = make_round(orgs, max_votes=2, title="2026年度评议").id
        names = [db.session.get(Organization, org).name for org in orgs]
        return round_id, orgs, names


def _votes(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(PublicVote)) or 0,
            db.session.scalar(select(func.count()).select_from(PublicVoteChoice)) or 0,
        )


def _ask(client: FlaskClient, round_id: int, identity: str) -> Any:
    return client.post(f"/evaluations/{round_id}/vote", data={"step": "code", "identity": identity})


def _ballot(client: FlaskClient, round_id: int, code: str, orgs: list[int]) -> Any:
    return client.post(
        f"/evaluations/{round_id}/vote",
        data={"step": "vote", "code": code, "organizations": [str(org) for org in orgs]},
    )


def test_an_anonymous_visitor_votes_in_two_steps(app: Flask, client: FlaskClient) -> None:
    round_id, orgs, names = _setup(app)
    page = client.get(f"/evaluations/{round_id}/vote")
    assert page.status_code == 200
    assert "第 1 步" in text(page) and names[0] in text(page)
    assert "js/votes.js" in html(page) and "<script>" not in html(page)

    response = _ask(client, round_id, "Zhang@Example.com")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "验证码已发送至 z***@example.com" in text(page)
    assert "第 2 步" in text(page)
    assert 'data-vote-max="2"' in html(page)
    for org, name in zip(orgs, names, strict=True):
        assert f'value="{org}"' in html(page) and name in text(page)
        assert f"/organizations/{org}" in html(page)
    assert "鹿城区" in text(page)

    with app.app_context():
        code = last_code("zhang@example.com")
    response = _ballot(client, round_id, code, [orgs[0], orgs[2]])
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/evaluations/{round_id}/vote/thanks"
    )
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "感谢您的投票" in text(thanks) and names[0] in text(thanks) and names[2] in text(thanks)
    assert names[1] not in text(thanks)
    assert _votes(app) == (1, 2)

    # Back on the form: step 1 again; the same address is told it has voted.
    response = _ask(client, round_id, "zhang@example.com")
    assert response.status_code == 409 and "已在本轮投过票" in text(response)


def test_refusals_are_shown_on_the_form_and_save_nothing(app: Flask, client: FlaskClient) -> None:
    round_id, orgs, _names = _setup(app)
    assert _ask(client, round_id, "").status_code == 422
    bad = _ask(client, round_id, "138-1234")
    assert bad.status_code == 422 and "有效的电子邮箱或中国大陆手机号" in text(bad)
    assert _ask(client, round_id, "+86 138 1234 5678").status_code == 303
    with app.app_context():
        code = last_code("13812345678")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = _ballot(client, round_id, wrong, [orgs[0]])
    assert response.status_code == 422 and "验证码不正确，还可以再试 4 次" in text(response)
    response = _ballot(client, round_id, code, orgs)
    assert response.status_code == 422 and "最多可选 2 家" in text(response)
    assert re.search(rf'value="{orgs[0]}"\s+checked', html(response))  # the choices are kept
    response = _ballot(client, round_id, code, [])
    assert response.status_code == 422 and "请至少选择 1 家组织" in text(response)
    response = client.post(
        f"/evaluations/{round_id}/vote", data={"step": "vote", "code": code, "organizations": "x"}
    )
    assert response.status_code == 422 and "所选组织无效" in text(response)
    # Asking again within a minute: told when to retry, still on step 2.
    response = client.post(f"/evaluations/{round_id}/vote", data={"step": "resend"})
    assert response.status_code == 429 and "秒后再试" in text(response) and "第 2 步" in text(response)
    assert _votes(app) == (0, 0)
    assert _ballot(client, round_id, code, [orgs[1]]).status_code == 303
    assert _votes(app) == (1, 1)


def test_voting_without_a_code_step_and_starting_over(app: Flask, client: FlaskClient) -> None:
    round_id, orgs, _names = _setup(app)
    response = _ballot(client, round_id, "123456", [orgs[0]])
    assert response.status_code == 303
    assert "请先填写电子邮箱或手机号获取验证码" in text(client.get(response.headers["Location"]))
    assert _ask(client, round_id, "a@example.com").status_code == 303
    assert "第 2 步" in text(client.get(f"/evaluations/{round_id}/vote"))
    response = client.post(f"/evaluations/{round_id}/vote", data={"step": "restart"})
    assert response.status_code == 303
    assert "第 1 步" in text(client.get(f"/evaluations/{round_id}/vote"))
    # The thank-you page without a vote leads back to the form.
    assert client.get(f"/evaluations/{round_id}/vote/thanks").status_code == 303


def test_a_signed_in_user_votes_like_anyone_with_their_address_suggested(app: Flask) -> None:
    round_id, orgs, _names = _setup(app)
    with app.app_context():
        user = factories.company_member()
        email = user.email
    client = login(app, email)
    page = client.get(f"/evaluations/{round_id}/vote")
    assert f'value="{email}"' in html(page)
    assert _ask(client, round_id, email).status_code == 303
    with app.app_context():
        code = last_code(email.lower())
    assert _ballot(client, round_id, code, [orgs[1]]).status_code == 303
    assert _votes(app) == (1, 1)


def test_a_closed_or_published_round_says_voting_has_ended(app: Flask, client: FlaskClient) -> None:
    round_id, orgs, _names = _setup(app)
    assert _ask(client, round_id, "a@example.com").status_code == 303
    with app.app_context():
        evaluation_round = db.session.get(EvaluationRound, round_id)
        assert evaluation_round is not None
        evaluation_round.status = "closed"
        db.session.commit()
        code = last_code("a@example.com")
    page = client.get(f"/evaluations/{round_id}/vote")
    assert page.status_code == 200 and "投票已结束" in text(page) and "正在汇总" in text(page)
    response = _ballot(client, round_id, code, [orgs[0]])
    assert response.status_code == 409 and "投票已结束" in text(response)
    with app.app_context():
        evaluation_round = db.session.get(EvaluationRound, round_id)
        assert evaluation_round is not None
        evaluation_round.status = "published"
        db.session.commit()
    page = client.get(f"/evaluations/{round_id}/vote")
    assert page.status_code == 200 and "结果已经公布" in text(page)
    assert client.get("/evaluations/999999/vote").status_code == 404
    assert _votes(app) == (0, 0)


def test_the_forms_carry_csrf_tokens(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    round_id, orgs, _names = _setup(app)
    client = app.test_client()
    assert _ask(client, round_id, "a@example.com").status_code == 400  # no token
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html(client.get(f"/evaluations/{round_id}/vote"))
    )
    assert token is not None
    response = client.post(
        f"/evaluations/{round_id}/vote",
        data={"step": "code", "identity": "a@example.com", "csrf_token": token.group(1)},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert html(page).count('name="csrf_token"') == 3  # the ballot, "resend" and "start over"
    with app.app_context():
        code = last_code("a@example.com")
    response = client.post(
        f"/evaluations/{round_id}/vote",
        data={"step": "vote", "code": code, "organizations": [str(orgs[0])], "csrf_token": token.group(1)},
    )
    assert response.status_code == 303
    assert _votes(app) == (1, 1)


def test_an_organization_moderation_holds_is_not_on_the_ballot(app: Flask, client: FlaskClient) -> None:
    from marketplace.timeutil import utcnow

    round_id, orgs, names = _setup(app)
    with app.app_context():
        db.session.get(Organization, orgs[1]).hidden_at = utcnow()
        db.session.commit()
    page = text(client.get(f"/evaluations/{round_id}/vote"))
    assert names[0] in page and names[2] in page
    assert names[1] not in page
