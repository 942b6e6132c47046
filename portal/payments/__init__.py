"""Online payments through Stripe-hosted Checkout: pay pages, receipts, webhooks, reconciliation."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint (with a CSRF-exempt, signature-checked webhook) and `flask payments`."""
    from portal.extensions import csrf
    from portal.payments.cli import payments
    from portal.payments.views import bp, webhook

    csrf.exempt(webhook)
    app.register_blueprint(bp)
    app.cli.add_command(payments)
