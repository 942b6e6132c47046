"""Hardship and support: the "I can't pay right now" path and support needs shared with consent."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's pages; the agents' page goes on the back-office blueprint."""
    from portal.support import agent_views  # noqa: F401  (routes on the agent blueprint)
    from portal.support.views import bp

    app.register_blueprint(bp)
