"""The pledge and ledger API: idempotent pledging (also under 40 racing retries), bad amounts,
who may pledge, see, confirm and refund, the ledger's sums, and a card pledge through the fake
Stripe server. Every request goes through ``ApiChecker``, so each response is also validated
against the OpenAPI document."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.pledges.models import LedgerEntry, MatchingPool, Pledge
from marketplace.pledges.states import PledgeStatus
from marketplace.projects.models import Project
from marketplace.projects.operations import transition_project
from marketplace.timeutil import utcnow
from tests import factories
from tests.fakestripe import FakeStripe
from tests.test_api_openapi import ApiChecker

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
KEY = {"Idempotency-Key": "order-2026-0001"}
FOUNDATION = "鹿城区青少年发展基金会"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything here resolves or connects to a non-loopback host."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK:
            raise AssertionError(f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@dataclass(frozen=True)
class Cast:
    """Plain ids and tokens: the world, a second company, a colleague, an unverified company."""

    world: factories.World
    tokens: dict[str, str]
    user_ids: dict[str, int]
    project_id: int
    other_company_id: int

    def token(self, who: str) -> str:
        return self.tokens[who]


def token_for(user: User) -> str:
    token = accounts.issue_api_token(user)
    db.session.commit()
    return token


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


@pytest.fixture
def cast(app: Flask, world: factories.World) -> Cast:
    return build_cast(app, world)


def build_cast(app: Flask, world: factories.World) -> Cast:
    with app.app_context():
        factories.foundation(name=FOUNDATION)
        users = {
            who: user_by_email(world.email_for(who) or "")
            for who in ("org", "other_org", "company", "staff", "admin")
        }
        users["colleague"] = accounts.add_member(
            users["company"].company,
            accounts.AccountInput(email="colleague@example.cn", password=factories.PASSWORD, name="同事"),
            actor_id=users["company"].id,
        )
        users["other_company"] = factories.company_member(name="温州另一家实业有限公司")
        users["unverified_company"] = factories.company_member(verified=False)
        db.session.commit()
        return Cast(
            world=world,
            tokens={who: token_for(user) for who, user in users.items()},
            user_ids={who: user.id for who, user in users.items()},
            project_id=world.published_id,
            other_company_id=users["other_company"].company_id,
        )


@pytest.fixture
def api(client: Any) -> ApiChecker:
    return ApiChecker(client)


def pledge_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 500_000,
        "method": "bank_transfer",
        "message": "愿孩子们平安",
        "anonymous": False,
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not ...}


def post_pledge(
    api: ApiChecker,
    cast: Cast,
    *,
    who: str = "company",
    body: dict[str, Any] | None = None,
    key: str | None = "order-2026-0001",
    project_id: int | None = None,
) -> Any:
    headers = {} if key is None else {"Idempotency-Key": key}
    return api.post(
        f"/projects/{project_id or cast.project_id}/pledges",
        token=cast.token(who),
        json_body=pledge_body() if body is None else body,
        headers=headers,
    )


def pledge_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Pledge)) or 0


def money_snapshot(app: Flask) -> tuple[Any, ...]:
    with app.app_context():
        return (
            tuple(
                db.session.execute(
                    select(Pledge.id, Pledge.status, Pledge.paid_amount, Pledge.refunded_amount).order_by(
                        Pledge.id
                    )
                ).all()
            ),
            db.session.scalar(select(func.count()).select_from(LedgerEntry)),
            tuple(db.session.execute(select(Project.id, Project.raised_amount).order_by(Project.id)).all()),
        )


def make_pledge(
    app: Flask, api: ApiChecker, cast: Cast, *, key: str, who: str = "company", **body: Any
) -> int:
    response = post_pledge(api, cast, who=who, body=pledge_body(**body), key=key)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def confirm(api: ApiChecker, cast: Cast, pledge_id: int, amount: int, reference: str | None) -> Any:
    return api.post(
        f"/pledges/{pledge_id}/confirm",
        token=cast.token("staff"),
        json_body={"received_amount": amount, "bank_reference": reference},
    )


# ───────────── creating a pledge ─────────────


def test_a_bank_transfer_pledge_is_pending_with_its_reference_and_payee(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    response = post_pledge(api, cast)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["amount"] == 500_000 and body["method"] == "bank_transfer"
    assert body["project_id"] == cast.project_id and body["company_id"] == cast.world.company_id
    assert body["reference_code"].startswith("QQC")
    assert body["bank_reference"] == body["reference_code"]
    assert body["checkout_url"] is None
    assert body["payee"]["kind"] == "foundation" and body["payee"]["name"] == FOUNDATION
    assert body["payee"]["account_number"].isdigit()
    assert body["paid_amount"] == 0 and body["flag"] is None
    assert response.headers["Location"].endswith(f"/api/v1/pledges/{body['id']}")
    with app.app_context():
        pledge = db.session.get(Pledge, body["id"])
        # Stored keys are scoped to the caller, so two users' "1" never collide.
        assert pledge.idempotency_key == f"api:{cast.user_ids['company']}:order-2026-0001"
        assert db.session.get(Project, cast.project_id).raised_amount == 0  # pending is not money


def test_the_same_key_and_body_give_back_the_same_pledge(app: Flask, api: ApiChecker, cast: Cast) -> None:
    first = post_pledge(api, cast)
    again = post_pledge(api, cast)
    # The message may be sent as null or left out: the request is the same.
    third = post_pledge(api, cast, body=pledge_body(message="愿孩子们平安", anonymous=False))
    assert first.status_code == again.status_code == third.status_code == 201
    assert first.get_json() == again.get_json() == third.get_json()
    assert pledge_count(app) == 1


def test_the_same_key_with_another_body_is_a_conflict(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        other_project = factories.project(
            user_by_email(cast.world.org_email), status="published", title="另一个项目：助学"
        ).id
    first = post_pledge(api, cast).get_json()
    before = money_snapshot(app)
    for body in (pledge_body(amount=600_000), pledge_body(anonymous=True), pledge_body(message="另一句")):
        response = post_pledge(api, cast, body=body)
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert "Idempotency-Key" in error["fields"]
    # The same key and body, but for another project, is another request too.
    assert post_pledge(api, cast, project_id=other_project).status_code == 409
    assert money_snapshot(app) == before
    assert post_pledge(api, cast).get_json() == first


def test_keys_are_scoped_to_the_caller(app: Flask, api: ApiChecker, cast: Cast) -> None:
    mine = post_pledge(api, cast, key="1").get_json()
    theirs = post_pledge(api, cast, who="other_company", key="1").get_json()
    assert mine["id"] != theirs["id"]
    assert theirs["company_id"] == cast.other_company_id
    assert pledge_count(app) == 2


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "idempotency_key_required"),
        ("", "idempotency_key_required"),
        ("   ", "idempotency_key_required"),
        ("k" * 101, "idempotency_key_invalid"),
        ("clé-à-moi", "idempotency_key_invalid"),
    ],
)
def test_a_missing_or_malformed_key_is_400_and_saves_nothing(
    app: Flask, api: ApiChecker, cast: Cast, key: str | None, code: str
) -> None:
    response = post_pledge(api, cast, key=key)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and "Idempotency-Key" in error["fields"]
    assert pledge_count(app) == 0


def test_a_key_of_100_printable_characters_is_fine(api: ApiChecker, cast: Cast) -> None:
    key = ("Order #2026/09-07 ~ " * 5)[:100]
    assert post_pledge(api, cast, key=key).status_code == 201


@pytest.mark.parametrize(
    ("amount", "fragment"),
    [
        (0, "不能少于 1 元"),
        (-1, "不能少于 1 元"),
        (99, "不能少于 1 元"),
        (1.5, "整数"),
        (100.0, "整数"),
        ("100", "整数"),
        (True, "整数"),
        (None, "null"),
        (..., "请填写"),
        (10**12, "不能超过 1000 万元"),
        (1_000_000_001, "不能超过 1000 万元"),
    ],
)
def test_bad_amounts_are_422_with_a_field_message_and_save_nothing(
    app: Flask, api: ApiChecker, cast: Cast, amount: Any, fragment: str
) -> None:
    response = post_pledge(api, cast, body=pledge_body(amount=amount))
    assert response.status_code == 422
    assert fragment in response.get_json()["error"]["fields"]["amount"]
    assert pledge_count(app) == 0


def test_the_limits_themselves_are_accepted(api: ApiChecker, cast: Cast) -> None:
    assert post_pledge(api, cast, body=pledge_body(amount=100), key="min").status_code == 201
    assert post_pledge(api, cast, body=pledge_body(amount=1_000_000_000), key="max").status_code == 201


def test_english_callers_get_english_messages(api: ApiChecker, cast: Cast) -> None:
    # New messages are translated when the lead updates the catalog; this one already is.
    response = api.post(
        f"/projects/{cast.project_id}/pledges",
        token=cast.token("company"),
        json_body={**pledge_body(), "status": "paid"},
        headers={**KEY, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["status"] == "This field cannot be set."


@pytest.mark.parametrize(
    "field", ["status", "raised_amount", "paid_amount", "company_id", "project_id", "id", "reference_code"]
)
def test_server_owned_fields_are_refused(app: Flask, api: ApiChecker, cast: Cast, field: str) -> None:
    response = post_pledge(api, cast, body={**pledge_body(), field: "paid" if field == "status" else 1})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert pledge_count(app) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (pledge_body(method="cash"), "method"),
        (pledge_body(method=...), "method"),
        (pledge_body(method="card"), "method"),  # no Stripe keys configured
        (pledge_body(method="in_kind"), "in_kind_description"),
        (pledge_body(message="谢" * 201), "message"),
        (pledge_body(anonymous="yes"), "anonymous"),
        (pledge_body(in_kind_description=5), "in_kind_description"),
    ],
)
def test_other_bad_fields_are_422(
    app: Flask, api: ApiChecker, cast: Cast, body: dict[str, Any], field: str
) -> None:
    response = post_pledge(api, cast, body=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert pledge_count(app) == 0


def test_an_in_kind_pledge_describes_the_goods(api: ApiChecker, cast: Cast) -> None:
    response = post_pledge(
        api, cast, body=pledge_body(method="in_kind", in_kind_description="儿童读物 300 册", amount=900_000)
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["method"] == "in_kind" and body["in_kind_description"] == "儿童读物 300 册"
    assert body["bank_reference"] is None


def test_bodies_that_are_not_json_objects_are_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    path = f"/projects/{cast.project_id}/pledges"
    token = cast.token("company")
    assert (
        api.post(path, token=token, data="{", content_type="application/json", headers=KEY).status_code == 400
    )
    assert api.post(path, token=token, data="amount=5", headers=KEY).status_code == 415
    assert api.post(path, token=token, json_body=[500_000], headers=KEY).status_code == 400
    assert pledge_count(app) == 0


def _set_status(app: Flask, project_id: int, action: str) -> None:
    with app.app_context():
        project = db.session.get(Project, project_id)
        transition_project(project, action, None)  # the deadline job's own transitions
        db.session.commit()


@pytest.mark.parametrize("action", ["fail", "close", "fund"])
def test_a_project_that_stopped_raising_takes_no_pledges(
    app: Flask, api: ApiChecker, cast: Cast, action: str
) -> None:
    with app.app_context():
        owner = user_by_email(cast.world.org_email)
        funding_model = "keep_it_all" if action == "close" else "all_or_nothing"
        project_id = factories.project(owner, status="published", funding_model=funding_model).id
    _set_status(app, project_id, action)
    response = post_pledge(api, cast, project_id=project_id)
    assert response.status_code == 409
    assert "project" in response.get_json()["error"]["fields"]
    assert pledge_count(app) == 0


def test_a_project_past_its_deadline_takes_no_pledges(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        db.session.get(Project, cast.project_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert post_pledge(api, cast).status_code == 409
    assert pledge_count(app) == 0


@pytest.mark.parametrize("which", ["draft_id", "submitted_id"])
def test_unpublished_projects_are_hidden_from_companies(
    app: Flask, api: ApiChecker, cast: Cast, which: str
) -> None:
    response = post_pledge(api, cast, project_id=getattr(cast.world, which))
    assert response.status_code == 404
    assert post_pledge(api, cast, project_id=999_999).status_code == 404
    assert pledge_count(app) == 0


@pytest.mark.parametrize("who", ["org", "other_org", "staff", "admin", "unverified_company"])
def test_only_verified_companies_pledge(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    response = post_pledge(api, cast, who=who)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert pledge_count(app) == 0


def test_anonymous_callers_must_authenticate(app: Flask, api: ApiChecker, cast: Cast) -> None:
    response = api.post(f"/projects/{cast.project_id}/pledges", json_body=pledge_body(), headers=KEY)
    assert response.status_code == 401
    assert pledge_count(app) == 0


def test_without_a_receiving_entity_pledging_is_refused(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        for foundation in db.session.scalars(select(pledges.PartnerFoundation)):
            foundation.active = False
        db.session.commit()
    response = post_pledge(api, cast)
    assert response.status_code == 409
    assert pledge_count(app) == 0


# ───────────── 40 retries at once ─────────────


def _race(app: Flask, count: int, send: Callable[[Any, int], Any]) -> list[Any]:
    """Run `send(client, index)` in `count` threads released together; return the responses."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            results[index] = send(client, index)
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    assert not errors, errors
    return results


