"""The API blueprint and its bearer-key guard, shared by every feature's API routes."""

from __future__ import annotations

import hashlib
from functools import wraps

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from portal.api.models import ApiKey
from portal.clock import utcnow
from portal.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_error(status: int, error: str, message: str, field: str | None = None):
    """A JSON error naming the field at fault, in the shape every API route uses."""
    body = {"error": error, "message": message}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


def require_api_key(view):
    """Allow the request only with `Authorization: Bearer <live key>`; sets `g.api_key`."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _unauthorized("missing bearer API key")
        api_key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key.strip())))
        if api_key is None or api_key.revoked_at is not None:
            return _unauthorized("unknown or revoked API key")
        now = utcnow()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            api_key.last_used_at = now  # committed with the request's own transaction
        g.api_key = api_key
        return view(*args, **kwargs)

    return wrapper


def _unauthorized(message: str):
    response = api_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
    return response
