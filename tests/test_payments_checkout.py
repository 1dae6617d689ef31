"""The card checkout hand-off: /pledges/<id>/checkout sends the pledging company to one Stripe
Checkout Session (the same one on every retry), and the return pages never mark anything paid."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.payments.service import card_payments_enabled
from marketplace.pledges import operations as pledge_operations
from marketplace.pledges.models import Pledge
from tests import factories
from tests.fakestripe import FakeStripe
from tests.stripe_support import (
    Cast,
    card_pledge,
    event_count,
    fake_fixture,  # noqa: F401 (a fixture)
    login,
    make_cast,
    money,
    no_internet_fixture,  # noqa: F401 (a fixture)
    open_checkout,
    post_event,
    state,
    stripe_app_fixture,  # noqa: F401 (a fixture)
)


@pytest.fixture
def cast(stripe_app: Flask) -> Cast:
    return make_cast(stripe_app)


def crash_after_stripe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after Stripe created the session and before our commit."""

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(pledge_operations, "link_checkout_session", crash)


def test_checkout_sends_the_company_to_one_stripe_session(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast, 12_345)
    client = login(stripe_app, cast.company_email)

    first = client.get(f"/pledges/{pledge_id}/checkout")

    assert first.status_code == 303
    (session_id,) = fake.sessions
    session = fake.sessions[session_id]
    assert first.headers["Location"] == session["url"]
    assert (session["amount_total"], session["currency"]) == (12_345, "cny")
    assert session["metadata"] == {"pledge_id": str(pledge_id)}
    assert session["success_url"].endswith(f"/pledges/{pledge_id}/checkout/returned")
    assert session["cancel_url"].endswith(f"/pledges/{pledge_id}/checkout/cancelled")
    code = state(stripe_app, pledge_id)["reference_code"]
    assert fake.requests[0].idempotency_key == f"pledge-{pledge_id}-{code}-checkout"
    assert state(stripe_app, pledge_id)["checkout_session_id"] == session_id

    again = client.get(f"/pledges/{pledge_id}/checkout")  # back button, second tab, double click

    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert len(fake.sessions) == 1 and len(fake.requests) == 1
    assert state(stripe_app, pledge_id)["status"] == "pending"


