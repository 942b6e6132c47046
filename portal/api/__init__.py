"""api"""


def init_app(app):
    """Register this feature with the app."""
