"""Contact details: the debtor corrects their e-mail, phone or postal address.

A new e-mail or phone is confirmed by a one-time code sent to it; each change posts
`debtor.contact_changed` to the ledger on the debtor's live cases and is audited.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the debtor's contact-details pages."""
    from portal.contact.views import bp

    app.register_blueprint(bp)
