"""Reminder links: the token printed in a letter, e-mail or SMS."""


def init_app(app):
    """Register this feature with the app."""
