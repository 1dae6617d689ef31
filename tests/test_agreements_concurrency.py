"""Agreements under concurrent requests, each thread with its own app context, session and connection
(tests/concurrency.py): simultaneous signatures activate once and schedule the money once, a party
signs once however many of its members click, one version is drafted at a time, and two expiry runs
expire (or renew) each agreement once. Real concurrency shows on PostgreSQL; SQLite serialises
writers and must give the same results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace import audit
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementSignature, AgreementVersion
from marketplace.agreements.terms import Terms, Tranche
from marketplace.errors import Conflict, DomainError
from marketplace.extensions import db
from marketplace.pledges.models import Pledge
from marketplace.timeutil import end_of_local_day, local_today
from tests import factories
from tests.concurrency import run_rounds

ROUNDS = 8  # a fresh agreement for every round
TERMS = Terms(
    scope="社区应急救护培训", obligations_company="资助培训器材", obligations_organization="组织培训"
)
COMMITTED = 900_000


@dataclass(frozen=True)
class Scene:
    staff: int
    company: int  # two members of the company …
    company_colleague: int
    org: int  # … and two of the organization
    org_colleague: int
    company_party: int
    organization: int
    project: int


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        factories.foundation()
        staff = factories.staff()
        company = factories.company_member()
        org = factories.org_member()
        colleagues = [
            accounts.add_member(
                party,
                accounts.AccountInput(email=f"{name}@example.cn", password=factories.PASSWORD, name=name),
                actor_id=staff.id,
            )
            for party, name in ((company.company, "company-colleague"), (org.organization, "org-colleague"))
        ]
        project = factories.project(org, status="published", reviewer=staff)
        db.session.commit()
        return Scene(
            staff.id,
            company.id,
            colleagues[0].id,
            org.id,
            colleagues[1].id,
            company.company_id,
            org.organization_id,
            project.id,
        )


def user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def new_agreement(scene: Scene, *, auto_renew: bool = False, days: int = 365) -> Agreement:
    today = local_today()
    agreement = ops.create_agreement(
        user(scene.staff),
        ops.AgreementInput(
            title="应急救护合作协议",
            company_id=scene.company_party,
            organization_id=scene.organization,
            project_ids=[scene.project],
            starts_on=today,
            ends_on=today + timedelta(days=days),
            auto_renew=auto_renew,
        ),
    )
    db.session.commit()
    return agreement


def funded() -> ops.VersionInput:
    today = local_today()
    return ops.VersionInput(
        terms=TERMS,
        committed_amount=COMMITTED,
        tranches=(Tranche(today + timedelta(days=7), 300_000), Tranche(today + timedelta(days=60), 600_000)),
    )


def proposed(scene: Scene, **options: Any) -> tuple[int, int]:
    agreement = new_agreement(scene, **options)
    version = ops.add_version(agreement, user(scene.staff), funded())
    ops.propose(agreement, user(scene.staff), version_id=version.id)
    db.session.commit()
    return agreement.id, version.id


def sign(agreement_id: int, version_id: int, user_id: int) -> str:
    """One signing request, committed like a request would be: "signed" or "refused"."""
    agreement = db.session.get(Agreement, agreement_id)
    version = db.session.get(AgreementVersion, version_id)
    try:
        ops.sign(agreement, user(user_id), version_id=version_id, content_sha256=version.content_sha256)
    except Conflict:
        db.session.rollback()
        return "refused"
    db.session.commit()
    return "signed"


def events_of(agreement_id: int, action: str) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(audit.AuditEvent)
            .where(
                audit.AuditEvent.subject_type == "Agreement",
                audit.AuditEvent.subject_id == agreement_id,
                audit.AuditEvent.action == action,
            )
        )
        or 0
    )


def signatures_of(version_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(AgreementSignature.party_id, AgreementSignature.decision).where(
            AgreementSignature.version_id == version_id
        )
    ).all()
    return sorted((row[0], row[1]) for row in rows)


def pledges_of(agreement_id: int) -> list[Pledge]:
    return list(
        db.session.scalars(select(Pledge).where(Pledge.agreement_id == agreement_id).order_by(Pledge.id))
    )


def assert_active_once(agreement_id: int, version_id: int) -> None:
    agreement = db.session.get(Agreement, agreement_id)
    assert agreement.status == "active" and agreement.current_version_id == version_id
    assert db.session.get(AgreementVersion, version_id).status == "signed"
    assert [decision for _party, decision in signatures_of(version_id)] == ["signed", "signed"]
    assert events_of(agreement_id, "agreement.activated") == 1
    scheduled = pledges_of(agreement_id)
    assert [(p.amount, p.tranche_no, p.status) for p in scheduled] == [
        (300_000, 1, "pending"),
        (600_000, 2, "pending"),
    ]
    assert all(p.agreement_version_id == version_id for p in scheduled)


# ─────────────────────────────── signatures ───────────────────────────────


def test_both_parties_signing_at_the_same_moment_activate_the_agreement_exactly_once(
    app: Flask, scene: Scene
) -> None:
    with app.app_context():
        rounds = [proposed(scene) for _ in range(ROUNDS)]
    signers = (scene.company, scene.org)

    results = run_rounds(app, 2, ROUNDS, lambda t, r: sign(*rounds[r], signers[t]))

    assert results == [["signed"] * ROUNDS, ["signed"] * ROUNDS]
    with app.app_context():
        for agreement_id, version_id in rounds:
            assert_active_once(agreement_id, version_id)
        assert db.session.scalar(select(func.count(Pledge.id))) == 2 * ROUNDS
        assert audit.verify_chain() is None


def test_two_signers_of_one_party_at_the_same_moment_sign_once(app: Flask, scene: Scene) -> None:
    with app.app_context():
        rounds = [proposed(scene) for _ in range(ROUNDS)]
    signers = (scene.company, scene.company_colleague)

    results = run_rounds(app, 2, ROUNDS, lambda t, r: sign(*rounds[r], signers[t]))

    for round_ in range(ROUNDS):
        assert sorted(results[t][round_] for t in range(2)) == ["refused", "signed"]
    with app.app_context():
        for agreement_id, version_id in rounds:
            (company_signature,) = signatures_of(version_id)
            assert company_signature[1] == "signed"
            assert db.session.get(Agreement, agreement_id).status == "pending_signature"
            assert events_of(agreement_id, "agreement.signed") == 1
            assert pledges_of(agreement_id) == []
        assert audit.verify_chain() is None


def test_every_member_of_both_parties_clicking_sign_at_once_activates_once(app: Flask, scene: Scene) -> None:
    with app.app_context():
        rounds = [proposed(scene) for _ in range(ROUNDS)]
    signers = (scene.company, scene.company_colleague, scene.org, scene.org_colleague)

    results = run_rounds(app, 4, ROUNDS, lambda t, r: sign(*rounds[r], signers[t]))

    for round_ in range(ROUNDS):
        company_side = sorted(results[t][round_] for t in (0, 1))
        org_side = sorted(results[t][round_] for t in (2, 3))
        assert company_side == org_side == ["refused", "signed"]
    with app.app_context():
        for agreement_id, version_id in rounds:
            assert_active_once(agreement_id, version_id)
        assert audit.verify_chain() is None


def test_a_last_signature_racing_a_request_for_changes_lets_exactly_one_win(app: Flask, scene: Scene) -> None:
    """The organization has signed; at the same moment the company signs and the broker sends the
    version back. Either the agreement takes effect (and the request is refused) or the version is
    withdrawn (and the signature refused) — never a withdrawn version that is also in force."""
    with app.app_context():
        rounds = [proposed(scene) for _ in range(ROUNDS)]
        for agreement_id, version_id in rounds:
            assert sign(agreement_id, version_id, scene.org) == "signed"

    def step(thread: int, round_: int) -> str:
        agreement_id, version_id = rounds[round_]
        if thread == 0:
            return sign(agreement_id, version_id, scene.company)
        try:
            ops.request_changes(
                db.session.get(Agreement, agreement_id),
                user(scene.staff),
                version_id=version_id,
                reason="金额需要重新核对",
            )
        except Conflict:
            db.session.rollback()
            return "refused"
        db.session.commit()
        return "withdrawn"

    results = run_rounds(app, 2, ROUNDS, step)

    with app.app_context():
        for round_, (agreement_id, version_id) in enumerate(rounds):
            outcome = (results[0][round_], results[1][round_])
            assert outcome in {("signed", "refused"), ("refused", "withdrawn")}, outcome
            agreement = db.session.get(Agreement, agreement_id)
            version = db.session.get(AgreementVersion, version_id)
            if outcome == ("signed", "refused"):
                assert_active_once(agreement_id, version_id)
            else:
                assert (agreement.status, version.status) == ("negotiating", "withdrawn")
                assert agreement.current_version_id is None and pledges_of(agreement_id) == []
                assert events_of(agreement_id, "agreement.activated") == 0
        assert audit.verify_chain() is None


# ─────────────────────────────── versions ───────────────────────────────


def test_two_concurrent_drafts_make_one_version(app: Flask, scene: Scene) -> None:
    with app.app_context():
        agreement_ids = [new_agreement(scene).id for _ in range(ROUNDS)]
    authors = (scene.company, scene.org)

    def draft(thread: int, round_: int) -> str:
        agreement = db.session.get(Agreement, agreement_ids[round_])
        try:
            ops.add_version(agreement, user(authors[thread]), funded())
        except Conflict:
            db.session.rollback()
            return "refused"
        db.session.commit()
        return "drafted"

    results = run_rounds(app, 2, ROUNDS, draft)

    for round_ in range(ROUNDS):
        assert sorted(results[t][round_] for t in range(2)) == ["drafted", "refused"]
    with app.app_context():
        for agreement_id in agreement_ids:
            versions = db.session.scalars(
                select(AgreementVersion).where(AgreementVersion.agreement_id == agreement_id)
            ).all()
            assert [(v.version_no, v.status) for v in versions] == [(1, "draft")]
            assert db.session.get(Agreement, agreement_id).status == "negotiating"
            assert events_of(agreement_id, "agreement.version_created") == 1
        assert audit.verify_chain() is None


# ─────────────────────────────── the expiry job ───────────────────────────────


def test_concurrent_expiry_runs_expire_or_renew_each_agreement_once(app: Flask, scene: Scene) -> None:
    with app.app_context():
        expiring, renewing = [], []
        for index in range(ROUNDS):
            agreement_id, version_id = proposed(scene, auto_renew=index % 2 == 1, days=200)
            sign(agreement_id, version_id, scene.company)
            sign(agreement_id, version_id, scene.org)
            (renewing if index % 2 else expiring).append(agreement_id)
        ends_on = db.session.get(Agreement, expiring[0]).ends_on
    now: datetime = end_of_local_day(ends_on) + timedelta(seconds=1)  # the next day has begun in Wenzhou
    threads = 4

    def expire(_thread: int, _round: int) -> tuple[list[int], list[int]]:
        result = ops.expire_agreements(now)
        db.session.commit()
        return result.expired, result.renewed

    results = run_rounds(app, threads, 1, expire)

    expired = sorted(i for thread in results for done, _renewed in thread for i in done)
    renewed = sorted(i for thread in results for _done, again in thread for i in again)
    assert expired == sorted(expiring) and renewed == sorted(renewing)
    with app.app_context():
        for agreement_id in expiring:
            assert db.session.get(Agreement, agreement_id).status == "expired"
            assert events_of(agreement_id, "agreement.expired") == 1
        for agreement_id in renewing:
            agreement = db.session.get(Agreement, agreement_id)
            assert agreement.status == "active" and agreement.ends_on == ends_on + timedelta(days=201)
            assert events_of(agreement_id, "agreement.renewed") == 1
        assert audit.verify_chain() is None


def test_a_renewal_signed_while_the_expiry_job_runs_is_not_expired(
    app: Flask, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving is fixed, not left to chance: the job has read the list of due agreements
    when the company's last signature on the renewal commits (another request, its own session)."""
    with app.app_context():
        agreement = new_agreement(scene, days=200)
        first = ops.add_version(agreement, user(scene.staff), ops.VersionInput(terms=TERMS))
        ops.propose(agreement, user(scene.staff), version_id=first.id)
        db.session.commit()
        sign(agreement.id, first.id, scene.company)
        sign(agreement.id, first.id, scene.org)
        agreement = db.session.get(Agreement, agreement.id)
        ends_on = agreement.ends_on
        renewal = ops.add_version(
            agreement, user(scene.org), ops.VersionInput(terms=TERMS, ends_on=ends_on + timedelta(days=365))
        )
        ops.propose(agreement, user(scene.org), version_id=renewal.id)
        db.session.commit()
        sign(agreement.id, renewal.id, scene.org)
        agreement_id, renewal_id = agreement.id, renewal.id

    real_update = ops.update
    interleaved: list[str] = []

    def update_after_the_last_signature(*args: Any, **kwargs: Any) -> Any:
        if not interleaved:
            interleaved.append("signing")
            with app.app_context():  # another request, with its own session and connection
                interleaved.append(sign(agreement_id, renewal_id, scene.company))
        return real_update(*args, **kwargs)

    monkeypatch.setattr(ops, "update", update_after_the_last_signature)
    with app.app_context():
        result = ops.expire_agreements(end_of_local_day(ends_on) + timedelta(seconds=1))
        db.session.commit()

    assert interleaved == ["signing", "signed"]
    with app.app_context():
        agreement = db.session.get(Agreement, agreement_id)
        assert agreement.current_version_id == renewal_id
        assert (agreement.status, agreement.ends_on) == ("active", ends_on + timedelta(days=365))
        assert result.expired == [] and events_of(agreement_id, "agreement.expired") == 0


