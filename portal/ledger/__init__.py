"""The ledger outbox: events recorded with their facts, delivered by the relay (see relay.py)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `flask ledger` commands and the metrics route."""
    from portal.ledger.cli import ledger
    from portal.ledger.views import bp

    app.cli.add_command(ledger)
    app.register_blueprint(bp)