def test_forty_concurrent_retries_with_one_key_make_one_pledge(app: Flask, cast: Cast) -> None:
    token = cast.token("company")
    body = pledge_body()

    def send(client: Any, _index: int) -> Any:
        return client.post(
            f"/api/v1/projects/{cast.project_id}/pledges",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "race-1"},
        )

    responses = _race(app, 40, send)
    checker = ApiChecker(app.test_client())
    for response in responses:
        checker.check("post", f"/api/v1/projects/{cast.project_id}/pledges", response, body)
    assert [response.status_code for response in responses] == [201] * 40, [
        (response.status_code, response.get_json()) for response in responses if response.status_code != 201
    ]
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert len({response.get_data() for response in responses}) == 1  # identical bodies
    assert pledge_count(app) == 1


def test_concurrent_pledges_and_confirmations_keep_the_total_exact(app: Flask, cast: Cast) -> None:
    count = 20
    company, staff = cast.token("company"), cast.token("staff")

    def pledge(client: Any, index: int) -> Any:
        return client.post(
            f"/api/v1/projects/{cast.project_id}/pledges",
            json=pledge_body(amount=10_000 + index),
            headers={"Authorization": f"Bearer {company}", "Idempotency-Key": f"many-{index}"},
        )

    created = _race(app, count, pledge)
    assert [response.status_code for response in created] == [201] * count
    ids = [response.get_json()["id"] for response in created]

    def confirm_one(client: Any, index: int) -> Any:
        # Every pledge is confirmed twice at once: the second confirmation must change nothing.
        pledge_id = ids[index % count]
        return client.post(
            f"/api/v1/pledges/{pledge_id}/confirm",
            json={"received_amount": 10_000 + index % count, "bank_reference": f"BANK-{pledge_id}"},
            headers={"Authorization": f"Bearer {staff}"},
        )

    confirmed = _race(app, 2 * count, confirm_one)
    assert [response.status_code for response in confirmed] == [200] * (2 * count), [
        response.get_json() for response in confirmed if response.status_code != 200
    ]
    expected = sum(10_000 + index for index in range(count))
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        assert project.raised_amount == expected == pledges.ledger_total(cast.project_id)
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == count
        assert pledges.ledger_mismatches() == []


