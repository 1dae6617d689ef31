"""The index is a derived view that never loses an update: every change to a searchable row writes
an outbox row in the same transaction; the indexer applies them; `check` compares with the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.parties import operations as parties
from marketplace.projects import operations as projects
from marketplace.search.models import SearchOutbox
from marketplace.search.service import get_service
from marketplace.search.types import SearchRequest
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def search_app(make_app) -> Flask:
    app = make_app()
    with app.app_context():
        get_service().indexer().rebuild()
    return app


def _titles(app: Flask, text: str, *, staff: bool = False) -> list[str]:
    from marketplace.projects.models import Project

    with app.app_context():
        visible = None if staff else frozenset({"published", "funded", "closed"})
        result = get_service().search(SearchRequest(text=text, visible_statuses=visible, per_page=50))
        return [db.session.get(Project, hit.project_id).title for hit in result.hits]


def _check(app: Flask) -> None:
    with app.app_context():
        report = get_service().indexer().check()
    assert report.ok, report


def test_every_kind_of_change_reaches_the_index(search_app: Flask) -> None:
    app = search_app
    with app.app_context():  # one session for the writes; _check/_titles read through their own
        owner = factories.org_member(name="鹿城区银杏敬老服务社")
        reviewer = factories.staff()
        company = factories.company_member()
        project = factories.project(owner, title="银杏长者助餐计划")  # create (draft)
        _check(app)
        assert _titles(app, "银杏", staff=True) == ["银杏长者助餐计划"]
        assert _titles(app, "银杏") == []  # drafts are not public

        projects.update_project(project, owner, projects.ProjectInput(title="银杏长者午餐计划"))
        db.session.commit()
        _check(app)
        assert _titles(app, "午餐", staff=True) == ["银杏长者午餐计划"]

        projects.transition_project(project, "submit", owner)
        projects.transition_project(project, "publish", reviewer)
        db.session.commit()
        _check(app)
        assert _titles(app, "银杏") == ["银杏长者午餐计划"]  # published: public now

        factories.pledge(project, company, 700_000, reviewer=reviewer)
        _check(app)  # the raised total moved through a bulk UPDATE; the ledger row enqueued it

        organization = owner.organization
        data = parties.PartyInput(
            name="鹿城区银杏青年敬老服务社",
            uscc=organization.uscc,
            district=organization.district,
            contact_name=organization.contact_name,
            contact_phone=organization.contact_phone,
            contact_email=organization.contact_email,
            business_areas=["elderly"],
        )
        parties.update_party(organization, data, actor_id=owner.id)
        db.session.commit()
        _check(app)  # an organization rename re-indexes its projects

        parties.set_organization_grade(
            organization,
            grade="A4",
            valid_until=factories.local_today() + timedelta(days=900),
            tier="leading",
            staff_id=reviewer.id,
        )
        db.session.commit()
        _check(app)


def test_a_change_that_leaves_the_document_as_indexed_writes_no_segment(search_app: Flask) -> None:
    """A pending pledge is in no document, so it queues nothing; an edit of a field the index does
    not hold is applied without a writer commit, so no web worker has a new segment to open; a
    confirmed pledge (the raised amount moved) is written."""
    app = search_app
    with app.app_context():
        owner = factories.org_member()
        project = factories.project(owner, status="published", reviewer=factories.staff())
        company = factories.company_member()
        indexer, index = get_service().indexer(), get_service().index()
        indexer.apply_pending(index=index)

        def segments() -> list[str]:
            return sorted(path.name for path in index.directory.iterdir() if path.suffix == ".seg")

        def newest_queued() -> int:
            return db.session.scalar(select(func.max(SearchOutbox.id))) or 0

        written, applied, queued = segments(), index.last_applied(), newest_queued()
        factories.pledge(project, company, 10_000, paid=False)
        db.session.commit()
        assert newest_queued() == queued
        project.beneficiaries += 10
        db.session.commit()
        assert newest_queued() > queued
        indexer.apply_pending(index=index)
        assert index.last_applied() > applied  # the outbox row is applied…
        assert segments() == written  # …without writing a segment
        factories.pledge(project, company, 20_000)
        indexer.apply_pending(index=index)
        assert segments() != written
    _check(app)


class _Clock:
    """The indexer's monotonic clock, moved by hand instead of waiting."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from marketplace.search import indexer as indexer_module

        self.now = 1_000.0
        monkeypatch.setattr(indexer_module, "time", SimpleNamespace(monotonic=lambda: self.now))


