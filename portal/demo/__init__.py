"""Demo data for the local run: a few well-known cases to sign in with, and generated ones around them."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register `flask demo`."""
    from portal.demo.cli import demo

    app.cli.add_command(demo)
