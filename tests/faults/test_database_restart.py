"""PostgreSQL goes away under load and comes back: requests fail cleanly (503, the friendly page or
JSON error, never a 500 or a hang) and the same gunicorn serves again once the database is back.

The test brings its own PostgreSQL cluster (initdb into a temporary directory, a free port), so it
runs the same in the SQLite and the PostgreSQL suite runs and never touches the shared server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests import factories
from tests.conftest import test_config as config_for
from tests.faults.support import (
    PROJECT_ROOT,
    ThrowawayPostgres,
    free_port,
    http_get,
    postgres_bindir,
    start_gunicorn,
    stop,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    postgres_bindir() is None, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)

REQUEST_TIMEOUT = 20.0  # no request may take longer than this, whatever the database does
THREADS = 3


@dataclass
class Result:
    started: float
    path: str
    status: int
    seconds: float
    body: bytes


class Load:
    """Threads requesting a page, an API list and /healthz in turn until stopped."""

    def __init__(self, port: int, paths: list[str]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.paths = paths
        self.results: list[Result] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(THREADS)]

    def _run(self, offset: int) -> None:
        n = offset
        while not self._stop.is_set():
            path = self.paths[n % len(self.paths)]
            n += 1
            started = time.monotonic()
            status, _headers, body = http_get(self.base + path, timeout=REQUEST_TIMEOUT)
            with self._lock:
                self.results.append(Result(started, path, status, time.monotonic() - started, body))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    def since(self, moment: float) -> list[Result]:
        with self._lock:
            return [result for result in self.results if result.started >= moment]

    def all_answered(self, moment: float, status: int, each: int = 1) -> bool:
        """Every path has `each` answers started after `moment`, and all of those are `status`."""
        recent = self.since(moment)
        for path in self.paths:
            answers = [result.status for result in recent if result.path == path]
            if len(answers) < each or any(answer != status for answer in answers):
                return False
        return True

    def each_path_answered(self, moment: float, status: int) -> bool:
        recent = self.since(moment)
        return all(any(r.path == path and r.status == status for r in recent) for path in self.paths)


def _migrate(url: str, tmp_path: Path) -> None:
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_SECRET_KEY": "fault-test"}
    env["MARKETPLACE_SEARCH_INDEX_DIR"] = str(tmp_path / "index")
    flask = str(Path(sys.executable).with_name("flask"))
    done = subprocess.run(
        [flask, "--app", "marketplace", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _seed(url: str, tmp_path: Path) -> int:
    app = create_app(config_for(url, tmp_path))
    with app.app_context():
        owner = factories.org_member()
        project = factories.project(owner, status="published", title="停电演练：社区应急照明")
        project_id = project.id
        db.session.remove()
        db.engine.dispose()
    return project_id


def test_postgresql_restart_answers_503_then_recovers_without_restarting_gunicorn(tmp_path: Path) -> None:
    cluster = ThrowawayPostgres()
    gunicorn = None
    try:
        cluster.init()
        cluster.start()
        url = cluster.create_database("qqc_fault")
        _migrate(url, tmp_path)
        project_id = _seed(url, tmp_path)

        port = free_port()
        env = {
            "MARKETPLACE_DATABASE_URL": url,
            "MARKETPLACE_SECRET_KEY": "fault-test",
            "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "MARKETPLACE_SEARCH_AUTO_REBUILD": "false",
            "MARKETPLACE_UPLOAD_DIR": str(tmp_path / "uploads"),
        }
        gunicorn = start_gunicorn(env, port, workers=2, log_path=tmp_path / "gunicorn.log")
        master = gunicorn.pid
        paths = [f"/projects/{project_id}", "/api/v1/projects", "/healthz"]

        with Load(port, paths) as load:
            begun = time.monotonic()
            wait_for(lambda: load.all_answered(begun, 200, each=2), 60, message="all 200 before the outage")

            stopping = time.monotonic()
            cluster.stop(mode="fast")  # in-flight queries are cut off, new connections refused
            down = time.monotonic()
            wait_for(lambda: load.each_path_answered(down, 503), 30, message="503s while PostgreSQL is down")

            cluster.start()
            up = time.monotonic()
            # Recovered: from some moment on, every path answers 200 three times in a row.
            recovered_at = wait_for(
                lambda: _recovered_since(load, up, paths), 30, message="all 200 again once PostgreSQL is back"
            )

        assert gunicorn.poll() is None and gunicorn.pid == master, "gunicorn kept running, not restarted"
        results = load.results
        statuses = {result.status for result in results}
        unexpected = [(r.path, r.status, r.body[:300]) for r in results if r.status not in (200, 503)]
        assert statuses <= {200, 503}, unexpected
        assert max(result.seconds for result in results) < REQUEST_TIMEOUT
        assert recovered_at - up < 30

        failed = [result for result in results if result.status == 503]
        assert failed, "the outage was seen"
        for result in failed:
            text = result.body.decode()
            if result.path == "/healthz":
                body = json.loads(text)
                assert (body["status"], body["database"]["status"]) == ("down", "down")
            elif result.path.startswith("/api/"):
                assert json.loads(text)["error"]["code"] == "database_unavailable"
            else:
                assert "服务暂时不可用" in text and "数据库暂时无法连接" in text
        # Nothing failed before the outage began; the app logged the outage, not a traceback per request.
        assert all(result.status == 200 for result in results if result.started + result.seconds < stopping)
        print(  # the figures, for `pytest -s`
            f"requests {len(results)}, 503 {len(failed)}, outage {up - stopping:.1f} s, "
            f"all 200 again {recovered_at - up:.1f} s after the start, "
            f"slowest {max(r.seconds for r in results):.2f} s"
        )
        log = (tmp_path / "gunicorn.log").read_text(errors="replace")
        assert "database unavailable" in log
        assert "unhandled error" not in log
    finally:
        stop(gunicorn)
        cluster.destroy()


def _recovered_since(load: Load, up: float, paths: list[str]) -> float | None:
    """The start time of the first answer after which every answer was 200, once each path has had
    three of them; None while that is not so."""
    recent = sorted(load.since(up), key=lambda result: result.started)
    last_failure = max((r.started for r in recent if r.status != 200), default=up)
    after = [r for r in recent if r.started > last_failure]
    if all(sum(1 for r in after if r.path == path) >= 3 for path in paths):
        return min(r.started for r in after)
    return None
