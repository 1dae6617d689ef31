"""Shared helpers for the fault tests: free ports, a real gunicorn started in a subprocess, and
stopping what a test started within a bound.

Stable API (other fault tests rely on it; append new helpers, do not change these signatures):

- ``free_port() -> int``
- ``wait_for(predicate, timeout, interval=0.05, message="") -> value``  (poll with a deadline)
- ``http_get(url, timeout=5.0, headers=None) -> (status, headers, body_bytes)``  (never raises on
  HTTP errors; a connection error gives status 0)
- ``start_gunicorn(env, port, workers=2, *, log_path=None, timeout=120.0, extra_args=()) -> Popen``
  (``gunicorn -c deploy/gunicorn.conf.py 'marketplace:create_app()'`` on 127.0.0.1:port, returns
  once ``/healthz`` answers 200 or 503; raises with the log's tail when it does not)
- ``stop(process, timeout=10.0) -> int | None``  (SIGTERM the process group, wait, then SIGKILL)
- ``start_redis(port) -> Popen``  (a throwaway redis-server, ready when it answers PING)
- ``http_post_form(url, fields, timeout=5.0, headers=None)``  (like ``http_get``)
- ``postgres_bindir() -> Path | None`` and ``ThrowawayPostgres`` (a private cluster on a free port:
  ``init()``, ``start()``, ``stop(mode)``, ``url(db)``, ``create_database(name)``, ``destroy()``)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = PROJECT_ROOT / "deploy" / "gunicorn.conf.py"
APP_FACTORY = "marketplace:create_app()"

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 0.05, message: str = "") -> T:
    """Call ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
        except Exception as error:  # a probe that fails is simply "not yet"
            last = error
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{message or 'condition'} not met within {timeout} s (last: {last!r})")
        time.sleep(interval)


def http_get(
    url: str, timeout: float = 5.0, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET ``url``: (status, headers, body). HTTP error statuses are returned, not raised; a
    connection failure or timeout returns status 0 with the error text as body."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, {}, str(error).encode()


def _gunicorn_executable() -> str:
    candidate = Path(sys.executable).with_name("gunicorn")
    return str(candidate) if candidate.exists() else "gunicorn"


def _tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def start_gunicorn(
    env: Mapping[str, str],
    port: int,
    workers: int = 2,
    *,
    log_path: Path | None = None,
    timeout: float = 120.0,
    extra_args: Iterable[str] = (),
) -> subprocess.Popen[bytes]:
    """Start gunicorn with deploy/gunicorn.conf.py on 127.0.0.1:``port`` and wait until ``/healthz``
    answers (200, or 503 when the database is down on purpose). ``env`` is added to this process's
    environment (MARKETPLACE_* settings); output (access and error log) goes to ``log_path`` when
    given. The process leads its own process group so ``stop`` ends the workers too."""
    environment = dict(os.environ)
    environment.update(env)
    environment["MARKETPLACE_BIND"] = f"127.0.0.1:{port}"
    environment["WEB_CONCURRENCY"] = str(workers)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    command = [_gunicorn_executable(), "-c", str(GUNICORN_CONFIG), *extra_args, APP_FACTORY]
    output = open(log_path, "ab") if log_path is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        if log_path is not None:
            output.close()  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        status, _headers, _body = http_get(url, timeout=2.0)
        if status in (200, 503):
            return process
        if time.monotonic() >= deadline:
            stop(process)
            raise TimeoutError(f"gunicorn not ready on port {port} within {timeout} s:\n{_tail(log_path)}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[Any] | None, timeout: float = 10.0) -> int | None:
    """Stop a process started by a helper here (and its process group): SIGTERM, wait up to
    ``timeout`` seconds, then SIGKILL. Returns the exit code (None when there was no process)."""
    if process is None:
        return None
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=timeout)
    return process.returncode


def _signal_group(process: subprocess.Popen[Any], signum: int) -> None:
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    try:
        if group == process.pid:
            os.killpg(group, signum)
        else:
            process.send_signal(signum)
    except ProcessLookupError:
        pass


# ── appended by H3 (fault tests: worker kill, search index loss, webhook storm) ──


def child_pids(pid: int) -> set[int]:
    """The direct children of ``pid`` (for gunicorn's master: its workers), read from /proc, so
    neither psutil nor pgrep is needed. Empty when the process is gone."""
    children: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return children
    for task in tasks:
        try:
            children.update(int(item) for item in (task / "children").read_text().split())
        except OSError:
            continue
    return children


def start_redis(port: int, *, timeout: float = 10.0) -> subprocess.Popen[bytes]:
    """A throwaway ``redis-server`` on 127.0.0.1:``port`` (no persistence), returned once it answers
    PING. Stop it with ``stop``."""
    import redis

    process = subprocess.Popen(
        [
            "redis-server",
            "--save",
            "",
            "--appendonly",
            "no",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        wait_for(client.ping, timeout, message=f"redis-server on port {port}")
    except TimeoutError:
        stop(process)
        raise
    finally:
        client.close()
    return process


def http_post_form(
    url: str, fields: Mapping[str, str], timeout: float = 5.0, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """POST an urlencoded form; same return shape and error handling as ``http_get``."""
    import urllib.parse

    body = urllib.parse.urlencode(dict(fields)).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", **dict(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
    except (urllib.error.URLError, OSError) as error:
        return 0, {}, str(error).encode()


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (with initdb and pg_ctl), or None."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary directory on a free loopback port, for tests that
    stop and start the server (never the shared cluster other tests use). As root, the server runs
    as the ``postgres`` user. ``destroy()`` stops it and deletes the directory; always call it."""

    def __init__(self, port: int | None = None) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bindir = bindir
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="qqc-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o755)

    def _run(self, *command: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=True, cwd=self.root
        )

    def init(self) -> ThrowawayPostgres:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        return self

    def start(self, timeout: int = 60) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            str(timeout),
            "start",
            timeout=timeout + 10,
        )

    def stop(self, mode: str = "fast", timeout: int = 60) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            mode,
            "-w",
            "-t",
            str(timeout),
            "stop",
            timeout=timeout + 10,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        return self.url(name)

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop(mode="immediate", timeout=30)
        except (subprocess.SubprocessError, OSError):
            pass
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # a thousand access lines help no one
        pass


@contextmanager
def threaded_server(app: Any, name: str) -> Iterator[BaseWSGIServer]:
    """`app` behind werkzeug's threaded server on a free loopback port (a thread per connection),
    shut down and joined on exit."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
