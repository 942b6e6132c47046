"""Case intake: export files (`flask cases import`) and single-case pushes (the API)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `cases` command group (its API routes attach in `portal.api.import_routes`)."""
    from portal.intake.cli import cases

    app.cli.add_command(cases)
