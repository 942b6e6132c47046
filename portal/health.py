"""Probes for the load balancer or orchestrator: is the process up, and can it serve?

* `GET /healthz`: liveness. 200 as long as the worker answers; touches nothing else, so a
  database outage does not get healthy workers restarted.
* `GET /readyz`: readiness. 200 when one `SELECT 1` succeeds on a pooled connection, else
  503: take this instance out of rotation until the database is back.

Plain text, never cached, no session, no limits (no default limits exist; the probes
carry no cookie, so no session row is read or written).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

log = logging.getLogger("portal.health")
bp = Blueprint("health", __name__)


def _plain(body: str, status: int) -> Response:
    """A small text answer no cache keeps."""
    return Response(body + "\n", status, {"Cache-Control": "no-store"}, mimetype="text/plain")


@bp.get("/healthz")
def alive():
    """The worker is up."""
    return _plain("ok", 200)


@bp.get("/readyz")
def ready():
    """The worker can reach its database."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("readiness: database unavailable (%s)", type(getattr(exc, "orig", None) or exc).__name__)
        return _plain("database unavailable", 503)
    return _plain("ready", 200)


def init_app(app: Flask) -> None:
    """Register the probes."""
    app.register_blueprint(bp)
