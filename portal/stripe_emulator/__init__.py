"""A Stripe emulator: the subset of Stripe's API, hosted Checkout and webhooks the portal uses.

The portal talks to it through the real stripe-python SDK, so the code that
talks to Stripe in production is what local runs and tests exercise. State is
kept in memory, per process (restart = empty account); run one process.

Run it:  python -m portal.stripe_emulator --port 12111 --webhook-url URL --webhook-secret whsec_...
    or:  flask --app portal.stripe_emulator:create_app run -p 12111
In tests: see portal.stripe_emulator.testing (no sockets).
This package never imports `stripe` (only the payments gateway does).

Configuration keys (dict passed to create_app; environment STRIPE_EMULATOR_<KEY> for the server):
PUBLIC_URL, API_KEY, WEBHOOK_URL + WEBHOOK_SECRET or WEBHOOK_ENDPOINTS, WEBHOOK_MODE
(thread|sync|manual), WEBHOOK_RETRY_DELAYS, WEBHOOK_TRANSPORT (callable), CLOCK (callable).
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from portal.stripe_emulator.emulator import Emulator

ENV_KEYS = ("PUBLIC_URL", "API_KEY", "WEBHOOK_URL", "WEBHOOK_SECRET", "WEBHOOK_MODE")


def create_app(config: dict | None = None) -> Flask:
    """Build the emulator's WSGI app; `config` overrides STRIPE_EMULATOR_* environment variables."""
    settings = {key: os.environ[f"STRIPE_EMULATOR_{key}"] for key in ENV_KEYS if os.environ.get(f"STRIPE_EMULATOR_{key}")}
    settings.update(config or {})
    app = Flask(__name__, static_folder=None)
    app.add_url_rule("/_emulator/static/<path:filename>", "stripe_emulator_static",
                     lambda filename: _static(app, filename))
    emulator = Emulator(settings)
    app.extensions["stripe_emulator"] = emulator

    from portal.stripe_emulator import api, control, hosted

    app.register_blueprint(api.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(control.bp)

    @app.after_request
    def _security_headers(response):
        """The hosted pages need no script at all."""
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'")
        return response

    emulator.webhooks.start()
    return app


def _static(app: Flask, filename: str):
    """The emulator's own stylesheet."""
    from flask import send_from_directory

    return send_from_directory(Path(__file__).parent / "static", filename)
