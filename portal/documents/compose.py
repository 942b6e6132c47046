"""The words and figures of each document, in the current locale, as a `pdf.Page`."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from portal.cases.balance import case_breakdown
from portal.cases.models import Case
from portal.debtor import services as debtor_services
from portal.documents.models import DocumentKind
from portal.documents.pdf import Page
from portal.documents.services import Issued
from portal.i18n import current_locale, format_money
from portal.payments.models import Payment, PaymentState
from portal.payments.receipts import method_label


def _heading(case: Case, issued: Issued) -> str:
    """Who issues the document, about whom, and when."""
    return _("Payment portal, on behalf of %(creditor)s · issued %(date)s",
             creditor=case.creditor.name, date=format_datetime(issued.document.issued_at, "long"))


def _verification(issued: Issued) -> tuple[list[str], str]:
    """The verification box's lines and the QR code's address."""
    base = current_app.config["PORTAL_BASE_URL"]
    page = base + url_for("documents.verify")
    lines = [
        _("Verification code"),
        issued.code,
        _("Anyone can check this document's key facts at %(address)s with this code, or by scanning the QR code.",
          address=page),
    ]
    return lines, f"{page}?code={issued.code}"


def _page(case: Case, issued: Issued, title: str) -> Page:
    """A page with the parts every document shares."""
    lines, url = _verification(issued)
    return Page(title=title, heading=_heading(case, issued), verify_lines=lines, verify_url=url,
                lang=current_locale())


def statement(case: Case, issued: Issued) -> Page:
    """The case's breakdown of what is owed now and its history."""
    figures = case_breakdown(case)
    page = _page(case, issued, _("Statement of your case"))
    page.facts = _case_facts(case)
    page.table_caption = _("How the amount is made up")
    page.rows = [
        (_("Principal (the unpaid invoice)"), format_money(figures.principal)),
        (_("Interest"), format_money(figures.interest)),
        (_("Reminder fees"), format_money(figures.fees)),
        (_("Collection costs"), format_money(figures.costs)),
    ]
    if figures.paid_since_export:
        page.rows.append((_("Payments received since that statement"), format_money(-figures.paid_since_export)))
    if figures.discounts_since_export:
        page.rows.append((_("Discounts granted since that statement"), format_money(-figures.discounts_since_export)))
    if figures.reversals_since_export:
        page.rows.append((_("Refunds and reversed payments since that statement"),
                          format_money(figures.reversals_since_export)))
    page.total = (_("Total due now"), format_money(figures.total_due))
    page.list_heading = _("What has happened so far")
    page.items = [_history_line(event) for event in debtor_services.history(case)]
    return page


def receipt(case: Case, payment: Payment, issued: Issued) -> Page:
    """A receipt for one received payment."""
    page = _page(case, issued, _("Receipt for your payment %(reference)s", reference=payment.reference))
    page.facts = [
        (_("Amount paid"), format_money(payment.amount)),
        (_("Payment method"), method_label(payment.method)),
        (_("Date"), format_datetime(payment.succeeded_at, "long") if payment.succeeded_at else "—"),
        (_("Payment reference"), payment.reference),
        *_case_facts(case),
    ]
    if payment.discount_minor:
        page.facts.append((_("Written off under the settlement offer"), format_money(payment.discount)))
    if payment.state == PaymentState.refunded:
        page.paragraphs.append(_("This payment has been refunded to you."))
    elif payment.state == PaymentState.partially_refunded:
        page.paragraphs.append(_("Part of this payment has been refunded to you."))
    elif payment.state in (PaymentState.disputed, PaymentState.charged_back):
        page.paragraphs.append(_("Your bank has disputed this payment."))
    return page


def closing_letter(case: Case, kind: DocumentKind, issued: Issued) -> Page:
    """The paid-in-full or settlement letter: nothing more is due on the case."""
    amount = format_money(issued.document.amount)
    if kind == DocumentKind.settlement:
        page = _page(case, issued, _("Settlement letter"))
        page.paragraphs = [
            _("We confirm that case %(reference)s with %(creditor)s has been settled. You paid %(amount)s under "
              "the creditor's settlement offer and the rest was written off.",
              reference=case.reference, creditor=case.creditor.name, amount=amount),
            _("Nothing more is due on this case, and no one may ask you to pay it again."),
        ]
    else:
        page = _page(case, issued, _("Confirmation of payment in full"))
        page.paragraphs = [
            _("We confirm that case %(reference)s with %(creditor)s has been paid in full: you paid %(amount)s.",
              reference=case.reference, creditor=case.creditor.name, amount=amount),
            _("Nothing more is due on this case, and no one may ask you to pay it again."),
        ]
    page.facts = _case_facts(case)
    page.paragraphs.append(_("Thank you. Please keep this letter with your papers."))
    return page


def _case_facts(case: Case) -> list[tuple[str, str]]:
    """Creditor, case reference and the original invoice."""
    facts = [(_("Creditor"), case.creditor.name), (_("Case reference"), case.reference)]
    export = case.export
    if export is not None and export.invoice_number:
        facts.append((_("Invoice number"), export.invoice_number))
    if export is not None and export.invoice_date:
        facts.append((_("Invoice date"), format_date(export.invoice_date, "long")))
    return facts


def _history_line(event) -> str:
    """One line of the history, worded as on the case page."""
    when = format_date(event.when, "medium")
    amount = format_money(event.amount) if event.amount is not None else ""
    words = {
        "invoice": _("The invoice was issued"),
        "due": _("The invoice was due for payment"),
        "statement": _("Statement from the agency: total %(amount)s", amount=amount),
        "payment": _("Payment received: %(amount)s", amount=amount),
        "discount": _("Discount granted: %(amount)s", amount=amount),
        "refund": _("Refund made to you: %(amount)s", amount=amount),
        "chargeback": _("Payment reversed by your bank: %(amount)s", amount=amount),
    }
    return f"{when} — {words[event.kind.value]}"
