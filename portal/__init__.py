"""The debtor self-service payment portal: `create_app` builds the Flask application."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment (and `overrides`, for tests)."""
    app = Flask(__name__, static_folder=str(Path(__file__).parent.parent / "static"))
    config = Config(overrides)
    config.check()
    app.config.from_mapping(config.as_dict())
    Path(app.config["PORTAL_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from portal import extensions, i18n, models, security_headers
    from portal.extensions import csrf, db, migrate

    models.load_all()
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent.parent / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    i18n.init_app(app)
    security_headers.init_app(app)
    for feature in _features():
        feature.init_app(app)
    del extensions
    return app


def _features():
    """Each feature package brings its own `init_app` (blueprints, CLI, hooks)."""
    from portal import (
        agent, api, auth, debtor, demo, documents, errors, health, intake, ledger, links, notifications, pages, payments, plans,
        privacy, ratelimit, uploads, disputes, support, messages, contact,
    )

    return [errors, ratelimit, notifications, auth, links, debtor, pages, api, intake, ledger, payments, plans, uploads, disputes, support, messages, contact, documents, privacy, agent, demo, health]
