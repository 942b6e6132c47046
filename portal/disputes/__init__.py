"""Disputes: the debtor's "I dispute this debt" with evidence, the agents' queue and decisions.

A dispute pauses automatic collection and reminders on its case (`services.pausing`),
posts `case.disputed` to the ledger, and its decision is e-mailed to the debtor.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's pages; the agents' pages go on the back-office blueprint."""
    from portal.disputes import agent_views  # noqa: F401  (routes on the agent blueprint)
    from portal.disputes.views import bp

    app.register_blueprint(bp)