@pytest.fixture
def watched_app(make_app) -> Flask:
    """As deployed: web workers leave the outbox to `search watch`."""
    app = make_app(SEARCH_SYNC_ON_COMMIT=False)
    with app.app_context():
        get_service().indexer().rebuild()
    return app


def _segments(index) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(path.name for path in index.directory.iterdir() if path.suffix == ".seg")


def _most_funded(app: Flask) -> list[int]:
    with app.app_context():
        request = SearchRequest(sort="most_funded", visible_statuses=frozenset({"published"}), per_page=50)
        return [hit.project_id for hit in get_service().search(request).hits]


def test_a_watcher_writes_amounts_raised_together_and_everything_else_at_once(
    watched_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A confirmed pledge moves only its project's amount raised: `search watch` holds such
    documents for one commit at most --raised-delay seconds later (30 by default), or sooner with
    the next change of anything else. Every other change is written at the next poll."""
    clock = _Clock(monkeypatch)
    app = watched_app
    with app.app_context():
        owner, reviewer, company = factories.org_member(), factories.staff(), factories.company_member()
        first = factories.project(owner, status="published", reviewer=reviewer, title="第一个项目")
        second = factories.project(owner, status="published", reviewer=reviewer, title="第二个项目")
        first_id, second_id = first.id, second.id
        indexer, index = get_service().indexer(raised_delay_seconds=30), get_service().index()
        indexer.apply_pending(index=index)
        before, written = _most_funded(app), _segments(index)

        factories.pledge(second, company, 50_000, reviewer=reviewer)
        indexer.apply_pending(index=index)
        clock.now += 20
        factories.pledge(first, company, 20_000, reviewer=reviewer)
        indexer.apply_pending(index=index)
        assert _segments(index) == written and _most_funded(app) == before  # held, not written
        assert sorted(indexer.check().stale) == sorted([first.id, second.id])

        clock.now += 10  # 30 s after the first one held
        indexer.apply_pending(index=index)
        assert _segments(index) != written
        assert _most_funded(app)[:2] == [second.id, first.id]
        _check(app)

        # Held again, then a project is drafted: one commit writes both.
        factories.pledge(first, company, 90_000, reviewer=reviewer)
        indexer.apply_pending(index=index)
        factories.project(owner, title="第三个项目草稿")
        indexer.apply_pending(index=index)
    _check(app)
    assert _titles(app, "草稿", staff=True) == ["第三个项目草稿"]
    assert _most_funded(app)[:2] == [first_id, second_id]


def _watcher_holding_an_amount() -> tuple[Any, Any, Any, Any]:
    """A `search watch` indexer that has just held a confirmed pledge's amount raised: the
    indexer, the project, the pledging company's user and the staff member who confirmed it."""
    owner, reviewer, company = factories.org_member(), factories.staff(), factories.company_member()
    project = factories.project(owner, status="published", reviewer=reviewer)
    watcher = get_service().indexer(raised_delay_seconds=30)
    watcher.apply_pending(index=get_service().index())
    factories.pledge(project, company, 30_000, reviewer=reviewer)
    watcher.apply_pending(index=get_service().index())
    assert watcher.check().stale == [project.id]
    return watcher, project, company, reviewer


def test_amounts_held_by_a_watcher_that_stopped_are_written_by_the_next_one(
    watched_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(monkeypatch)
    with watched_app.app_context():
        _watcher_holding_an_amount()  # and then killed

        # `search watch` sweeps at start: the window's rows are read again and held anew.
        restarted = get_service().indexer(raised_delay_seconds=30)
        restarted.apply_pending(index=get_service().index(), sweep=True)
        clock.now += 30
        restarted.apply_pending(index=get_service().index())
    _check(watched_app)


def test_a_rebuilt_index_is_never_overwritten_with_amounts_held_before_it(
    watched_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _Clock(monkeypatch)
    with watched_app.app_context():
        watcher, project, company, reviewer = _watcher_holding_an_amount()
        factories.pledge(project, company, 40_000, reviewer=reviewer)
        get_service().indexer().rebuild()  # by `search reindex`, before the watcher saw the second
        clock.now += 30
        watcher.apply_pending(index=get_service().index())
    _check(watched_app)


def _commit_late(project_id: int, title: str, *, outbox_id: int) -> None:
    """What a slow transaction leaves: a change whose outbox row has an id below rows committed and
    applied before it. (Its own row is re-inserted here under an id freed for the purpose.)"""
    db.session.execute(
        db.text("UPDATE projects SET title = :title WHERE id = :id"), {"title": title, "id": project_id}
    )
    db.session.execute(db.text("DELETE FROM search_outbox WHERE id = :id"), {"id": outbox_id})
    db.session.add(SearchOutbox(id=outbox_id, entity="project", entity_id=project_id))
    db.session.commit()


def test_the_sweep_applies_a_late_commit_however_many_rows_came_after_it(search_app: Flask) -> None:
    """On PostgreSQL a transaction can commit outbox id N after N + 1 was applied. The watcher's
    sweep finds such a row among all of the last minutes' rows, not only the oldest batch."""
    app = search_app
    with app.app_context():
        owner = factories.org_member()
        reviewer = factories.staff()
        for number in range(12):  # the oldest rows of the window are other projects'
            factories.project(owner, title=f"别的项目{number}")
        late = factories.project(owner, status="published", reviewer=reviewer, title="迟到提交的项目")
        for number in range(4):
            factories.project(owner, title=f"后来的项目{number}")
        indexer, index = get_service().indexer(), get_service().index()
        indexer.batch_size = 3  # the window holds several batches
        indexer.apply_pending(index=index)
        window = db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)).all()
        assert len(window) > 3 * indexer.batch_size
        _commit_late(late.id, "迟到提交的新标题", outbox_id=window[len(window) // 2])

        indexer.apply_pending(index=index)  # below the applied mark: the plain pass cannot see it
        assert _titles(app, "新标题") == []
        indexer.apply_pending(index=index, sweep=True)
    assert _titles(app, "新标题") == ["迟到提交的新标题"]
    _check(app)


def test_a_sweep_rereads_nothing_this_indexer_applied(search_app: Flask, monkeypatch) -> None:
    """Under steady load every row of the window was applied by the watcher itself: its sweep every
    30 s then builds no document. A watcher that just started goes over the window once."""
    from marketplace.search import indexer as indexer_module

    read: list[set[int]] = []
    real = indexer_module.documents_for
    monkeypatch.setattr(
        indexer_module, "documents_for", lambda session, ids: read.append(set(ids)) or real(session, ids)
    )
    with search_app.app_context():
        owner = factories.org_member()
        made = [factories.project(owner, title=f"清扫测试{number}").id for number in range(4)]
        first = get_service().indexer()
        first.apply_pending(index=get_service().index(), sweep=True)
        assert set(made) <= set().union(*read)  # new to this indexer: the window once
        read.clear()
        first.apply_pending(index=get_service().index(), sweep=True)
        assert read == []
        factories.project(owner, title="清扫测试新项目")
        read.clear()
        first.apply_pending(index=get_service().index(), sweep=True)
        assert len(set().union(*read)) == 1  # the new row, by the plain pass; nothing else
    _check(search_app)


def test_a_rolled_back_change_writes_no_outbox_row(search_app: Flask) -> None:
    with search_app.app_context():
        owner = factories.org_member()
        before = db.session.scalar(select(func.count()).select_from(SearchOutbox))
        projects.create_project(owner, factories.project_input(title="不会保存的项目"))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == before


def test_reindex_swaps_in_a_complete_index_and_check_finds_drift(search_app: Flask, runner=None) -> None:
    app = search_app
    with app.app_context():
        owner = factories.org_member()
        for number in range(3):
            factories.project(owner, title=f"重建测试项目{number}")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    # Drift: a row changed behind the ORM's back (no outbox row) is reported, then repaired by reindex.
    with app.app_context():
        db.session.execute(
            db.text("UPDATE projects SET title = '绕过应用的修改' WHERE title = '重建测试项目0'")
        )
        db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "过期 1 个" in result.output
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert _titles(app, "绕过应用", staff=True) == ["绕过应用的修改"]


def _child_env(app: Flask) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARKETPLACE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MARKETPLACE_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "MARKETPLACE_SECRET_KEY": "child",
        "MARKETPLACE_SEARCH_AUTO_REBUILD": "false",
        "MARKETPLACE_PASSWORD_HASH_TIME_COST": "1",
        "MARKETPLACE_PASSWORD_HASH_MEMORY_COST": "8",
    }


WRITER = textwrap.dedent("""
    import sys
    from marketplace import create_app
    from marketplace.extensions import db
    from tests import factories

    app = create_app()
    with app.app_context():
        owner = factories.org_member(email=f"writer-{sys.argv[1]}@example.cn")
        # Each project commits, and its commit applies the outbox (or leaves it to a busy writer).
        for number in range(int(sys.argv[2])):
            factories.project(owner, title=f"并发写入{sys.argv[1]}号第{number}个项目")
    print("done", flush=True)
""")


def test_two_processes_writing_at_once_lose_nothing(search_app: Flask) -> None:
    env = _child_env(search_app)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, "15"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for child in children:
        _out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err  # a busy index never becomes an error
        assert "LockError" not in err
    with search_app.app_context():
        get_service().indexer().apply_pending(wait=True)  # rows a busy writer left behind
    _check(search_app)
    assert len(_titles(search_app, "并发写入", staff=True)) == 30


KILLABLE_INDEXER = textwrap.dedent("""
    from marketplace import create_app
    from marketplace.search import indexer as indexer_module
    from marketplace.search.service import get_service

    real = indexer_module.documents_for

    def announcing(session, ids):
        documents = real(session, ids)
        print("applying", len(documents), flush=True)  # the test kills us right after this line
        return documents

    indexer_module.documents_for = announcing
    app = create_app()
    with app.app_context():
        get_service().indexer().apply_pending(wait=True)
    print("finished", flush=True)
""")


def test_killing_the_indexer_mid_batch_loses_nothing(make_app) -> None:
    app = make_app(SEARCH_SYNC_ON_COMMIT=False)  # let rows pile up for the indexer
    with app.app_context():
        get_service().indexer().rebuild()
        owner = factories.org_member()
        for number in range(40):
            factories.project(owner, title=f"断电测试第{number}个项目")
    with subprocess.Popen(
        [sys.executable, "-c", KILLABLE_INDEXER],
        env=_child_env(app),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        line = child.stdout.readline()
        if not line.startswith("applying"):
            pytest.fail(f"the indexer did not start its batch: {line!r} {child.stderr.read()}")
        child.send_signal(signal.SIGKILL)  # mid-batch: documents loaded, not yet committed to the index
        child.wait(timeout=30)
    with app.app_context():
        report = get_service().indexer().check()
        assert report.missing  # the batch did not land
        get_service().indexer().apply_pending(wait=True)  # restart: the lock died with the process
    _check(app)
    assert len(_titles(app, "断电测试", staff=True)) == 40
