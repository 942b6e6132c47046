"""Test fixtures: one migrated database per run (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), emptied after every test so views and commands can commit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

os.environ["PORTAL_ENV"] = "test"

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header(config):
    return f"database: {TEST_DATABASE_URL or 'SQLite (set TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def app(var_dir):
    """The app, configured for tests, with the schema built by the migrations."""
    from flask_migrate import upgrade

    url = TEST_DATABASE_URL or f"sqlite:///{var_dir / 'test.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-" + "x" * 32,
            "SQLALCHEMY_DATABASE_URI": url,
            "PORTAL_VAR_DIR": str(var_dir),
            "MAIL_URL": f"file://{var_dir / 'mail'}",
            "SMS_URL": f"file://{var_dir / 'sms'}",
            "PORTAL_BASE_URL": "http://portal.test",
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))
                conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
