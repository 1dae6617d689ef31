"""Running a step in several threads at once, for the tests that prove rules hold under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from marketplace.extensions import db

JOIN_TIMEOUT = 300  # seconds; a thread still alive after that is a hang, and fails the test


def run_rounds(app: Flask, threads: int, rounds: int, step: Callable[[int, int], Any]) -> list[list[Any]]:
    """Run step(thread, round) in `threads` threads; every round starts on a shared barrier.

    Each thread has its own app context (own session, own connection). The first error is raised
    after every thread has stopped; a thread that fails breaks the barrier so the others stop too.
    """
    barrier = threading.Barrier(threads)
    results: list[list[Any]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        with app.app_context():
            try:
                for round_ in range(rounds):
                    barrier.wait(timeout=JOIN_TIMEOUT)
                    results[index].append(step(index, round_))
            except threading.BrokenBarrierError:
                pass  # another thread failed first; its error is the one reported
            except BaseException as error:
                errors.append(error)
                barrier.abort()
            finally:
                db.session.rollback()

    workers = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOIN_TIMEOUT)
    assert not any(worker.is_alive() for worker in workers), "a worker thread hung"
    if errors:
        raise errors[0]
    return results
