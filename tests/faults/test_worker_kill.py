"""A gunicorn worker killed with SIGKILL in the middle of pledging loses no money and makes none up.

A real gunicorn (deploy/gunicorn.conf.py, three sync workers) serves the test's own database.
Twelve API clients pledge by bank transfer and staff confirm each pledge, as fast as they can;
meanwhile the test kills a busy worker with SIGKILL — again, until at least one client's request
died with its worker. Clients behave as the API asks: after a connection error or a 5xx they
retry with the same Idempotency-Key (and confirm with the same bank reference). Afterwards:

- every pledge row is whole: paid with exactly one ``pledge_paid`` ledger row of its amount, or
  still pending with none (one SQL statement);
- each project's raised amount equals its ledger, exactly (one SQL statement), and equals what the
  clients pledged;
- every retried key gave the client one and the same pledge, and there is one row per key;
- the master replaced the killed workers, and they serve.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from marketplace.accounts import operations as accounts
from marketplace.extensions import db
from marketplace.pledges import operations as pledges
from marketplace.projects.models import Project
from tests import factories
from tests.faults.support import child_pids, free_port, http_get, start_gunicorn, stop, wait_for

WORKERS = 3
CLIENTS = 12
MAX_KILLS = 6
REQUEST_TIMEOUT = 30.0
RETRIES = 8  # per request; a retry waits for the master to bring a worker back
BOOT_LIMIT = 180.0  # seconds for gunicorn (or a replacement worker) to be up


def gunicorn_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """MARKETPLACE_* settings for a gunicorn serving the test database (schema already built)."""
    return {
        "MARKETPLACE_DATABASE_URL": database_url,
        "MARKETPLACE_SECRET_KEY": "fault-test-secret",
        "MARKETPLACE_SEARCH_INDEX_DIR": str(tmp_path / "gunicorn-search-index"),
        "MARKETPLACE_SEARCH_AUTO_REBUILD": "false",
        "MARKETPLACE_SEARCH_SYNC_ON_COMMIT": "false",
        "MARKETPLACE_UPLOAD_DIR": str(tmp_path / "gunicorn-uploads"),
        "MARKETPLACE_RATELIMIT_ENABLED": "false",
        "MARKETPLACE_MAIL_BACKEND": "memory",
        "MARKETPLACE_SMS_BACKEND": "memory",
        "MARKETPLACE_MATCHING_CATALOG_TTL": "0",
        "MARKETPLACE_ACCESS_LOG": os.devnull,  # thousands of lines; the error log stays
        **extra,
    }


@dataclass(frozen=True)
class Scene:
    project_id: int
    company_token: str
    staff_token: str


def _scene(app: Flask) -> Scene:
    with app.app_context():
        owner = factories.org_member()
        staff = factories.staff()
        company = factories.company_member()
        factories.foundation()
        project = factories.project(
            owner, status="published", reviewer=staff, goal_yuan="10000000", funding_model="keep_it_all"
        )
        scene = Scene(
            project.id, accounts.issue_api_token(company, name="c"), accounts.issue_api_token(staff, name="s")
        )
        db.session.commit()
        return scene


@dataclass
class Tally:
    """What the clients saw: key → (amount, every pledge id answered for that key)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict[str, tuple[int, list[int]]] = field(default_factory=dict)
    confirmed: dict[str, int] = field(default_factory=dict)  # key → pledge id confirmed
    retried: set[str] = field(default_factory=set)  # keys whose pledge request had to be repeated
    connection_errors: int = 0
    server_errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Client:
    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.tally = tally

    def post(
        self, path: str, token: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any, int]:
        """POST with retries on a lost connection or a 5xx; returns (status, json, attempts)."""
        payload = json.dumps(body).encode()
        for attempt in range(1, RETRIES + 1):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            try:
                connection.request(
                    "POST",
                    path,
                    body=payload,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                        "Accept": "application/json",
                        **(headers or {}),
                    },
                )
                response = connection.getresponse()
                status, raw = response.status, response.read()
            except (OSError, http.client.HTTPException):
                # The worker died with the request: whether it committed is unknown, so retry.
                with self.tally.lock:
                    self.tally.connection_errors += 1
                time.sleep(0.05)
                continue
            finally:
                connection.close()
            if status >= 500:
                with self.tally.lock:
                    self.tally.server_errors.append(f"{status} {path} {raw[:200]!r}")
                continue
            return status, json.loads(raw), attempt
        raise AssertionError(f"{path} did not succeed in {RETRIES} attempts")