# ───────────── reading a pledge ─────────────


def test_who_may_see_a_pledge(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="see-1")
    path = f"/pledges/{pledge_id}"
    for who in ("company", "colleague", "org", "staff", "admin"):
        response = api.get(path, token=cast.token(who))
        assert response.status_code == 200, who
        assert response.get_json()["id"] == pledge_id
    for who in ("other_org", "other_company", "unverified_company"):
        assert api.get(path, token=cast.token(who)).status_code == 404, who
    assert api.get(path).status_code == 401
    assert api.get("/pledges/999999", token=cast.token("staff")).status_code == 404


def test_an_anonymous_pledge_hides_the_company_from_the_organization(
    app: Flask, api: ApiChecker, cast: Cast
) -> None:
    pledge_id = make_pledge(app, api, cast, key="anon", anonymous=True)
    seen_by_org = api.get(f"/pledges/{pledge_id}", token=cast.token("org")).get_json()
    assert seen_by_org["company_id"] is None and seen_by_org["company"] is None
    for who in ("company", "staff"):
        body = api.get(f"/pledges/{pledge_id}", token=cast.token(who)).get_json()
        assert body["company"] == {"id": cast.world.company_id, "name": body["company"]["name"]}


def test_only_staff_see_a_flag(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="flag")
    with app.app_context():
        pledges.flag_pledge(db.session.get(Pledge, pledge_id), "到账金额与认捐不符")
        db.session.commit()
    assert (
        api.get(f"/pledges/{pledge_id}", token=cast.token("staff")).get_json()["flag"] == "到账金额与认捐不符"
    )
    for who in ("company", "org"):
        assert api.get(f"/pledges/{pledge_id}", token=cast.token(who)).get_json()["flag"] is None


