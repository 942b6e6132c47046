"""Instalment plans: policies, offers, proposals, agent decisions and automatic collection."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's plan pages, the back-office plan routes and `flask plans` / `flask policies`."""
    from portal.plans import agent_views  # noqa: F401  (routes on the agent blueprint, registered by portal.agent)
    from portal.plans.cli import plans, policies
    from portal.plans.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(plans)
    app.cli.add_command(policies)
