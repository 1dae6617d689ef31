"""One real `flask demo` load shared by tests that only read what it loaded (~15 s a load): loaded
again only when another test emptied the tables in between, or on another database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.extensions import db
from tests import conftest


class SharedDemo:
    def __init__(self) -> None:
        self._state: dict[str, Any] = {}

    def dispose(self) -> None:
        """Close its connections (before the session drops the test database)."""
        if "app" in self._state:
            with self._state["app"].app_context():
                db.session.remove()
                db.engine.dispose()
        self._state.clear()

    def get(
        self,
        database_url: str,
        tmp_path_factory: pytest.TempPathFactory,
        load: Callable[[Flask], str],
    ) -> tuple[Flask, str]:
        """The app after ``load(app)`` (which runs `flask demo` and more, and returns what it printed),
        and that output."""
        generation = conftest.DATABASE_STATE["generation"]
        if (self._state.get("generation"), self._state.get("database")) != (generation, database_url):
            self.dispose()
            conftest._empty_tables(database_url)
            app = create_app(conftest.test_config(database_url, tmp_path_factory.mktemp("demo")))
            output = load(app)
            self._state.update(
                app=app,
                output=output,
                generation=conftest.DATABASE_STATE["generation"],
                database=database_url,
            )
        conftest.mark_dirty()
        return self._state["app"], self._state["output"]
