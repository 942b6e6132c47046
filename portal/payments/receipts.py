"""Receipts: the words for a payment method, and the e-mail receipt queued (sent after commit)."""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.i18n import best_match
from portal.money import Money
from portal.notifications import queue_email
from portal.payments.models import Payment


def method_label(method: str | None) -> str:
    """A payment method as the debtor knows it, translated."""
    labels = {
        "card": _("Card"),
        "sepa_debit": _("SEPA Direct Debit"),
        "link": _("Link"),
        "paypal": _("PayPal"),
        "ideal": _("iDEAL"),
        "bancontact": _("Bancontact"),
    }
    return labels.get(method or "", method or _("Online payment"))


def queue_receipt(payment: Payment, remaining: Money) -> None:
    """Queue the e-mail receipt (`remaining`: what is still due) in the debtor's language; sent only on commit."""
    debtor = payment.case.debtor
    if not debtor.email:
        return
    locale = best_match(debtor.language) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = _("Receipt for your payment %(reference)s", reference=payment.reference)
        text = render_template("mail/receipt.txt", payment=payment, remaining=remaining,
                               method=method_label(payment.method), locale=locale)
    queue_email(debtor.email, subject, text)
