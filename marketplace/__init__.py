"""青亲筹 marketplace: the application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from marketplace.config import (
    PROJECT_ROOT,
    Defaults,
    engine_options,
    environment_overrides,
    install_sqlite_transactions,
    load_or_create_secret_key,
    normalise_database_url,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    _configure(app, test_config)

    from marketplace import web
    from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)

    _import_models()
    web.init_app(app)
    from marketplace.search import service as search_service

    search_service.init_app(app)
    from marketplace import cache

    cache.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _configure(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(environment_overrides())
    if test_config:
        app.config.update(test_config)
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'marketplace.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"],
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        install_sqlite_transactions()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(instance)
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(instance / "uploads")

    from marketplace.accounts.passwords import configure_hasher

    configure_hasher(app.config["PASSWORD_HASH_TIME_COST"], app.config["PASSWORD_HASH_MEMORY_COST"])


def _import_models() -> None:
    """Every model must be imported before migrations compare or tables are created."""
    from marketplace import audit  # noqa: F401
    from marketplace.accounts import models as _accounts  # noqa: F401
    from marketplace.agreements import models as _agreements  # noqa: F401
    from marketplace.evaluations import models as _evaluations  # noqa: F401
    from marketplace.matching import models as _matching  # noqa: F401
    from marketplace.moderation import models as _moderation  # noqa: F401
    from marketplace.needs import models as _needs  # noqa: F401
    from marketplace.notifications import models as _notifications  # noqa: F401
    from marketplace.parties import models as _parties  # noqa: F401
    from marketplace.payments import models as _payments  # noqa: F401
    from marketplace.pledges import models as _pledges  # noqa: F401
    from marketplace.projects import models as _projects  # noqa: F401
    from marketplace.search import models as _search  # noqa: F401
    from marketplace.supervision import models as _supervision  # noqa: F401
    from marketplace.taxonomy import models as _taxonomy  # noqa: F401
    from marketplace.tenders import models as _tenders  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.agreements.views import bp as agreements_bp
    from marketplace.api import bp as api_bp
    from marketplace.dashboard.views import bp as dashboard_bp
    from marketplace.evaluations.views import bp as evaluations_bp
    from marketplace.evaluations.vote_views import bp as votes_bp
    from marketplace.health import bp as health_bp
    from marketplace.main.views import bp as main_bp
    from marketplace.matching.views import bp as matching_bp
    from marketplace.moderation.views import bp as moderation_bp
    from marketplace.needs.views import bp as needs_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.parties.views import bp as parties_bp
    from marketplace.payments.views import bp as payments_bp
    from marketplace.pledges.pool_views import bp as pools_bp
    from marketplace.pledges.views import bp as pledges_bp
    from marketplace.projects.update_views import bp as project_updates_bp
    from marketplace.projects.views import bp as projects_bp
    from marketplace.reports.export_views import bp as exports_bp
    from marketplace.reports.views import bp as reports_bp
    from marketplace.supervision.views import bp as supervision_bp
    from marketplace.tenders.views import bp as tenders_bp

    for blueprint in (
        main_bp,
        accounts_bp,
        parties_bp,
        projects_bp,
        project_updates_bp,
        pledges_bp,
        pools_bp,
        payments_bp,
        notifications_bp,
        dashboard_bp,
        matching_bp,
        agreements_bp,
        tenders_bp,
        evaluations_bp,
        votes_bp,
        needs_bp,
        supervision_bp,
        reports_bp,
        exports_bp,
        moderation_bp,
        health_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from marketplace.accounts.cli import users_cli
    from marketplace.agreements import cli as _agreements_cli  # noqa: F401  (adds the agreement jobs)
    from marketplace.audit_cli import audit_cli
    from marketplace.backup import backup_cli
    from marketplace.demo.cli import demo_command
    from marketplace.matching import cli as _matching_cli  # noqa: F401  (adds `jobs refresh-matches`)
    from marketplace.payments.cli import payments_cli
    from marketplace.projects.cli import jobs_cli
    from marketplace.search.cli import search_cli
    from marketplace.supervision import cli as _supervision_cli  # noqa: F401  (adds sample-inspections)
    from marketplace.tenders import cli as _tenders_cli  # noqa: F401  (adds the tender jobs)

    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(payments_cli)