def _pledge_loop(client: Client, scene: Scene, index: int, stop_event: threading.Event) -> None:
    tally = client.tally
    number = 0
    try:
        while not stop_event.is_set():
            number += 1
            key = f"kill-{index}-{number}"
            amount = 10_000 + index * 1_000 + number  # fen, distinct per pledge
            with tally.lock:
                tally.keys[key] = (amount, [])
            status, body, attempts = client.post(
                f"/api/v1/projects/{scene.project_id}/pledges",
                scene.company_token,
                {"amount": amount, "method": "bank_transfer"},
                {"Idempotency-Key": key},
            )
            assert status in (200, 201), (status, body)
            with tally.lock:
                tally.keys[key][1].append(body["id"])
                if attempts > 1:
                    tally.retried.add(key)
            pledge_id = body["id"]
            status, body, _attempts = client.post(
                f"/api/v1/pledges/{pledge_id}/confirm",
                scene.staff_token,
                {"received_amount": amount, "bank_reference": f"BANK-{key}"},
            )
            assert status == 200 and body["status"] == "paid", (status, body)
            with tally.lock:
                tally.confirmed[key] = pledge_id
    except BaseException as error:  # reported by the test, after every thread stopped
        with tally.lock:
            tally.failures.append(f"client {index}: {error!r}")


def _busy_worker(master: int) -> int:
    """A worker of the master's, preferring one that is handling a request right now (its
    process is running or waiting on the database rather than sleeping in accept())."""
    workers = sorted(child_pids(master))
    assert workers, "gunicorn has no workers"
    for pid in workers:
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        if "poll" not in wchan and "select" not in wchan and "accept" not in wchan:
            return pid
    return workers[0]


def _books(app: Flask, project_id: int) -> dict[str, Any]:
    with app.app_context():
        broken = db.session.execute(
            text(
                """
                SELECT p.id, p.status, p.amount, p.paid_amount, l.rows_paid, l.total_paid
                FROM pledges p
                LEFT JOIN (
                    SELECT pledge_id, COUNT(*) AS rows_paid, SUM(amount) AS total_paid
                    FROM ledger_entries WHERE kind = 'pledge_paid' GROUP BY pledge_id
                ) l ON l.pledge_id = p.id
                WHERE NOT (
                    (p.status = 'paid' AND l.rows_paid = 1 AND l.total_paid = p.paid_amount
                        AND p.paid_amount = p.amount)
                    OR (p.status = 'pending' AND l.rows_paid IS NULL AND p.paid_amount IS NULL)
                )
                """
            )
        ).all()
        rows = db.session.execute(text("SELECT idempotency_key, id, amount, status FROM pledges")).all()
        project = db.session.get(Project, project_id)
        assert project is not None
        return {
            "broken": [tuple(row) for row in broken],
            "mismatches": pledges.ledger_mismatches(),
            "raised": project.raised_amount,
            # The API scopes a client's key by its user: "api:<user id>:<key>".
            "pledges": {row[0].split(":", 2)[2]: (row[1], row[2], row[3]) for row in rows},
        }


