"""How a debtor proves who they are: knowledge step, proof of possession, sessions."""


def init_app(app):
    """Register this feature with the app."""
