"""Privacy: `flask privacy export REFERENCE` and `flask privacy erase` (personal data past retention)."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register `flask privacy`."""
    from portal.privacy.cli import privacy

    app.cli.add_command(privacy)