def test_a_crash_between_stripe_and_the_commit_reuses_the_session_on_retry(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    client = login(stripe_app, cast.company_email)
    crash_after_stripe(monkeypatch)

    crashed = client.get(f"/pledges/{pledge_id}/checkout")

    assert crashed.status_code == 500
    assert state(stripe_app, pledge_id)["checkout_session_id"] is None  # nothing committed
    (orphan_id,) = fake.sessions

    monkeypatch.undo()
    retried = client.get(f"/pledges/{pledge_id}/checkout")

    assert retried.status_code == 303
    assert retried.headers["Location"] == fake.sessions[orphan_id]["url"]
    assert list(fake.sessions) == [orphan_id]
    key = f"pledge-{pledge_id}-{state(stripe_app, pledge_id)['reference_code']}-checkout"
    assert [(r.idempotency_key, r.replayed) for r in fake.requests] == [(key, False), (key, True)]
    assert state(stripe_app, pledge_id)["checkout_session_id"] == orphan_id


def test_stripe_unreachable_shows_a_retry_page_and_the_retry_reuses_the_session(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    client = login(stripe_app, cast.company_email)
    # Stripe creates the session but every answer is lost, including the library's own retries.
    fake.drop_connection_next("/v1/checkout/sessions", after_processing=True, times=3)

    unavailable = client.get(f"/pledges/{pledge_id}/checkout")

    assert unavailable.status_code == 503
    page = unavailable.get_data(as_text=True)
    assert "暂时无法打开支付页面" in page and "不会重复收款" in page
    assert state(stripe_app, pledge_id)["checkout_session_id"] is None
    (session_id,) = fake.sessions

    retried = client.get(f"/pledges/{pledge_id}/checkout")

    assert retried.status_code == 303 and retried.headers["Location"].endswith(session_id)
    assert list(fake.sessions) == [session_id]


@pytest.mark.parametrize("who", ["other company", "organization", "staff"])
def test_only_the_pledging_company_can_pay_or_see_the_return_pages(
    stripe_app: Flask, fake: FakeStripe, cast: Cast, who: str
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    email = {
        "other company": cast.other_company_email,
        "organization": cast.org_email,
        "staff": cast.staff_email,
    }[who]
    client = login(stripe_app, email)

    for suffix in ("checkout", "checkout/returned", "checkout/cancelled"):
        assert client.get(f"/pledges/{pledge_id}/{suffix}").status_code == 404
    assert fake.requests == []


def test_anonymous_visitors_are_sent_to_login(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    response = stripe_app.test_client().get(f"/pledges/{pledge_id}/checkout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert fake.requests == []


def test_the_success_page_never_marks_a_pledge_paid(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    session_id = open_checkout(stripe_app, cast, pledge_id)
    completed = fake.complete_session(session_id)  # paid at Stripe; the webhook is still on its way
    client = login(stripe_app, cast.company_email)

    page = client.get(f"/pledges/{pledge_id}/checkout/returned")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "正在确认支付结果" in text and f'href="/pledges/{pledge_id}"' in text
    assert state(stripe_app, pledge_id)["status"] == "pending"
    assert money(stripe_app, cast.project_id) == {"raised": 0, "ledger_total": 0, "rows": []}
    assert event_count(stripe_app) == 0

    post_event(stripe_app.test_client(), fake.event("checkout.session.completed", completed))
    after = client.get(f"/pledges/{pledge_id}/checkout/returned").get_data(as_text=True)

    assert "支付成功，款项已到账" in after
    assert money(stripe_app, cast.project_id)["raised"] == 5000


def test_the_cancel_page_offers_another_try_or_a_bank_transfer(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    open_checkout(stripe_app, cast, pledge_id)
    client = login(stripe_app, cast.company_email)

    page = client.get(f"/pledges/{pledge_id}/checkout/cancelled")

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "没有产生任何扣款" in text
    assert f'href="/pledges/{pledge_id}/checkout"' in text  # pay again
    assert f'href="/projects/{cast.project_id}"' in text and "改用对公转账" in text
    assert state(stripe_app, pledge_id)["status"] == "pending"


def test_a_settled_pledge_is_not_sent_to_stripe_again(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    pledge_id = card_pledge(stripe_app, cast)
    with stripe_app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        pledge_operations.cancel_pledge(pledge, pledge.created_by)
        db.session.commit()
    client = login(stripe_app, cast.company_email)

    response = client.get(f"/pledges/{pledge_id}/checkout")

    assert response.status_code == 302 and response.headers["Location"].endswith(f"/pledges/{pledge_id}")
    assert fake.requests == []
    assert "未完成支付" in client.get(f"/pledges/{pledge_id}/checkout/returned").get_data(as_text=True)


def test_a_bank_transfer_pledge_has_no_card_checkout(stripe_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    with stripe_app.app_context():
        from marketplace.accounts.models import User
        from marketplace.projects.models import Project

        user = db.session.query(User).filter_by(email=cast.company_email).one()
        pledge_id = factories.pledge(db.session.get(Project, cast.project_id), user, 5000, paid=False).id
    client = login(stripe_app, cast.company_email)
    assert client.get(f"/pledges/{pledge_id}/checkout").status_code == 404
    assert fake.requests == []


def test_without_keys_card_checkout_is_off(app: Flask) -> None:
    cast = make_cast(app)
    pledge_id = card_pledge(app, cast)  # made while keys were configured, say
    with app.app_context():
        assert card_payments_enabled() is False
    client = login(app, cast.company_email)

    refused = client.get(f"/pledges/{pledge_id}/checkout")

    assert refused.status_code == 404
    assert "平台暂未开通在线支付" in refused.get_data(as_text=True)
    assert state(app, pledge_id)["checkout_session_id"] is None
    # The return pages need no Stripe call and still tell the company where things stand.
    returned = client.get(f"/pledges/{pledge_id}/checkout/returned").get_data(as_text=True)
    assert "正在确认支付结果" in returned
    cancelled = client.get(f"/pledges/{pledge_id}/checkout/cancelled").get_data(as_text=True)
    assert f'href="/pledges/{pledge_id}/checkout"' not in cancelled


# --------------------------------------------------------------------------- from the pledge form


def test_a_card_pledge_from_the_form_goes_to_stripe_and_is_paid_by_the_webhook(
    stripe_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    client = login(stripe_app, cast.company_email)
    form = client.get(f"/projects/{cast.project_id}/pledge").get_data(as_text=True)
    assert 'value="card"' in form  # offered because keys are configured

    made = client.post(
        f"/projects/{cast.project_id}/pledge",
        data={"amount": "88.50", "method": "card", "token": "end-to-end-card-token-0001"},
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/checkout")
    to_stripe = client.get(made.headers["Location"])
    assert to_stripe.status_code == 303
    (session_id,) = fake.sessions
    assert fake.sessions[session_id]["amount_total"] == 8850
    pledge_id = int(fake.sessions[session_id]["metadata"]["pledge_id"])

    completed = fake.complete_session(session_id)
    post_event(stripe_app.test_client(), fake.event("checkout.session.completed", completed))

    assert state(stripe_app, pledge_id)["status"] == "paid"
    assert money(stripe_app, cast.project_id)["raised"] == 8850


def test_without_keys_the_form_does_not_offer_card(app: Flask) -> None:
    cast = make_cast(app)
    client = login(app, cast.company_email)
    form = client.get(f"/projects/{cast.project_id}/pledge").get_data(as_text=True)
    assert 'value="bank_transfer"' in form and 'value="card"' not in form
