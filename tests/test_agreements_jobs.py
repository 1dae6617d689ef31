"""The agreement jobs through the CLI (`flask jobs agreement-reminders | expire-agreements |
renewal-reminders | agreements`), as cron runs them: signature reminders after 5 days, then every 2,
at most 5; expiry the day after the end date in Wenzhou, or another term when the agreement renews
automatically; renewal reminders once per term; each run safe to repeat."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from marketplace import audit, mail
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.agreements import operations as ops
from marketplace.agreements.models import Agreement, AgreementReminder, AgreementVersion
from marketplace.agreements.terms import Terms
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.timeutil import local_today
from tests import factories

TERMS = Terms(
    scope="共建社区“四点钟课堂”",
    obligations_company="每学期资助教材并派出志愿者",
    obligations_organization="组织课后托管并按月报告",
)
# A fixed moment for the proposal (UTC), so that every --now below is exact.
PROPOSED_AT = datetime(2027, 3, 1, 2, 0, 0)


@dataclass(frozen=True)
class People:
    staff: int
    company: int  # a member of the company
    org: int  # a member of the organization
    org_colleague: int  # another member of the organization
    company_party: int
    organization: int


@pytest.fixture
def people(app: Flask) -> People:
    with app.app_context():
        staff = factories.staff()
        company = factories.company_member()
        org = factories.org_member()
        colleague = accounts.add_member(
            org.organization,
            accounts.AccountInput(email="org-colleague@example.cn", password=factories.PASSWORD, name="理事"),
            actor_id=staff.id,
        )
        db.session.commit()
        return People(staff.id, company.id, org.id, colleague.id, company.company_id, org.organization_id)


def user(user_id: int) -> User:
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def proposed(
    people: People,
    *,
    title: str = "课后托管合作协议",
    days: int = 365,
    auto_renew: bool = False,
    notice: int = 30,
) -> tuple[int, int]:
    """An agreement from today for ``days``, its first version proposed (call in an app context)."""
    staff = user(people.staff)
    agreement = ops.create_agreement(
        staff,
        ops.AgreementInput(
            title=title,
            company_id=people.company_party,
            organization_id=people.organization,
            starts_on=local_today(),
            ends_on=local_today() + timedelta(days=days),
            auto_renew=auto_renew,
            renewal_notice_days=notice,
        ),
    )
    version = ops.add_version(agreement, staff, ops.VersionInput(terms=TERMS))
    ops.propose(agreement, staff, version_id=version.id)
    db.session.commit()
    return agreement.id, version.id


def sign(agreement_id: int, version_id: int, *user_ids: int) -> None:
    for user_id in user_ids:
        agreement = db.session.get(Agreement, agreement_id)
        version = db.session.get(AgreementVersion, version_id)
        ops.sign(agreement, user(user_id), version_id=version_id, content_sha256=version.content_sha256)
        db.session.commit()


def active(people: People, **options: Any) -> tuple[int, int]:
    agreement_id, version_id = proposed(people, **options)
    sign(agreement_id, version_id, people.company, people.org)
    return agreement_id, version_id


def proposed_at(version_id: int, moment: datetime = PROPOSED_AT) -> None:
    db.session.execute(
        update(AgreementVersion).where(AgreementVersion.id == version_id).values(proposed_at=moment)
    )
    db.session.commit()


def wenzhou(day: date, clock: str = "12:00:00") -> str:
    return f"{day.isoformat()}T{clock}+08:00"


def after(days: float) -> str:
    return (PROPOSED_AT + timedelta(days=days)).isoformat()


def run(runner: Any, command: str, now: str) -> str:
    result = runner.invoke(args=["jobs", command, "--now", now])
    assert result.exit_code == 0, result.output
    return result.output


def notes(title_part: str, user_id: int | None = None, *, since: int = 0) -> list[Notification]:
    query = select(Notification).where(
        Notification.kind == "agreement", Notification.title.contains(title_part), Notification.id > since
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return list(db.session.scalars(query.order_by(Notification.id)))


def count_events(action: str) -> int:
    return (
        db.session.scalar(
            select(func.count()).select_from(audit.AuditEvent).where(audit.AuditEvent.action == action)
        )
        or 0
    )


def fresh(model: Any, item_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, item_id)


# ─────────────────────────────── signature reminders ───────────────────────────────


def test_signature_reminders_come_after_5_days_then_every_2_and_never_a_sixth(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, version_id = proposed(people)
        proposed_at(version_id)
        mail.outbox().clear()

    assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(4.999))
    for sequence, day in enumerate((5, 7, 9, 11, 13), start=1):
        assert "签署提醒：发送 2 条。" in run(runner, "agreement-reminders", after(day)), day  # one per party
        assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(day + 1)), day
        with app.app_context():
            reminded = notes("签署提醒", people.company)
            assert len(reminded) == sequence
            assert f"第 {sequence} 次提醒，最多 5 次" in reminded[-1].body
            assert f"已等待贵方签署 {day} 天" in reminded[-1].body
    for day in (15, 17, 30, 90):
        assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(day))

    with app.app_context():
        reminders = db.session.scalars(select(AgreementReminder).order_by(AgreementReminder.id)).all()
        parties = [party.id for party in db.session.get(Agreement, agreement_id).parties]
        assert {party: sorted(r.sequence for r in reminders if r.party_id == party) for party in parties} == {
            party: [1, 2, 3, 4, 5] for party in parties
        }
        assert {r.kind for r in reminders} == {"signature"} and len(reminders) == 10
        # Every member who may sign hears each time, in the app and by mail.
        for user_id in (people.company, people.org, people.org_colleague):
            assert len(notes("签署提醒", user_id)) == 5
            assert all(n.link == f"/agreements/{agreement_id}" for n in notes("签署提醒", user_id))
        assert len(notes("签署提醒", people.staff)) == 0  # the broker is a witness, not a signer
        emails = {user(i).email for i in (people.company, people.org, people.org_colleague)}
        sent = [m for m in mail.outbox() if m.subject == "【青亲筹】签署提醒：课后托管合作协议"]
        assert len(sent) == 15 and {m.to for m in sent} == emails
        events = [
            e for e in ops.events(db.session.get(Agreement, agreement_id)) if e.action.endswith("reminder")
        ]
        assert len(events) == 10
        assert {(e.actor_id, e.acting_for) for e in events} == {(None, "system")}
        assert audit.verify_chain() is None


def test_no_reminder_before_the_fifth_day(app: Flask, runner: Any, people: People) -> None:
    with app.app_context():
        _agreement_id, version_id = proposed(people)
        proposed_at(version_id)
    for day in (0, 1, 4, 4.99):
        assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(day))
    with app.app_context():
        assert db.session.scalar(select(func.count(AgreementReminder.id))) == 0
        assert notes("签署提醒") == []


def test_a_party_that_signed_is_not_reminded(app: Flask, runner: Any, people: People) -> None:
    with app.app_context():
        agreement_id, version_id = proposed(people)
        sign(agreement_id, version_id, people.company)
        proposed_at(version_id)

    assert "签署提醒：发送 1 条。" in run(runner, "agreement-reminders", after(5))
    assert "签署提醒：发送 1 条。" in run(runner, "agreement-reminders", after(7))

    with app.app_context():
        assert notes("签署提醒", people.company) == []
        assert len(notes("签署提醒", people.org)) == 2 == len(notes("签署提醒", people.org_colleague))


def test_a_signed_or_withdrawn_version_is_no_longer_reminded(app: Flask, runner: Any, people: People) -> None:
    with app.app_context():
        _signed_id, signed_version = active(people, title="已签署的协议")
        withdrawn_id, withdrawn_version = proposed(people, title="被要求修改的协议")
        ops.request_changes(
            db.session.get(Agreement, withdrawn_id),
            user(people.org),
            version_id=withdrawn_version,
            reason="改",
        )
        db.session.commit()
        proposed_at(signed_version)
        proposed_at(withdrawn_version)
    assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(5))


def test_running_twice_at_the_same_moment_reminds_once(app: Flask, runner: Any, people: People) -> None:
    with app.app_context():
        _agreement_id, version_id = proposed(people)
        proposed_at(version_id)
        mail.outbox().clear()

    assert "签署提醒：发送 2 条。" in run(runner, "agreement-reminders", after(5))
    assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(5))

    with app.app_context():
        assert len(notes("签署提醒", people.org)) == 1
        assert len([m for m in mail.outbox() if m.to == user(people.org).email]) == 1


def test_a_late_run_repeated_at_the_same_moment_reminds_once(app: Flask, runner: Any, people: People) -> None:
    """Cron was down over the weekend; on day 10 the job runs (and a second host runs it too)."""
    with app.app_context():
        _agreement_id, version_id = proposed(people)
        proposed_at(version_id)

    assert "签署提醒：发送 2 条。" in run(runner, "agreement-reminders", after(10))
    assert "签署提醒：发送 0 条。" in run(runner, "agreement-reminders", after(10))
    with app.app_context():
        assert len(notes("签署提醒", people.org)) == 1


def test_a_malformed_now_is_refused_and_reminds_nobody(app: Flask, runner: Any, people: People) -> None:
    with app.app_context():
        _agreement_id, version_id = proposed(people)
        proposed_at(version_id, datetime(2020, 1, 1))
    result = runner.invoke(args=["jobs", "agreement-reminders", "--now", "下周一"])
    assert result.exit_code == 2 and "不是 ISO 8601 时间" in result.output
    with app.app_context():
        assert notes("签署提醒") == []


# ─────────────────────────────── expiry and automatic renewal ───────────────────────────────


def test_an_agreement_expires_after_its_end_date_in_wenzhou_not_on_it(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, version_id = active(people)
        ends_on = db.session.get(Agreement, agreement_id).ends_on
        amendment = ops.add_version(
            db.session.get(Agreement, agreement_id),
            user(people.org),
            replace(
                ops.fresh_copy(db.session.get(AgreementVersion, version_id)),
                terms=replace(TERMS, in_kind="图书"),
            ),
        )
        db.session.commit()
        amendment_id = amendment.id
        mail.outbox().clear()

    # The last second of the end date in Wenzhou is 15:59:59 UTC (a naive --now is UTC).
    for moment in (wenzhou(ends_on, "00:00:01"), wenzhou(ends_on, "23:59:59"), f"{ends_on}T15:59:59"):
        assert "协议到期：0 份到期，0 份自动续期。" in run(runner, "expire-agreements", moment)
    with app.app_context():
        assert fresh(Agreement, agreement_id).status == "active"

    # 16:00 UTC on the end date is already the next day in Wenzhou.
    assert "协议到期：1 份到期，0 份自动续期。" in run(runner, "expire-agreements", f"{ends_on}T16:00:00")
    assert "协议到期：0 份到期，0 份自动续期。" in run(runner, "expire-agreements", f"{ends_on}T16:00:00")
    assert "协议到期：0 份到期，0 份自动续期。" in run(
        runner, "expire-agreements", wenzhou(ends_on + timedelta(days=9))
    )

    with app.app_context():
        agreement = fresh(Agreement, agreement_id)
        assert agreement.status == "expired" and agreement.ended_at == datetime.fromisoformat(
            f"{ends_on}T16:00:00"
        )
        assert agreement.current_version_id == version_id
        assert db.session.get(AgreementVersion, amendment_id).status == "withdrawn"  # nothing left to sign
        expired = [e for e in ops.events(agreement) if e.action == "agreement.expired"]
        assert [(e.payload, e.acting_for) for e in expired] == [({"ends_on": ends_on.isoformat()}, "system")]
        everyone = {people.company, people.org, people.org_colleague, people.staff}
        assert {n.user_id for n in notes("协议已到期")} == everyone and len(notes("协议已到期")) == 4
        assert len([m for m in mail.outbox() if m.subject.startswith("【青亲筹】协议已到期")]) == 4
        assert audit.verify_chain() is None


def test_an_auto_renewing_agreement_runs_another_term_instead_of_expiring(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, _version_id = active(people, auto_renew=True)
        agreement = db.session.get(Agreement, agreement_id)
        starts_on, ends_on = agreement.starts_on, agreement.ends_on

    assert "0 份到期，0 份自动续期" in run(runner, "expire-agreements", wenzhou(ends_on))
    assert "0 份到期，1 份自动续期" in run(runner, "expire-agreements", wenzhou(ends_on + timedelta(days=1)))
    assert "0 份到期，0 份自动续期" in run(runner, "expire-agreements", wenzhou(ends_on + timedelta(days=1)))

    with app.app_context():
        agreement = fresh(Agreement, agreement_id)
        term = ends_on - starts_on
        renewed_to = ends_on + timedelta(days=1) + term
        assert (agreement.status, agreement.ends_on, agreement.ended_at) == ("active", renewed_to, None)
        (event,) = [e for e in ops.events(agreement) if e.action == "agreement.renewed"]
        assert event.acting_for == "system" and event.actor_id is None
        assert event.payload == {"previous_ends_on": ends_on.isoformat(), "ends_on": renewed_to.isoformat()}
        assert len(notes("协议已自动续期")) == 4
        assert f"自动续期至 {renewed_to.isoformat()}" in notes("协议已自动续期")[0].body
        assert audit.verify_chain() is None


def test_a_run_after_a_long_outage_renews_up_to_the_term_that_includes_today(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, _version_id = active(people, auto_renew=True, days=100)
        ends_on = db.session.get(Agreement, agreement_id).ends_on

    assert "0 份到期，1 份自动续期" in run(
        runner, "expire-agreements", wenzhou(ends_on + timedelta(days=150))
    )
    with app.app_context():
        agreement = fresh(Agreement, agreement_id)
        assert agreement.ends_on >= ends_on + timedelta(days=150)
        assert agreement.ends_on - timedelta(days=101) < ends_on + timedelta(days=150)
        assert count_events("agreement.renewed") == 1


def test_every_automatic_renewal_lasts_one_term(app: Flask, runner: Any, people: People) -> None:
    # A 100-day term renews by days (a term of whole calendar months renews by months: unit tests).
    with app.app_context():
        agreement_id, _version_id = active(people, auto_renew=True, days=100)
        agreement = db.session.get(Agreement, agreement_id)
        term = agreement.ends_on - agreement.starts_on
        first_end = agreement.ends_on

    run(runner, "expire-agreements", wenzhou(first_end + timedelta(days=1)))
    second_end = first_end + timedelta(days=1) + term
    with app.app_context():
        assert fresh(Agreement, agreement_id).ends_on == second_end

    run(runner, "expire-agreements", wenzhou(second_end + timedelta(days=1)))
    with app.app_context():
        assert fresh(Agreement, agreement_id).ends_on == second_end + timedelta(days=1) + term


def test_an_amendment_after_an_automatic_renewal_keeps_the_renewed_term(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, _version_id = active(people, auto_renew=True)
        first_end = db.session.get(Agreement, agreement_id).ends_on
    run(runner, "expire-agreements", wenzhou(first_end + timedelta(days=1)))

    with app.app_context():
        agreement = fresh(Agreement, agreement_id)
        renewed_to = agreement.ends_on
        amendment = ops.add_version(
            agreement, user(people.staff), ops.VersionInput(terms=replace(TERMS, in_kind="桌椅"))
        )
        ops.propose(agreement, user(people.staff), version_id=amendment.id)
        db.session.commit()
        amendment_id = amendment.id
        sign(agreement_id, amendment_id, people.company, people.org)
        assert fresh(AgreementVersion, amendment_id).ends_on == renewed_to
        assert fresh(Agreement, agreement_id).ends_on == renewed_to


# ─────────────────────────────── renewal reminders ───────────────────────────────


def test_renewal_reminders_fire_once_per_term_from_the_notice_day(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, _version_id = active(people, auto_renew=True, notice=30)
        ends_on = db.session.get(Agreement, agreement_id).ends_on
        mail.outbox().clear()

    notice_day = ends_on - timedelta(days=30)
    assert "续约提醒：发送 0 条。" in run(
        runner, "renewal-reminders", wenzhou(notice_day - timedelta(days=1), "23:59:59")
    )
    assert "续约提醒：发送 1 条。" in run(runner, "renewal-reminders", wenzhou(notice_day, "00:00:01"))
    for day in (notice_day, notice_day + timedelta(days=10), ends_on):
        assert "续约提醒：发送 0 条。" in run(runner, "renewal-reminders", wenzhou(day))

    with app.app_context():
        reminded = notes("续约提醒")
        assert {n.user_id for n in reminded} == {
            people.company,
            people.org,
            people.org_colleague,
            people.staff,
        }
        assert len(reminded) == 4
        assert (
            f"协议将于 {ends_on.isoformat()} 到期（还有 30 天），届时将按约定自动续期。" == reminded[0].body
        )
        assert len([m for m in mail.outbox() if m.subject == "【青亲筹】续约提醒：课后托管合作协议"]) == 4
        (event,) = [
            e
            for e in ops.events(db.session.get(Agreement, agreement_id))
            if e.action.endswith("renewal_reminder")
        ]
        assert event.payload == {"ends_on": ends_on.isoformat(), "days_left": 30}

    # Renewed for another term: one reminder again, from that term's notice day.
    run(runner, "expire-agreements", wenzhou(ends_on + timedelta(days=1)))
    with app.app_context():
        renewed_to = fresh(Agreement, agreement_id).ends_on
    assert renewed_to > ends_on
    assert "续约提醒：发送 0 条。" in run(
        runner, "renewal-reminders", wenzhou(renewed_to - timedelta(days=31))
    )
    assert "续约提醒：发送 1 条。" in run(
        runner, "renewal-reminders", wenzhou(renewed_to - timedelta(days=30))
    )
    assert "续约提醒：发送 0 条。" in run(
        runner, "renewal-reminders", wenzhou(renewed_to - timedelta(days=29))
    )
    with app.app_context():
        assert len(notes("续约提醒")) == 8


def test_an_agreement_that_does_not_renew_asks_for_a_renewal_version(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        agreement_id, _version_id = active(people, notice=60)
        ends_on = db.session.get(Agreement, agreement_id).ends_on
    assert "续约提醒：发送 1 条。" in run(runner, "renewal-reminders", wenzhou(ends_on - timedelta(days=45)))
    with app.app_context():
        (note,) = notes("续约提醒", people.company)
        assert note.body == f"协议将于 {ends_on.isoformat()} 到期（还有 45 天）。如需续签，请起草续签版本。"


# ─────────────────────────────── all three ───────────────────────────────


def test_jobs_agreements_runs_expiry_renewal_and_signature_reminders(
    app: Flask, runner: Any, people: People
) -> None:
    with app.app_context():
        ending_id, _ = active(people, title="到期的协议", days=200)
        expiring_id, _ = active(people, title="快到期的协议", days=230, notice=60)
        waiting_id, waiting_version = proposed(people, title="待签署的协议")
        ending_on = db.session.get(Agreement, ending_id).ends_on
        # Proposed five and a half days before the run: its first reminder is due.
        noon = (
            datetime.fromisoformat(wenzhou(ending_on + timedelta(days=1)))
            .astimezone(UTC)
            .replace(tzinfo=None)
        )
        proposed_at(waiting_version, noon - timedelta(days=5, hours=12))
        seen = db.session.scalar(select(func.max(Notification.id))) or 0
        mail.outbox().clear()
    now = wenzhou(ending_on + timedelta(days=1))

    result = runner.invoke(args=["jobs", "agreements", "--now", now])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == ["协议到期：1 份到期，0 份自动续期。", "续约提醒：发送 1 条。", "签署提醒：发送 2 条。"]

    again = runner.invoke(args=["jobs", "agreements", "--now", now])
    assert again.output.splitlines() == [
        "协议到期：0 份到期，0 份自动续期。",
        "续约提醒：发送 0 条。",
        "签署提醒：发送 0 条。",
    ]

    with app.app_context():
        assert fresh(Agreement, ending_id).status == "expired"
        assert fresh(Agreement, expiring_id).status == "active"
        assert fresh(Agreement, waiting_id).status == "pending_signature"
        assert [n.title for n in notes("", people.company, since=seen)] == [
            "协议已到期：到期的协议",
            "续约提醒：快到期的协议",
            "签署提醒：待签署的协议",
        ]
        assert {m.subject for m in mail.outbox() if m.to == user(people.company).email} == {
            "【青亲筹】协议已到期：到期的协议",
            "【青亲筹】续约提醒：快到期的协议",
            "【青亲筹】签署提醒：待签署的协议",
        }
        assert audit.verify_chain() is None
