"""The access-control matrix: every page and endpoint × anonymous / org member / member of another
org / company / staff / admin. Allowed calls succeed; the rest get a login redirect, 401, 403 or
404 and change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.parties.models import Company, Organization
from marketplace.projects.models import Project
from marketplace.timeutil import local_today
from tests import conftest, factories, rows_support
from tests.access_cases import feature_modules
from tests.access_cases.base import (
    DENIED,
    HIDDEN,
    INVALID,
    LOGIN,
    OK,
    OWNER_AND_STAFF_SEE,
    ROLES,
    STAFF_ONLY,
    Case,
    everyone,
    members_only,
)
from tests.factories import World

PROJECT_FORM = {
    "title": "社区长者数字课堂",
    "summary": "教社区老人使用智能手机。",
    "description": "## 背景\n\n很多老人不会用手机。",
    "category": "elderly",
    "tags": "长者、数字",
    "district": "鹿城区",
    "community": "五马街道",
    "goal_yuan": "8000",
    "deadline": (local_today() + timedelta(days=20)).isoformat(),
    "funding_model": "keep_it_all",
    "beneficiaries": "30",
}
API_PROJECT = {
    "title": "社区长者数字课堂",
    "summary": "教社区老人使用智能手机。",
    "category": "elderly",
    "district": "鹿城区",
    "goal_amount": 800_000,
    "deadline": (local_today() + timedelta(days=20)).isoformat(),
    "funding_model": "keep_it_all",
}

PAGES = [
    Case("GET", "/", everyone()),
    Case("GET", "/projects", everyone()),
    Case("GET", "/projects/{published_id}", everyone()),
    Case("GET", "/projects/{draft_id}", OWNER_AND_STAFF_SEE),
    Case("GET", "/projects/{submitted_id}", OWNER_AND_STAFF_SEE),
    Case("GET", "/projects/new", members_only(company=DENIED, staff=DENIED, admin=DENIED)),
    Case(
        "GET",
        "/projects/{draft_id}/edit",
        members_only(other_org=DENIED, company=DENIED, staff=DENIED, admin=DENIED),
    ),
    Case("GET", "/organizations", everyone()),
    Case("GET", "/organizations/{organization_id}", everyone()),
    Case("GET", "/organizations/{pending_organization_id}", {**OWNER_AND_STAFF_SEE, "org": HIDDEN}),
    Case("GET", "/companies/{company_id}", everyone()),
    Case("GET", "/dashboard", members_only()),
    Case("GET", "/account/password", members_only()),
    Case("GET", "/organization/profile", members_only(company=DENIED, staff=DENIED, admin=DENIED)),
    Case("GET", "/company/profile", members_only(org=DENIED, other_org=DENIED, staff=DENIED, admin=DENIED)),
    Case("GET", "/team", members_only(staff=DENIED, admin=DENIED)),
    Case("GET", "/staff/reviews", STAFF_ONLY),
    Case("GET", "/staff/verifications", STAFF_ONLY),
    Case("GET", "/login", everyone()),
    Case("GET", "/signup", everyone()),
    Case("GET", "/signup/organization", everyone()),
    Case("GET", "/signup/company", everyone()),
    Case("GET", "/language/{language}", everyone()),
    Case("GET", "/favicon.ico", everyone()),
    Case("GET", "/uploads/{missing_upload}", everyone(HIDDEN)),
]

ACTIONS = [
    Case("POST", "/projects/new", members_only(company=DENIED, staff=DENIED, admin=DENIED), PROJECT_FORM),
    Case(
        "POST",
        "/projects/{draft_id}/edit",
        members_only(other_org=DENIED, company=DENIED, staff=DENIED, admin=DENIED),
        PROJECT_FORM,
    ),
    Case(
        "POST",
        "/projects/{draft_id}/transitions",
        members_only(other_org=DENIED, company=DENIED, staff=DENIED, admin=DENIED),
        {"action": "submit"},
    ),
    Case(
        "POST",
        "/projects/{submitted_id}/transitions",
        members_only(org=DENIED, other_org=DENIED, company=DENIED),
        {"action": "publish"},
    ),
    Case(
        "POST",
        "/projects/{submitted_id}/transitions",
        members_only(org=DENIED, other_org=DENIED, company=DENIED),
        {"action": "return", "reason": "请补充预算"},
    ),
    Case(
        "POST",
        "/staff/verifications/organization/{pending_organization_id}",
        STAFF_ONLY,
        {"action": "verify"},
    ),
    Case(
        "POST",
        "/staff/verifications/company/{pending_company_id}",
        STAFF_ONLY,
        {"action": "reject", "reason": "营业执照照片不清晰"},
    ),
    Case(
        "POST",
        "/organizations/{organization_id}/grade",
        STAFF_ONLY,
        {"grade": "A3", "grade_valid_until": "2030-12-31", "tier": "demonstration"},
    ),
    Case(
        "POST",
        "/team",
        members_only(staff=DENIED, admin=DENIED),
        {"name": "新同事", "email": "colleague@example.cn", "password": "Another-Strong-77"},
    ),
    Case("POST", "/profile/resubmit", members_only(staff=DENIED, admin=DENIED)),
    Case("POST", "/logout", everyone()),
    Case("POST", "/login", everyone(), {"email": "{org_email}", "password": factories.PASSWORD}),
    # Someone already signed in is sent to the dashboard instead of signing up again.
    Case("POST", "/signup/organization", {**everyone(), "anonymous": INVALID}),
    Case("POST", "/signup/company", {**everyone(), "anonymous": INVALID}),
    Case(
        "POST",
        "/account/password",
        members_only(org=INVALID, other_org=INVALID, company=INVALID, staff=INVALID, admin=INVALID),
    ),
    Case(
        "POST",
        "/organization/profile",
        members_only(org=INVALID, other_org=INVALID, company=DENIED, staff=DENIED, admin=DENIED),
    ),
    Case(
        "POST",
        "/company/profile",
        members_only(org=DENIED, other_org=DENIED, company=INVALID, staff=DENIED, admin=DENIED),
    ),
]

API = [
    Case("GET", "/api/v1/openapi.json", everyone(), api=True),
    Case("GET", "/api/v1/categories", everyone(), api=True),
    Case("GET", "/api/v1/districts", everyone(), api=True),
    Case("GET", "/api/v1/me", members_only(), api=True),
    Case("GET", "/api/v1/projects", everyone(), api=True),
    Case("GET", "/api/v1/projects/{published_id}", everyone(), api=True),
    Case("GET", "/api/v1/projects/{draft_id}", OWNER_AND_STAFF_SEE, api=True),
    Case("GET", "/api/v1/organizations/{organization_id}", everyone(), api=True),
    Case(
        "GET",
        "/api/v1/organizations/{pending_organization_id}",
        {**OWNER_AND_STAFF_SEE, "org": HIDDEN},
        api=True,
    ),
    Case("GET", "/api/v1/companies/{company_id}", everyone(), api=True),
    Case(
        "POST",
        "/api/v1/projects",
        members_only(company=DENIED, staff=DENIED, admin=DENIED),
        API_PROJECT,
        api=True,
    ),
    Case(
        "PATCH",
        "/api/v1/projects/{draft_id}",
        members_only(other_org=DENIED, company=DENIED, staff=DENIED, admin=DENIED),
        {"title": "改过的标题"},
        api=True,
    ),
    Case(
        "POST",
        "/api/v1/projects/{draft_id}/transitions",
        members_only(other_org=DENIED, company=DENIED, staff=DENIED, admin=DENIED),
        {"action": "submit"},
        api=True,
    ),
    Case(
        "POST",
        "/api/v1/projects/{submitted_id}/transitions",
        members_only(org=DENIED, other_org=DENIED, company=DENIED),
        {"action": "publish"},
        api=True,
    ),
    Case("DELETE", "/api/v1/tokens/current", members_only(), api=True),
    Case(
        "POST",
        "/api/v1/tokens",
        everyone(LOGIN),
        {"email": "nobody@example.cn", "password": "wrong-password"},
        api=True,
    ),
]

FEATURES = feature_modules()
ALL_CASES = PAGES + ACTIONS + API + [case for module in FEATURES for case in module.CASES]


@dataclass
class Fixture:
    world: World
    ids: dict[str, Any]
    # Each role signs in (or gets its API token) once per set of rows: the session cookie right after
    # the login, or the bearer token. Every case then sends exactly what it sent after its own login.
    credentials: dict[tuple[str, str], str] = field(default_factory=dict)
    # ``_state`` of the rows as the last refused case left them (and checked them unchanged); None once
    # an allowed case may have changed them.
    state: tuple[Any, ...] | None = None


# Which feature module a case came from: a write case is set up with that module's rows only.
CASE_MODULES = {id(case): module for module in FEATURES for case in module.CASES}


def _build_fixture(features: Sequence[ModuleType] = FEATURES) -> Fixture:
    """Inside an app context: the world, parties awaiting verification, and the rows of ``features``
    (every feature's by default)."""
    world = factories.build_world()
    pending_org = factories.org_member(verified=False)
    pending_company = factories.company_member(verified=False)
    ids = {
        **{name: getattr(world, name) for name in World.__dataclass_fields__},
        "pending_organization_id": pending_org.organization_id,
        "pending_company_id": pending_company.company_id,
        "missing_upload": "0" * 32 + ".png",
        "language": "en",
    }
    for module in features:
        ids.update(module.ids(world))
    return Fixture(world, ids)


# Per feature module (and "" for the base cases): the rows _build_fixture made last, copied right
# after they were built, and the Fixture that names them.
_SNAPSHOTS: dict[str, tuple[rows_support.RowSnapshot, Fixture]] = {}
_RESTORABLE: dict[str, bool] = {}


def _fixture_from_snapshot(
    key: str,
    features: Sequence[ModuleType],
    app: Flask,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Fixture:
    """Into empty tables: the rows of ``_build_fixture(features)``. Built through the operations the
    first time; the next cases of the same features (for a short while: rows stamped "now" stay
    recent) get the very same rows and upload files copied back, at a fraction of the cost."""
    saved = _SNAPSHOTS.get(key)
    if saved is not None and saved[0].fresh(database_url):
        rows_support.restore(saved[0], app.config["UPLOAD_DIR"])
        return replace(saved[1], credentials={}, state=None)
    with app.app_context():
        fixture = _build_fixture(features)
    if database_url not in _RESTORABLE:
        _RESTORABLE[database_url] = rows_support.can_restore(database_url)
    if _RESTORABLE[database_url]:
        snapshot = rows_support.take(database_url, app.config["UPLOAD_DIR"], tmp_path_factory.mktemp("rows"))
        _SNAPSHOTS[key] = (snapshot, replace(fixture, credentials={}, state=None))
    return fixture


@pytest.fixture
def setup(
    app: Flask, request: pytest.FixtureRequest, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Fixture:
    """A write case changes rows, so each gets its own: the world and its own feature's rows (every
    feature's would cost each of the several hundred write cases a few hundred milliseconds more)."""
    module = CASE_MODULES.get(id(request.node.callspec.params["case"]))
    features = [module] if module is not None else []
    key = module.__name__ if module is not None else ""
    return _fixture_from_snapshot(key, features, app, database_url, tmp_path_factory)


@pytest.fixture(scope="session")
def shared_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(conftest.test_config(database_url, tmp_path_factory.mktemp("matrix")))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_SHARED: dict[str, Any] = {}


@pytest.fixture
def shared_setup(shared_app: Flask, database_url: str) -> tuple[Flask, Fixture]:
    """Read-only cases change nothing, so they share one set of rows, built again only after
    another test emptied the tables (the next test that needs empty tables empties them first)."""
    state = conftest.DATABASE_STATE
    if _SHARED.get("generation") != state["generation"] or _SHARED.get("database") != database_url:
        conftest._empty_tables(database_url)
        with shared_app.app_context():
            _SHARED["fixture"] = _build_fixture()
        _SHARED["generation"], _SHARED["database"] = state["generation"], database_url
    conftest.mark_dirty()
    return shared_app, _SHARED["fixture"]


def _state(app: Flask) -> tuple[Any, ...]:
    """Everything the matrix's requests could change, as plain values."""
    with app.app_context():
        return (
            tuple(
                db.session.execute(
                    select(Project.id, Project.status, Project.title, Project.updated_at).order_by(Project.id)
                ).all()
            ),
            tuple(
                db.session.execute(
                    select(Organization.id, Organization.verification_status, Organization.grade).order_by(
                        Organization.id
                    )
                ).all()
            ),
            tuple(
                db.session.execute(select(Company.id, Company.verification_status).order_by(Company.id)).all()
            ),
            tuple(db.session.scalars(select(User.email).order_by(User.id)).all()),
            _money_state(),
            _matching_state(),
            _agreement_state(),
            _tender_state(),
            # Later features say what their routes could change in their case module's `state()`.
            tuple(module.state() for module in FEATURES if hasattr(module, "state")),
        )


def _tender_state() -> tuple[Any, ...]:
    """Tenders, bids, their participants, documents, invitations and awards: what the tender routes change."""
    from marketplace.tenders.models import (
        Bid,
        BidDocument,
        BidParticipant,
        ConsortiumInvitation,
        Tender,
        TenderAward,
    )

    def rows(*columns: Any) -> tuple[Any, ...]:
        return tuple(db.session.execute(select(*columns).order_by(columns[0])).all())

    return (
        rows(Tender.id, Tender.status, Tender.revision, Tender.title, Tender.budget),
        rows(Bid.id, Bid.status, Bid.revision, Bid.price, Bid.score, Bid.qualified),
        rows(
            BidParticipant.id,
            BidParticipant.confirmed_revision,
            BidParticipant.share,
            BidParticipant.consent_status,
            BidParticipant.activated_at,
        ),
        rows(BidDocument.id),
        rows(ConsortiumInvitation.id, ConsortiumInvitation.status),
        rows(TenderAward.id, TenderAward.status),
    )


def _agreement_state() -> tuple[Any, ...]:
    """Agreements, their versions, signatures, comments and signers: what the agreement routes change.
    ``updated_at`` is left out on purpose: a refused change may lock (touch) the row before it is
    refused, and the rollback restores it anyway."""
    from marketplace.agreements.models import (
        Agreement,
        AgreementComment,
        AgreementParty,
        AgreementSignature,
        AgreementVersion,
    )

    return (
        tuple(
            db.session.execute(
                select(
                    Agreement.id, Agreement.status, Agreement.broker_id, Agreement.current_version_id
                ).order_by(Agreement.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    AgreementVersion.id, AgreementVersion.status, AgreementVersion.content_sha256
                ).order_by(AgreementVersion.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(AgreementParty.id, AgreementParty.signer_id, AgreementParty.signer_title).order_by(
                    AgreementParty.id
                )
            ).all()
        ),
        db.session.scalar(select(func.count(AgreementSignature.id))),
        db.session.scalar(select(func.count(AgreementComment.id))),
    )


def _matching_state() -> tuple[Any, ...]:
    """Sponsor profiles and introductions: what the matching routes change."""
    from marketplace.matching.models import Introduction, MatchSuggestion, SponsorProfile

    return (
        tuple(
            db.session.execute(
                select(
                    SponsorProfile.company_id,
                    SponsorProfile.pledge_min,
                    SponsorProfile.pledge_max,
                    SponsorProfile.interest_statement,
                    SponsorProfile.updated_at,
                ).order_by(SponsorProfile.company_id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(
                    Introduction.id, Introduction.status, Introduction.note, Introduction.viewed_at
                ).order_by(Introduction.id)
            ).all()
        ),
        db.session.scalar(select(func.count()).select_from(MatchSuggestion)),
    )


def _money_state() -> tuple[Any, ...]:
    """Pledges, the ledger, pools, disbursements, updates and reports: what money routes change."""
    from marketplace.payments.models import StripeEvent
    from marketplace.pledges.models import Disbursement, LedgerEntry, MatchingPool, PartnerFoundation, Pledge
    from marketplace.projects.models import FundUsageReport, ProjectUpdate

    def count(model: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    return (
        tuple(
            db.session.execute(
                select(
                    Pledge.id, Pledge.status, Pledge.paid_amount, Pledge.refunded_amount, Pledge.flag_reason
                ).order_by(Pledge.id)
            ).all()
        ),
        tuple(db.session.execute(select(MatchingPool.id, MatchingPool.remaining, MatchingPool.active)).all()),
        tuple(db.session.execute(select(Project.id, Project.raised_amount, Project.disbursed_amount)).all()),
        tuple(
            db.session.execute(
                select(Organization.id, Organization.public_fundraising_qualified).order_by(Organization.id)
            ).all()
        ),
        tuple(db.session.execute(select(PartnerFoundation.id, PartnerFoundation.name)).all()),
        count(LedgerEntry),
        count(Disbursement),
        count(ProjectUpdate),
        count(FundUsageReport),
        count(StripeEvent),
    )


def _api_token(app: Flask, role: str, email: str, fixture: Fixture) -> str:
    if ("token", role) not in fixture.credentials:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            fixture.credentials["token", role] = accounts.issue_api_token(user)
            db.session.commit()
    return fixture.credentials["token", role]


def _session_cookie(app: Flask, role: str, email: str, fixture: Fixture) -> str:
    """The session cookie a real login through /login sets (with its pending welcome message)."""
    if ("session", role) not in fixture.credentials:
        client = app.test_client()
        login = client.post("/login", data={"email": email, "password": factories.PASSWORD})
        assert login.status_code == 302, f"could not log in as {role}"
        assert client.get_cookie("remember_token") is None
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None, f"no session cookie after logging in as {role}"
        fixture.credentials["session", role] = cookie.value
    return fixture.credentials["session", role]


def _call(app: Flask, case: Case, role: str, fixture: Fixture) -> Any:
    client = app.test_client()
    email = fixture.world.email_for(role)
    path = case.path.format(**fixture.ids)
    headers = dict(case.headers)
    if case.api:
        if email is not None:
            headers["Authorization"] = f"Bearer {_api_token(app, role, email, fixture)}"
        return client.open(path, method=case.method, json=case.data or None, headers=headers)
    if email is not None:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], _session_cookie(app, role, email, fixture))
    data = {
        key.format(**fixture.ids): value.format(**fixture.ids) if isinstance(value, str) else value
        for key, value in case.data.items()
    }
    return client.open(path, method=case.method, data=data or None)


READ_CASES = [case for case in ALL_CASES if case.method == "GET"]
WRITE_CASES = [case for case in ALL_CASES if case.method != "GET"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", READ_CASES, ids=str)
def test_access_matrix_reads(shared_setup: tuple[Flask, Fixture], case: Case, role: str) -> None:
    app, fixture = shared_setup
    _check(app, fixture, case, role)


# A write that is refused changes nothing (each check asserts it), so refusals share the read cases'
# rows; only a write that goes through gets rows of its own.
ACCEPTED_WRITES = [(case, role) for case in WRITE_CASES for role in ROLES if case.expect[role] == OK]
REFUSED_WRITES = [(case, role) for case in WRITE_CASES for role in ROLES if case.expect[role] != OK]


@pytest.mark.parametrize(("case", "role"), REFUSED_WRITES, ids=lambda value: str(value))
def test_access_matrix_refusals(shared_setup: tuple[Flask, Fixture], case: Case, role: str) -> None:
    app, fixture = shared_setup
    try:
        _check(app, fixture, case, role)
    except AssertionError:
        _SHARED.clear()  # the rows may have changed: the next shared case builds them afresh
        raise


@pytest.mark.parametrize(("case", "role"), ACCEPTED_WRITES, ids=lambda value: str(value))
def test_access_matrix(app: Flask, setup: Fixture, case: Case, role: str) -> None:
    _check(app, setup, case, role)


def _check(app: Flask, setup: Fixture, case: Case, role: str) -> None:
    expected = case.expect[role]
    # The rows before the request: as the last refused case left them (it compared them), else read.
    before = None if expected == OK else setup.state if setup.state is not None else _state(app)
    setup.state = None
    response = _call(app, case, role, setup)
    status = response.status_code
    location = response.headers.get("Location", "")
    if expected == OK:
        assert status < 400 and "/login" not in location, f"{role}: {case} gave {status} {location}"
        return
    if expected == INVALID:
        assert status == 422, f"{role}: {case} gave {status}"
    elif expected == LOGIN:
        if case.api:
            assert status == 401, f"{role}: {case} gave {status}"
            assert response.json["error"]["code"] == "unauthorized"
        else:
            assert status == 302 and "/login" in location, f"{role}: {case} gave {status} {location}"
    elif expected == HIDDEN:
        assert status == 404, f"{role}: {case} gave {status}"
    else:
        assert status in (403, 404), f"{role}: {case} gave {status}"
    if case.api:
        assert set(response.json) == {"error"}, "API errors are JSON, never HTML"
    after = _state(app)
    assert after == before, f"{role}: a refused {case} changed something"
    setup.state = after


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    covered = set()
    placeholders = re.compile(r"\{[a-z_]+\}")
    for case in ALL_CASES:
        rule_like = placeholders.sub("<x>", case.path)
        for placeholder in (
            "{published_id}",
            "{draft_id}",
            "{submitted_id}",
            "{organization_id}",
            "{pending_organization_id}",
            "{company_id}",
            "{pending_company_id}",
            "{missing_upload}",
            "{language}",
        ):
            rule_like = rule_like.replace(placeholder, "<x>")
        covered.add((case.method, rule_like))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for argument in rule.arguments:
            for converter in (f"<int:{argument}>", f"<{argument}>"):
                path = path.replace(converter, "<x>")
        path = path.replace("/staff/verifications/<x>/", "/staff/verifications/organization/")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            candidates = {(method, path), (method, path.replace("/organization/", "/company/"))}
            if not candidates & covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], f"routes missing from the access-control matrix: {missing}"
