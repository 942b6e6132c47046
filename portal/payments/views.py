"""Pay pages, the return from Checkout, receipts, and the Stripe webhook endpoint."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from config import STRIPE_API
from portal.cases.balance import case_breakdown
from portal.debtor.services import find_case
from portal.extensions import db
from portal.i18n import current_locale
from portal.money import Money
from portal.payments import gateway, policy, services, sessions, webhooks
from portal.payments.forms import PayForm, new_nonce
from portal.payments.models import Payment, PaymentKind, PaymentState
from portal.payments.receipts import method_label
from portal.security_headers import CSP

bp = Blueprint("payments", __name__)

#: Checkout page languages Stripe offers that the portal also speaks; others get "auto".
CHECKOUT_LOCALES = {"en", "fr", "de", "es", "it", "nl", "pt", "pl", "sv", "da", "fi", "nb"}


def _debtor_id() -> int:
    """The signed-in debtor's id; staff sessions have none and get 403."""
    debtor_id = getattr(current_user, "debtor_id", None)
    if debtor_id is None:
        abort(403)
    return debtor_id


def _own_case(reference: str):
    """The debtor's own visible case, else 404 (the same for someone else's, closed or unknown)."""
    _debtor_id()
    case = find_case(current_user, reference)
    if case is None:
        abort(404)
    return case


def _own_payment(payment_id: int) -> Payment:
    """A payment on one of the debtor's cases, else 404."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.case.debtor_id != _debtor_id():
        abort(404)
    return payment


@bp.after_request
def _checkout_form_action(response):
    """Let pay forms redirect to the emulator's Checkout page in development (CSP form-action)."""
    base = current_app.config["STRIPE_API_BASE"].rstrip("/")
    if base != STRIPE_API:
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {origin}")
    return response


def _render_pay(case, offer, form: PayForm | None = None, status: int = 200):
    """The pay page with a fresh nonce per button (a failed part form keeps its amount)."""
    nonces = {kind.value: new_nonce() for kind in PaymentKind}
    return render_template("payments/pay.html", case=case, offer=offer, form=form or PayForm(formdata=None),
                           nonces=nonces), status


@bp.get("/cases/<reference>/pay")
@login_required
def pay(reference: str):
    """The choices: pay in full, pay part, or accept the settlement offer."""
    case = _own_case(reference)
    return _render_pay(case, policy.offer_for(case))


