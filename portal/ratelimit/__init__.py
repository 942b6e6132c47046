"""Rate limits shared by every worker: Flask-Limiter over counters kept in the database.

`RATELIMIT_STORAGE_URI` picks the storage: `sql://` (the default, our own
`portal.ratelimit.storage.SQLStorage`) or anything the `limits` library accepts,
such as `redis://host:6379`. Views use the one `limiter` object of this module.
"""

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from portal.ratelimit import storage  # noqa: F401  (registers the "sql" scheme with `limits`)

limiter = Limiter(key_func=get_remote_address, strategy="fixed-window")


def signin_ip_limit() -> str:
    """The per-IP limit on sign-in POSTs, read per request so it follows the app's config."""
    return current_app.config["SIGNIN_IP_LIMIT"]


def init_app(app: Flask) -> None:
    """Bind the limiter to the app with the storage named in the configuration."""
    limiter.init_app(app)
