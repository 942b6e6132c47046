"""Downloadable PDFs (statement, receipts, paid-in-full and settlement letters) and the public /verify page."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's downloads and the public verification page."""
    from portal.documents.views import bp

    app.register_blueprint(bp)