# ───────────── confirming ─────────────


def test_staff_confirm_a_bank_transfer_once(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="confirm")
    response = confirm(api, cast, pledge_id, 499_000, "ICBC20260907001")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "paid" and body["paid_amount"] == 499_000
    assert body["bank_transaction_reference"] == "ICBC20260907001"
    assert body["paid_at"] is not None and body["refundable_amount"] == 499_000
    again = confirm(api, cast, pledge_id, 499_000, "ICBC20260907001")
    assert again.status_code == 200 and again.get_json()["paid_amount"] == 499_000
    with app.app_context():
        assert db.session.get(Project, cast.project_id).raised_amount == 499_000
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_staff_value_goods_without_a_bank_reference(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="goods", method="in_kind", in_kind_description="课桌 20 套")
    response = api.post(
        f"/pledges/{pledge_id}/confirm", token=cast.token("admin"), json_body={"received_amount": 320_000}
    )
    assert response.status_code == 200
    assert response.get_json()["paid_amount"] == 320_000


@pytest.mark.parametrize("who", ["company", "org", "other_org", "other_company"])
def test_only_staff_confirm(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    pledge_id = make_pledge(app, api, cast, key="not-staff")
    before = money_snapshot(app)
    response = api.post(
        f"/pledges/{pledge_id}/confirm",
        token=cast.token(who),
        json_body={"received_amount": 500_000, "bank_reference": "X1"},
    )
    assert response.status_code == 403
    assert api.post(f"/pledges/{pledge_id}/confirm", json_body={"received_amount": 1}).status_code == 401
    assert money_snapshot(app) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bank_reference": "B-1"}, "received_amount"),
        ({"bank_reference": "B-1", "received_amount": "500000"}, "received_amount"),
        ({"bank_reference": "B-1", "received_amount": 0}, "received_amount"),
        ({"bank_reference": "B-1", "received_amount": 10.5}, "received_amount"),
        ({"received_amount": 500_000}, "bank_reference"),
        ({"bank_reference": "  ", "received_amount": 500_000}, "bank_reference"),
        ({"bank_reference": "B" * 65, "received_amount": 500_000}, "bank_reference"),
        ({"bank_reference": "B-1", "received_amount": 500_000, "status": "paid"}, "status"),
    ],
)
def test_bad_confirmations_are_422(
    app: Flask, api: ApiChecker, cast: Cast, body: dict[str, Any], field: str
) -> None:
    pledge_id = make_pledge(app, api, cast, key="bad-confirm")
    before = money_snapshot(app)
    response = api.post(f"/pledges/{pledge_id}/confirm", token=cast.token("staff"), json_body=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert money_snapshot(app) == before


def test_a_bank_reference_belongs_to_one_pledge(app: Flask, api: ApiChecker, cast: Cast) -> None:
    first = make_pledge(app, api, cast, key="ref-1")
    second = make_pledge(app, api, cast, key="ref-2", amount=300_000)
    assert confirm(api, cast, first, 500_000, "SAME-REF").status_code == 200
    before = money_snapshot(app)
    response = confirm(api, cast, second, 300_000, "SAME-REF")
    assert response.status_code == 409
    assert "bank_reference" in response.get_json()["error"]["fields"]
    assert money_snapshot(app) == before
    assert confirm(api, cast, 999_999, 1_000, "NONE").status_code == 404


def test_a_cancelled_pledge_cannot_be_confirmed(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="cancelled")
    with app.app_context():
        pledges.cancel_pledge(db.session.get(Pledge, pledge_id), user_by_email(cast.world.company_email))
        db.session.commit()
    assert confirm(api, cast, pledge_id, 500_000, "LATE").status_code == 409


# ───────────── refunding ─────────────


def _paid_pledge(app: Flask, api: ApiChecker, cast: Cast, key: str, amount: int = 500_000) -> int:
    pledge_id = make_pledge(app, api, cast, key=key, amount=amount)
    assert confirm(api, cast, pledge_id, amount, f"BANK-{key}").status_code == 200
    return pledge_id


def test_staff_refund_part_then_the_rest(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = _paid_pledge(app, api, cast, "refund")
    path = f"/pledges/{pledge_id}/refund"
    part = api.post(path, token=cast.token("staff"), json_body={"amount": 200_000})
    assert part.status_code == 200
    assert part.get_json()["refunded_amount"] == 200_000 and part.get_json()["status"] == "paid"
    assert part.get_json()["refundable_amount"] == 300_000
    rest = api.post(path, token=cast.token("staff"))  # no body: everything left
    assert rest.status_code == 200
    assert rest.get_json()["status"] == "refunded" and rest.get_json()["refunded_amount"] == 500_000
    with app.app_context():
        assert db.session.get(Project, cast.project_id).raised_amount == 0
        amounts = db.session.scalars(select(LedgerEntry.amount).order_by(LedgerEntry.id)).all()
        assert amounts == [500_000, -200_000, -300_000]
    assert api.post(path, token=cast.token("staff"), json_body={"amount": None}).status_code == 409


@pytest.mark.parametrize(("amount", "status"), [(500_001, 422), (0, 422), (-5, 422), ("1", 422), (1.5, 422)])
def test_refunds_above_what_was_paid_or_malformed_are_refused(
    app: Flask, api: ApiChecker, cast: Cast, amount: Any, status: int
) -> None:
    pledge_id = _paid_pledge(app, api, cast, "over")
    before = money_snapshot(app)
    response = api.post(
        f"/pledges/{pledge_id}/refund", token=cast.token("staff"), json_body={"amount": amount}
    )
    assert response.status_code == status
    assert "amount" in response.get_json()["error"]["fields"]
    assert money_snapshot(app) == before


def test_a_pending_pledge_has_nothing_to_refund(app: Flask, api: ApiChecker, cast: Cast) -> None:
    pledge_id = make_pledge(app, api, cast, key="pending-refund")
    assert api.post(f"/pledges/{pledge_id}/refund", token=cast.token("staff")).status_code == 409
    assert api.post("/pledges/999999/refund", token=cast.token("staff")).status_code == 404


@pytest.mark.parametrize("who", ["company", "org", "other_company"])
def test_only_staff_refund(app: Flask, api: ApiChecker, cast: Cast, who: str) -> None:
    pledge_id = _paid_pledge(app, api, cast, "nostaff")
    before = money_snapshot(app)
    assert api.post(f"/pledges/{pledge_id}/refund", token=cast.token(who), json_body={}).status_code == 403
    assert api.post(f"/pledges/{pledge_id}/refund").status_code == 401
    assert money_snapshot(app) == before


# ───────────── the ledger and the project's totals ─────────────


def test_the_ledger_adds_up_to_the_raised_amount(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        sponsor = factories.company_member(name="温州配捐实业有限公司")
        now = utcnow()
        pool_id = pledges.open_matching_pool(
            sponsor,
            pledges.PoolInput(
                name="99 公益日配捐",
                budget=1_000_000,
                ratio_bp=10_000,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=3),
            ),
        ).id
        db.session.commit()
    paid = _paid_pledge(app, api, cast, "ledger-1", 400_000)
    anonymous = make_pledge(app, api, cast, key="ledger-2", amount=100_000, anonymous=True)
    assert confirm(api, cast, anonymous, 100_000, "BANK-ANON").status_code == 200
    assert (
        api.post(
            f"/pledges/{paid}/refund", token=cast.token("staff"), json_body={"amount": 100_000}
        ).status_code
        == 200
    )
    make_pledge(app, api, cast, key="ledger-3", amount=70_000)  # pending: not in the ledger
    with app.app_context():
        pledges.record_disbursement(
            db.session.get(Project, cast.project_id),
            user_by_email(cast.world.staff_email),
            amount=250_000,
            bank_reference="DISB-001",
        )
        db.session.commit()

    ledger = api.get(f"/projects/{cast.project_id}/ledger")
    assert ledger.status_code == 200
    body = ledger.get_json()
    entries = body["entries"]
    kinds = [entry["kind"] for entry in entries]
    assert kinds.count("pledge_paid") == 2 and kinds.count("match_credit") == 2
    assert kinds.count("refund") == 1 and kinds.count("match_reversal") == 1
    assert kinds.count("disbursement") == 1
    raised_rows = [
        entry
        for entry in entries
        if entry["kind"] in ("pledge_paid", "refund", "match_credit", "match_reversal")
    ]
    assert sum(entry["amount"] for entry in raised_rows) == body["raised_amount"]
    # 400,000 + 100,000 paid, 100,000 refunded; matched 1:1 and reversed in proportion.
    assert body["raised_amount"] == 400_000 + 100_000 - 100_000 + 400_000 + 100_000 - 100_000
    assert body["matched_amount"] == 400_000
    assert body["disbursed_amount"] == 250_000
    assert all(entry["amount"] < 0 for entry in entries if entry["kind"] in ("refund", "match_reversal"))
    assert all(entry["counts_toward_raised"] == (entry in raised_rows) for entry in entries)
    assert {entry["pool_id"] for entry in entries if entry["kind"].startswith("match")} == {pool_id}
    # Nobody outside learns who made the anonymous pledge; staff do.
    assert all(entry["company"] is None for entry in entries if entry["pledge_id"] == anonymous)
    assert any(entry["company"] for entry in entries if entry["pledge_id"] == paid)
    staff_view = api.get(f"/projects/{cast.project_id}/ledger", token=cast.token("staff")).get_json()
    assert all(entry["company"] for entry in staff_view["entries"] if entry["pledge_id"] == anonymous)

    # The same totals everywhere.
    detail = api.get(f"/projects/{cast.project_id}").get_json()
    listed = next(item for item in api.get("/projects").get_json()["items"] if item["id"] == cast.project_id)
    for view in (detail, listed):
        assert view["raised_amount"] == body["raised_amount"]
        assert view["matched_amount"] == body["matched_amount"]
        assert view["disbursed_amount"] == body["disbursed_amount"]
        assert view["receiving_entity"] == {"kind": "foundation", "name": FOUNDATION}
    assert body["receiving_entity"] == {"kind": "foundation", "name": FOUNDATION}
    seen = api.get(f"/pledges/{paid}", token=cast.token("company")).get_json()
    assert seen["matched_amount"] == 300_000 and seen["refunded_amount"] == 100_000


def test_a_hidden_project_has_no_public_ledger(api: ApiChecker, cast: Cast) -> None:
    path = f"/projects/{cast.world.draft_id}/ledger"
    assert api.get(path).status_code == 404
    assert api.get(path, token=cast.token("other_org")).status_code == 404
    assert api.get(path, token=cast.token("org")).get_json() == {
        "project_id": cast.world.draft_id,
        "raised_amount": 0,
        "matched_amount": 0,
        "disbursed_amount": 0,
        "receiving_entity": {"kind": "foundation", "name": FOUNDATION},
        "entries": [],
    }
    assert api.get("/projects/999999/ledger").status_code == 404
    assert api.get(f"/projects/{cast.project_id}/ledger", token="qqc_not_a_token").status_code == 401


def test_a_qualified_organization_receives_its_own_money(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        project = db.session.get(Project, cast.project_id)
        pledges.set_fundraising_qualification(
            project.organization,
            user_by_email(cast.world.staff_email),
            qualified=True,
            account=pledges.BankAccountInput(
                "温州银行五马支行", project.organization.name, "62280000123456789"
            ),
        )
        name = project.organization.name
        db.session.commit()
    assert api.get(f"/projects/{cast.project_id}").get_json()["receiving_entity"] == {
        "kind": "organization",
        "name": name,
    }
    payee = post_pledge(api, cast).get_json()["payee"]
    assert payee == {
        "kind": "organization",
        "name": name,
        "bank_name": "温州银行五马支行",
        "account_number": "62280000123456789",
    }


# ───────────── card pledges through the fake Stripe ─────────────


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe() as server:
        yield server


@pytest.fixture
def card_app(make_app: Callable[..., Flask], fake: FakeStripe, cast: Cast) -> Flask:
    return make_app(
        STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x", STRIPE_API_BASE=fake.api_base
    )


def _card_pledge(api: ApiChecker, cast: Cast, key: str = "card-1", amount: int = 500_000) -> Any:
    return post_pledge(api, cast, body=pledge_body(method="card", amount=amount), key=key)


def _sessions_created(fake: FakeStripe) -> list[Any]:
    return [
        r
        for r in fake.requests
        if r.method == "POST" and r.path == "/v1/checkout/sessions" and not r.replayed
    ]


def test_a_card_pledge_gets_a_checkout_url_and_a_retry_the_same_one(
    card_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    api = ApiChecker(card_app.test_client())
    first = _card_pledge(api, cast)
    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "pending" and body["method"] == "card"
    assert body["checkout_url"] and body["checkout_url"].startswith(fake.api_base)
    assert body["bank_reference"] is None
    again = _card_pledge(api, cast)
    assert again.status_code == 201 and again.get_json() == body
    assert len(fake.sessions) == 1
    session = next(iter(fake.sessions.values()))
    assert session["amount_total"] == 500_000 and session["currency"] == "cny"
    assert session["metadata"] == {"pledge_id": str(body["id"])}
    with card_app.app_context():
        pledge = db.session.get(Pledge, body["id"])
        assert pledge.checkout_session_id == session["id"]
        assert pledge.status == PledgeStatus.PENDING  # paid only when Stripe says so
    # Only the payer (and staff) get the payment link.
    assert api.get(f"/pledges/{body['id']}", token=cast.token("org")).get_json()["checkout_url"] is None
    assert (
        api.get(f"/pledges/{body['id']}", token=cast.token("company")).get_json()["checkout_url"]
        == body["checkout_url"]
    )


def test_a_lost_stripe_answer_is_retried_into_the_same_session(
    card_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    fake.drop_connection_next("/v1/checkout/sessions", after_processing=True)
    api = ApiChecker(card_app.test_client())
    response = _card_pledge(api, cast)
    assert response.status_code == 201
    assert len(fake.sessions) == 1
    assert response.get_json()["checkout_url"] == next(iter(fake.sessions.values()))["url"]


def test_a_stripe_failure_saves_nothing_and_the_retry_works(
    card_app: Flask, fake: FakeStripe, cast: Cast
) -> None:
    fake.fail_next("/v1/checkout/sessions", status=400)
    api = ApiChecker(card_app.test_client())
    failed = _card_pledge(api, cast)
    assert failed.status_code == 502
    assert failed.get_json()["error"]["code"] == "payment_gateway_error"
    assert "sk_test_x" not in failed.get_data(as_text=True)
    assert pledge_count(card_app) == 0
    retried = _card_pledge(api, cast)
    assert retried.status_code == 201 and retried.get_json()["checkout_url"]
    assert pledge_count(card_app) == 1


def test_staff_cannot_confirm_a_card_pledge_by_hand(card_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    api = ApiChecker(card_app.test_client())
    pledge_id = _card_pledge(api, cast).get_json()["id"]
    response = confirm(api, cast, pledge_id, 500_000, "HAND")
    assert response.status_code == 409


def _paid_card_pledge(app: Flask, api: ApiChecker, fake: FakeStripe, cast: Cast) -> int:
    pledge_id = _card_pledge(api, cast).get_json()["id"]
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        completed = fake.complete_session(pledge.checkout_session_id)
        assert (
            pledges.mark_card_paid(
                pledge,
                amount=completed["amount_total"],
                currency=completed["currency"],
                payment_intent_id=completed["payment_intent"],
                source="test",
            )
            == "applied"
        )
        db.session.commit()
    return pledge_id


def test_a_card_refund_goes_back_through_stripe(card_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    api = ApiChecker(card_app.test_client())
    pledge_id = _paid_card_pledge(card_app, api, fake, cast)
    response = api.post(
        f"/pledges/{pledge_id}/refund", token=cast.token("staff"), json_body={"amount": 150_000}
    )
    assert response.status_code == 200
    assert response.get_json()["refunded_amount"] == 150_000
    assert [refund["amount"] for refund in fake.refunds.values()] == [150_000]
    with card_app.app_context():
        assert db.session.get(Project, cast.project_id).raised_amount == 350_000


def test_a_refused_stripe_refund_changes_nothing(card_app: Flask, fake: FakeStripe, cast: Cast) -> None:
    api = ApiChecker(card_app.test_client())
    pledge_id = _paid_card_pledge(card_app, api, fake, cast)
    before = money_snapshot(card_app)
    fake.fail_next("/v1/refunds", status=400)
    response = api.post(f"/pledges/{pledge_id}/refund", token=cast.token("staff"))
    assert response.status_code == 502
    assert money_snapshot(card_app) == before
    assert fake.refunds == {}


def test_pool_totals_are_untouched_by_pending_pledges(app: Flask, api: ApiChecker, cast: Cast) -> None:
    with app.app_context():
        sponsor = factories.company_member()
        now = utcnow()
        pool = pledges.open_matching_pool(
            sponsor,
            pledges.PoolInput(
                name="配捐",
                budget=100_000,
                ratio_bp=10_000,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=1),
            ),
        )
        db.session.commit()
        pool_id = pool.id
    make_pledge(app, api, cast, key="pending-pool")
    with app.app_context():
        assert db.session.get(MatchingPool, pool_id).remaining == 100_000
