"""Messages: one secure thread per debtor with the agency, written from both sides.

The debtor writes at /messages (with files, through portal.uploads); agents answer at
/agent/debtors/<id>/messages. Each new message is announced to the other side by an
e-mail without its content (agents: to AGENT_INBOX, when set).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's page; the agents' page goes on the back-office blueprint."""
    from portal.messages import agent_views  # noqa: F401  (routes on the agent blueprint)
    from portal.messages.views import bp

    app.register_blueprint(bp)
