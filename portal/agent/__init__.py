"""The agents' back office at /agent: staff sign-in with TOTP, case view, notes, ledger queue."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint (with every route module) and `flask agents`."""
    from portal.agent import case_views, ledger_views, signin_views  # noqa: F401  (routes on bp)
    from portal.agent.blueprint import bp
    from portal.agent.cli import agents

    app.register_blueprint(bp)
    app.cli.add_command(agents)
