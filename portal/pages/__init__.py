"""Public pages: the start page, "Is this message genuine?", and the language switcher."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    from portal.pages.views import bp

    app.register_blueprint(bp)