@pytest.fixture
def gunicorn(make_app: Any, database_url: str, tmp_path: Path) -> Any:
    app = make_app()
    scene = _scene(app)
    log_path = tmp_path / "gunicorn.log"
    port = free_port()
    env = gunicorn_env(database_url, tmp_path)
    # Workers import the app after the fork: under a loaded 2-core machine that takes a while.
    process = start_gunicorn(env, port, WORKERS, log_path=log_path, timeout=BOOT_LIMIT)
    try:
        yield app, scene, process, port, log_path
    finally:
        stop(process, timeout=15)


def test_sigkill_of_a_worker_mid_pledge_loses_nothing_and_duplicates_nothing(gunicorn: Any) -> None:
    app, scene, process, port, log_path = gunicorn
    tally = Tally()
    client = Client(port, tally)
    stop_event = threading.Event()
    threads = [
        threading.Thread(target=_pledge_loop, args=(client, scene, index, stop_event), daemon=True)
        for index in range(CLIENTS)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    killed: list[int] = []
    try:
        wait_for(lambda: len(tally.confirmed) >= 20 or tally.failures, 60, message="first pledges")
        # Kill busy workers until a kill has cut at least one request off (bounded).
        while len(killed) < MAX_KILLS and not tally.failures:
            errors_before = tally.connection_errors
            victim = _busy_worker(process.pid)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            # The master notices and forks a replacement.
            wait_for(
                lambda v=victim: len(child_pids(process.pid) - {v}) == WORKERS,
                BOOT_LIMIT,
                message="a replacement worker",
            )
            done = len(tally.confirmed)
            progress = lambda d=done: len(tally.confirmed) >= d + 10 or tally.failures  # noqa: E731
            wait_for(progress, BOOT_LIMIT, message="pledges after the kill")
            if tally.connection_errors > errors_before:
                break
    finally:
        stop_event.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT * RETRIES)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert not tally.failures, (tally.failures, log_path.read_text(errors="replace")[-3000:])
    assert tally.connection_errors >= 1, f"no kill of {killed} caught a request in flight"

    # The master replaced every killed worker, and the pool serves (each worker may answer).
    workers = child_pids(process.pid)
    assert len(workers) == WORKERS and not workers & set(killed)
    for _ in range(2 * WORKERS):
        status, _headers, _body = http_get(f"http://127.0.0.1:{port}/api/v1/projects/{scene.project_id}")
        assert status == 200

    books = _books(app, scene.project_id)
    assert books["broken"] == []  # no pledge half-written: state and ledger agree for every row
    assert books["mismatches"] == []  # raised == SUM(ledger) for every project, one statement
    # Idempotency under retries: every answer for a key named the same pledge, one row per key.
    for key, (amount, answered) in tally.keys.items():
        if not answered:
            continue  # a client stopped before its first answer for this key
        assert len(set(answered)) == 1, (key, answered)
        assert books["pledges"][key][0] == answered[0] and books["pledges"][key][1] == amount
    assert set(books["pledges"]) <= set(tally.keys)
    # Every key asked once more now (those whose request died with a worker among them) still
    # names the same pledge, and makes no new row.
    for key, (amount, answered) in sorted(tally.keys.items()):
        if not answered:
            continue
        status, body, _attempts = client.post(
            f"/api/v1/projects/{scene.project_id}/pledges",
            scene.company_token,
            {"amount": amount, "method": "bank_transfer"},
            {"Idempotency-Key": key},
        )
        assert status in (200, 201) and body["id"] == answered[0], (key, status, body)
    assert len(_books(app, scene.project_id)["pledges"]) == len(books["pledges"])
    # Every confirmed pledge counts once; nothing else is raised.
    confirmed_total = sum(tally.keys[key][0] for key in tally.confirmed)
    assert books["raised"] == confirmed_total
    print(
        f"\nworker kill: {len(killed)} kill(s), {tally.connection_errors} connection error(s), "
        f"{len(tally.retried)} pledge request(s) retried, {len(tally.server_errors)} 5xx, "
        f"{len(tally.confirmed)} pledges confirmed in {elapsed:.1f} s"
    )