@bp.post("/cases/<reference>/pay")
@login_required
def pay_submit(reference: str):
    """Record the payment, then send the debtor to Stripe's Checkout page."""
    case = _own_case(reference)
    offer = policy.offer_for(case)
    form = PayForm()
    if not form.validate() or offer is None:
        return _render_pay(case, offer, form, 400)
    kind = PaymentKind(form.kind.data)
    discount = Money.zero(offer.total_due.currency)
    if kind == PaymentKind.full and offer.can_pay_full:
        amount = offer.total_due
    elif kind == PaymentKind.settlement and offer.settlement is not None:
        amount, discount = offer.settlement.amount, offer.settlement.discount
    elif kind == PaymentKind.part:
        try:
            amount = policy.part_amount(offer, form.amount.data)
        except policy.AmountError as exc:
            form.amount.errors = [str(exc)]
            return _render_pay(case, offer, form, 400)
    else:
        return _render_pay(case, offer, form, 400)
    reuse = services.reusable(case, kind, amount)  # the same choice again: back to its page if still payable
    reuse_id, reuse_session = (reuse.id, reuse.checkout_session_id) if reuse is not None else (None, None)
    try:  # the debtor's other open Checkout pages close first: only one can be paid
        taken = sessions.close_others(case.id, keep_id=reuse_id)
        if taken is None and reuse_id is not None:
            reuse = sessions.refresh(reuse_id, gateway.retrieve_session(reuse_session))  # paid meanwhile?
            taken = reuse if reuse.state in sessions.TAKEN else None
    except gateway.GatewayError:
        db.session.rollback()
        return render_template("payments/unavailable.html", case=case), 502
    if taken is not None:
        return show_taken(taken)
    if reuse is not None and reuse.state == PaymentState.open:
        return redirect(reuse.checkout_url, code=303)
    try:
        payment = services.start(case, kind, amount, discount, form.nonce.data)
        db.session.commit()  # recorded before Stripe is called
    except IntegrityError:  # the twin of a double click committed first
        db.session.rollback()
        payment = services.find_by_key(services.idempotency_key(case, form.nonce.data))
        if payment is None or (payment.kind, payment.amount) != (kind, amount):
            return render_template("payments/conflict.html", case=case), 409
    except services.PaymentConflict:
        db.session.rollback()
        return render_template("payments/conflict.html", case=case), 409
    if payment.state == PaymentState.open and payment.checkout_url:
        return redirect(payment.checkout_url, code=303)
    if payment.state != PaymentState.pending:
        return redirect(url_for("payments.status", payment_id=payment.id), code=303)
    base = current_app.config["PORTAL_BASE_URL"]
    locale = current_locale()
    try:
        services.open_checkout(
            payment,
            success_url=base + url_for("payments.returned", payment_id=payment.id),
            cancel_url=base + url_for("payments.pay", reference=case.reference),
            email=case.debtor.email, locale=locale if locale in CHECKOUT_LOCALES else "auto",
            description=_("%(creditor)s, case %(reference)s", creditor=case.creditor.name, reference=case.reference),
        )
        db.session.commit()
    except gateway.GatewayError:
        db.session.commit()  # keep the failure on record
        return render_template("payments/unavailable.html", case=case), 502
    return to_checkout(case, payment)


def to_checkout(case, payment: Payment):
    """To the new Checkout page, unless a twin submission's page was paid meanwhile: then to that payment."""
    taken = sessions.keep_one(case.id, payment.id)
    if taken is None:
        return redirect(payment.checkout_url, code=303)
    return show_taken(taken)


def show_taken(payment: Payment):
    """The payment an earlier Checkout page already took, with a word on why no new page opened."""
    flash(_("You had already paid on an earlier page, so nothing more was taken. Here is that payment."), "success")
    return redirect(url_for("payments.status", payment_id=payment.id), code=303)


@bp.get("/payments/<int:payment_id>/return")
@login_required
def returned(payment_id: int):
    """Back from Checkout: never trust the redirect; ask Stripe if the webhook has not told us yet."""
    payment = _own_payment(payment_id)
    if payment.state in (PaymentState.pending, PaymentState.open) and payment.checkout_session_id:
        try:
            sessions.refresh(payment.id, gateway.retrieve_session(payment.checkout_session_id), "return")
        except gateway.GatewayError:
            db.session.rollback()  # the status page says "processing" and the webhook will follow
    return redirect(url_for("payments.status", payment_id=payment_id), code=303)


@bp.get("/payments/<int:payment_id>")
@login_required
def status(payment_id: int):
    """The receipt once paid; otherwise where the payment stands, refreshing while it is not confirmed."""
    payment = _own_payment(payment_id)
    case = payment.case
    if payment.state.paid:
        remaining = case_breakdown(case).total_due
        return render_template("payments/receipt.html", payment=payment, case=case, remaining=remaining,
                               method=method_label(payment.method))
    waiting = payment.state in (PaymentState.pending, PaymentState.open, PaymentState.processing)
    return render_template("payments/status.html", payment=payment, case=case, waiting=waiting)


@bp.post("/stripe/webhook")
def webhook():
    """Stripe's events: verify the signature on the raw body, then apply each event once."""
    try:
        event = gateway.verify_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidSignature:
        return {"error": "invalid signature"}, 400
    try:
        webhooks.handle(event)
    except gateway.GatewayError:
        db.session.rollback()
        return {"error": "Stripe could not be read; retry later"}, 503
    return {"received": True}, 200
