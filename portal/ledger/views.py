"""GET /metrics/ledger: the outbox figures for Prometheus, behind a bearer token."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from portal.ledger import services

bp = Blueprint("ledger_metrics", __name__, url_prefix="/metrics")


@bp.get("/ledger")
def metrics():
    """Prometheus text; 404 while METRICS_TOKEN is unset, 401 without the right token."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Response("unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    response = Response(services.metrics_text(), mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response