def test_a_refused_concurrent_signature_leaves_the_session_usable(app: Flask, scene: Scene) -> None:
    """The request that lost a race gets a clean 409 and its session works for the next request."""
    with app.app_context():
        agreement_id, version_id = proposed(scene)
    signers = (scene.company, scene.company_colleague)

    def step(thread: int, _round: int) -> tuple[str, str]:
        outcome = sign(agreement_id, version_id, signers[thread])
        # The same session serves the next request: a comment on the thread.
        ops.add_comment(
            db.session.get(Agreement, agreement_id), user(signers[thread]), version_id=None, body="已阅"
        )
        db.session.commit()
        return outcome, "commented"

    results = run_rounds(app, 2, 1, step)

    assert sorted(r[0][0] for r in results) == ["refused", "signed"]
    with app.app_context():
        assert len(ops.comments(db.session.get(Agreement, agreement_id))) == 2
        assert audit.verify_chain() is None


def test_invalid_input_is_refused_the_same_way_under_load(app: Flask, scene: Scene) -> None:
    """Many parties probing a proposed version with a wrong hash at once: all refused, nothing signed."""
    with app.app_context():
        agreement_id, version_id = proposed(scene)
    signers = (scene.company, scene.company_colleague, scene.org, scene.org_colleague)

    def wrong_hash(thread: int, _round: int) -> str:
        try:
            ops.sign(
                db.session.get(Agreement, agreement_id),
                user(signers[thread]),
                version_id=version_id,
                content_sha256="ab" * 32,
            )
        except DomainError as error:
            db.session.rollback()
            return next(iter(error.fields))
        db.session.commit()
        return "signed"

    results = run_rounds(app, 4, 2, wrong_hash)

    assert {outcome for thread in results for outcome in thread} == {"content_sha256"}
    with app.app_context():
        assert signatures_of(version_id) == []
        assert db.session.get(Agreement, agreement_id).status == "pending_signature"
