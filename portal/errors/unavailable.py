"""The database is restarting or out of reach: 503 with Retry-After, one log line, nothing lost.

Every route answers the same way while the database is gone: a calm page in the request's
language (JSON `{"error": "unavailable"}` under /api/ and /stripe/, which Stripe retries),
rendered without any database access, and one WARNING line per request instead of a
traceback. The session row is neither rewritten nor deleted by such a request (see
`portal.auth.sessions`). Once the database is back, `pool_pre_ping` replaces the dead
pooled connections and the next request succeeds.
"""

from __future__ import annotations

import logging
import sqlite3

import click
import psycopg
from flask import Flask, Response, current_app, g, jsonify, request, session
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.extensions import db
from portal.i18n import template_context

log = logging.getLogger("portal.unavailable")

#: Seconds a client is asked to wait (a PostgreSQL restart takes a few).
RETRY_AFTER_SECONDS = 15
#: Endpoints that read no session and must keep answering in an outage (probes, files).
SESSIONLESS_ENDPOINTS = frozenset({"static", "health.alive", "health.ready"})
#: Driver errors that arrive unwrapped (code on a raw DBAPI connection).
_DRIVER_ERRORS = (psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database cannot be reached now (down, restarting, pool exhausted)."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout) + _DRIVER_ERRORS):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def describe(exc: BaseException) -> str:
    """For the log: the error's classes and the first line of the driver's message (never SQL)."""
    orig = getattr(exc, "orig", None)
    names = f"{type(exc).__name__}/{type(orig).__name__}" if orig is not None else type(exc).__name__
    first = (str(orig if orig is not None else exc).strip().splitlines() or [""])[0]
    if isinstance(exc, DBAPIError) and orig is None:
        first = ""  # a wrapper without a driver error renders its SQL statement: keep it out
    return f"{names}: {first[:160]}" if first else names


def _route() -> str:
    """The request's method and URL rule (never the path itself: reminder tokens live in paths)."""
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    return f"{request.method} {rule}"


def respond(exc: BaseException) -> Response:
    """The 503 answer for this request, logged as one WARNING line."""
    g.database_unavailable = True  # save_session then leaves the session row and cookie alone
    log.warning("database unavailable: %s answered 503 (%s)", _route(), describe(exc))
    message = _("Something went wrong on our side. Please try again in a few minutes.")
    if request.path.startswith(("/api/", "/stripe/")):
        response = jsonify({"error": "unavailable", "message": message})
    else:
        # Straight from the Jinja environment: render_template would run Flask-Login's context
        # processor, which loads the signed-in user from the database.
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        response = Response(template.render(message=message, **template_context()), mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def session_write_skipped(exc: BaseException) -> None:
    """Log a session write dropped because the database went away after the view had answered."""
    log.warning("database unavailable: %s kept its answer; its session write was skipped (%s)",
                _route(), describe(exc))


def reset_session() -> None:
    """Roll the ORM session back; if the connection died under it, throw the connection away instead."""
    try:
        db.session.rollback()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        db.session().invalidate()  # closes the dead connection locally, without another round trip


def end_session(error: BaseException | None) -> None:
    """Teardown: close the context's ORM session, surviving a connection the restart cut.

    Runs before Flask-SQLAlchemy's own teardown (teardown functions run in reverse order),
    whose rollback would otherwise raise out of the WSGI app and turn an answered request
    into the server's bare 500.
    """
    try:
        db.session.remove()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        log.warning("database unavailable: a connection was lost before its closing rollback (%s)", describe(exc))
        db.session().invalidate()
        db.session.remove()


class SessionUnread(Exception):
    """The session named by the cookie could not be read: the request must not go on without it."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


def refuse_without_session() -> None:
    """First before-request hook: stop a request whose session could not be read (CSRF, sign-in)."""
    cause = getattr(session, "unread", None)
    if cause is not None and request.endpoint not in SESSIONLESS_ENDPOINTS:
        raise SessionUnread(cause)


def guard_cli(app: Flask) -> None:
    """`flask <command>` ends with one line and exit status 1, not a traceback, when the database goes away.

    Every command here commits as it goes, so a rerun after the database is back finishes the work.
    """
    lookup = app.cli.get_command

    def get_command(ctx: click.Context, name: str):
        command = lookup(ctx, name)
        if command is not None and not getattr(command, "_portal_guarded", False):
            invoke = command.invoke

            def guarded(ctx: click.Context):
                try:
                    return invoke(ctx)
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    raise click.ClickException(
                        f"the database is unavailable ({describe(exc)}); what was committed stays, "
                        "run the command again once the database is back") from None

            command.invoke = guarded
            command._portal_guarded = True
        return command

    app.cli.get_command = get_command


def init_app(app: Flask) -> None:
    """Register the 503 handlers, the session guard (before every other hook) and the CLI guard."""

    @app.errorhandler(SessionUnread)
    def _unread(error: SessionUnread):
        return respond(error.cause)

    @app.errorhandler(PoolTimeout)
    def _pool(error: PoolTimeout):
        return respond(error)

    app.before_request_funcs.setdefault(None, []).insert(0, refuse_without_session)
    app.teardown_appcontext(end_session)
    # Flask gives the "portal" logger its handler when `app.logger` is first used: now, so that
    # our WARNING lines reach the server's error log even before anything else has logged.
    app.logger.name  # noqa: B018
    guard_cli(app)
