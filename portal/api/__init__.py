"""The machine API at /api/v1: the collection system pushes cases and asks for links."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: it authenticates with bearer keys)."""
    from portal.api import cli
    from portal.api.blueprint import bp
    from portal.extensions import csrf

    import_routes()
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.cli.add_command(cli.apikeys)


def import_routes() -> None:
    """Import each feature's API routes so they attach to the blueprint."""
    from portal.api import openapi  # noqa: F401
    from portal.intake import api as _intake_api  # noqa: F401
    from portal.links import api as _links_api  # noqa: F401
    # Each feature adds its module here: e.g. portal.intake.api, portal.links.api.
