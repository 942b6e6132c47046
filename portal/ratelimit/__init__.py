"""Rate-limit counters shared by every worker, kept in the database."""


def init_app(app):
    """Register this feature with the app."""
