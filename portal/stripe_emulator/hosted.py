"""The hosted Checkout page and 3-D Secure challenge, in TEST MODE, without JavaScript."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request

from portal.stripe_emulator import cards, checkout, payment_intents, setup_intents
from portal.stripe_emulator.api import current_emulator
from portal.stripe_emulator.currencies import display
from portal.stripe_emulator.errors import StripeError

bp = Blueprint("stripe_emulator_hosted", __name__, template_folder="templates")


def _session(session_id: str) -> dict:
    """The Checkout Session of the page, expired on the spot if its time is up."""
    emu = current_emulator()
    session = emu.store.objects.get(session_id)
    if session is None or session["object"] != "checkout.session":
        abort(404)
    return checkout.refresh(emu, session)


def _render(session: dict, status: int = 200, error: str | None = None, form=None):
    """The payment page (or the closed-session page)."""
    template = "stripe_emulator/pay.html" if session["status"] == "open" else "stripe_emulator/closed.html"
    total = display(session["amount_total"], session["currency"]) if session["amount_total"] is not None else None
    return render_template(template, session=session, total=total, error=error, form=form or {},
                           test_cards=cards.CARDS, ibans=cards.SEPA_TEST_IBANS), status


@bp.get("/c/pay/<session_id>")
def pay_page(session_id: str):
    """Show what is being paid and let the tester pick card or SEPA, and the outcome via the test number."""
    emu = current_emulator()
    with emu.store.lock:
        session = _session(session_id)
        error = payment_intents.AUTH_FAILED if request.args.get("error") == "authentication" else None
        page = _render(session, error=error)
    emu.after_action()
    return page


@bp.post("/c/pay/<session_id>")
def pay_submit(session_id: str):
    """Create the PaymentMethod, attempt the payment, and complete or redirect to the challenge."""
    emu = current_emulator()
    form = request.form
    with emu.store.lock:
        session = _session(session_id)
        if session["status"] != "open":
            return _render(session, status=409)
        try:
            pm = _payment_method(emu, form)
            needs_auth = checkout.pay(emu, session, pm, form.get("email", "").strip() or None)
        except StripeError as error:
            emu.after_action()
            return _render(session, status=402 if error.status == 402 else 400, error=str(error), form=form)
    emu.after_action()
    if needs_auth:
        return redirect(f"/c/3ds/{needs_auth['id']}", code=303)
    return _to_success(session)


def _payment_method(emu, form) -> dict:
    """A card or sepa_debit PaymentMethod from the form, with Stripe's messages for bad input."""
    billing = {"name": form.get("name", "").strip() or None, "email": form.get("email", "").strip() or None}
    if form.get("method") == "sepa_debit":
        iban = form.get("iban", "").replace(" ", "").upper()
        if not cards.iban_ok(iban):
            raise StripeError(400, "Your IBAN is invalid (check the country code, length and check digits).", param="iban")
        if not billing["name"]:
            raise StripeError(400, "SEPA Direct Debit needs the account holder's name.", param="name")
        return cards.new_sepa_method(emu.store, iban, billing)
    number = cards.normalise(form.get("card_number", ""))
    if not cards.luhn_ok(number):
        raise StripeError(402, "Your card number is invalid.", type="card_error", code="incorrect_number", param="card_number")
    return cards.new_card_method(emu.store, number, billing)


def _to_success(session: dict):
    """Back to the merchant's success_url (with {CHECKOUT_SESSION_ID} filled in), or a plain receipt."""
    if session.get("success_url"):
        return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), code=303)
    return _render(session)


@bp.get("/c/pay/<session_id>/cancel")
def cancel(session_id: str):
    """The debtor gave up: back to cancel_url; the session stays open until it expires."""
    session = _session(session_id)
    if not session.get("cancel_url"):
        return _render(session)
    return redirect(session["cancel_url"], code=303)


def _intent(intent_id: str) -> dict:
    """The PaymentIntent or SetupIntent waiting for 3-D Secure."""
    intent = current_emulator().store.objects.get(intent_id)
    if intent is None or intent["object"] not in ("payment_intent", "setup_intent"):
        abort(404)
    return intent


@bp.get("/c/3ds/<intent_id>")
def challenge(intent_id: str):
    """The bank's 3-D Secure page: the tester passes or fails it."""
    intent = _intent(intent_id)
    amount = display(intent["amount"], intent["currency"]) if intent["object"] == "payment_intent" else None
    return render_template("stripe_emulator/challenge.html", intent=intent, amount=amount)


@bp.post("/c/3ds/<intent_id>")
def challenge_submit(intent_id: str):
    """Apply the outcome, then return to the Checkout page, the success_url or the intent's return_url."""
    emu = current_emulator()
    passed = request.form.get("outcome") == "pass"
    with emu.store.lock:
        intent = _intent(intent_id)
        is_pi = intent["object"] == "payment_intent"
        try:
            (payment_intents if is_pi else setup_intents).authenticate(emu, intent, passed)
        except StripeError as error:
            # the card was declined after authentication: show it on the Checkout page
            session_id = intent.get("_checkout_session")
            emu.after_action()
            if session_id:
                return _render(_session(session_id), status=402, error=str(error))
            return render_template("stripe_emulator/challenge.html", intent=intent, error=str(error)), 402
        session = emu.store.objects.get(intent.get("_checkout_session") or "")
        if session and intent["status"] in ("succeeded", "processing"):
            checkout.finish(emu, session, intent)
    emu.after_action()
    if session:
        if session["status"] == "complete":
            return _to_success(session)
        return redirect(f"/c/pay/{session['id']}?error=authentication", code=303)
    status = "succeeded" if intent["status"] == "succeeded" else "failed"
    if intent.get("_return_url"):
        kind = "payment_intent" if is_pi else "setup_intent"
        query = urlencode({kind: intent["id"], f"{kind}_client_secret": intent["client_secret"], "redirect_status": status})
        separator = "&" if "?" in intent["_return_url"] else "?"
        return redirect(intent["_return_url"] + separator + query, code=303)
    return render_template("stripe_emulator/challenge.html", intent=intent, done=status)
