"""The debtor's plan pages: offers, choosing, proposing, the schedule, paying early, moving a date."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from portal.clock import today, utcnow
from portal.extensions import db
from portal.i18n import current_locale
from portal.money import Money, exponent
from portal.payments import gateway
from portal.payments import services as payments
from portal.payments import sessions
from portal.payments.forms import new_nonce
from portal.payments.models import PaymentKind
from portal.payments.views import CHECKOUT_LOCALES, _checkout_form_action, _own_case, show_taken, to_checkout
from portal.plans import advice, hooks, offers as offer_math, services
from portal.plans.forms import ButtonForm, ChooseForm, MoveForm, NonceForm, ProposeForm
from portal.plans.models import Instalment, Plan, PlanPayment, PlanState
from portal.plans.rules import Frequency

bp = Blueprint("plans", __name__)
bp.after_request(_checkout_form_action)  # Checkout may be the emulator in development


def _render(case, status: int = 200, propose_form: ProposeForm | None = None, move_form: MoveForm | None = None):
    """The plan page: the live plan, or the offers and the proposal form."""
    plan = services.live_plan(case)
    sit = services.situation(case) if plan is None else None
    last = services.latest_plan(case) if plan is None else None
    return render_template(
        "plans/plan.html", case=case, plan=plan, sit=sit, last=last, nonce=new_nonce, button=ButtonForm(),
        propose_form=propose_form or ProposeForm(formdata=None, start=today()), move_form=move_form or MoveForm(
            formdata=None), advice=advice.for_country(case.debtor.country), next_open=plan and services.next_open(plan),
        paid=plan and sum(i.amount_minor for i in plan.instalments if i.state == "paid"),
        paid_money=plan and Money(sum(i.amount_minor for i in plan.instalments if i.state == "paid"), plan.currency),
        rest=plan and plan.state == PlanState.active and len(plan.open_instalments()) > 1 and services.rest_to_pay(plan),
    ), status


@bp.get("/cases/<reference>/plan")
@login_required
def plan(reference: str):
    """Offers, the proposal form, or the plan in progress."""
    return _render(_own_case(reference))


@bp.post("/cases/<reference>/plan/choose")
@login_required
def choose(reference: str):
    """The debtor picks an offer: the plan waits for its first payment (or saved method)."""
    case = _own_case(reference)
    form = ChooseForm()
    sit = services.situation(case)
    if not form.validate() or sit is None:
        return _render(case, 400)
    offer = offer_math.find_offer(form.offer.data, sit.balance, sit.rules, sit.risk_score, today(), sit.minimum)
    if offer is None:
        flash(_("That offer is no longer available. Please choose again."), "error")
        return _render(case, 409)
    try:
        plan = services.create(case, sit, offer, origin="offer", state=PlanState.pending_payment, source="debtor",
                               approved_by="policy")
    except services.PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render(case, 409)
    return _start(case, plan, form.nonce.data)


@bp.post("/cases/<reference>/plan/start")
@login_required
def start(reference: str):
    """Go ahead with an approved proposal or counter-offer, or return to an unfinished first payment."""
    case = _own_case(reference)
    form = NonceForm()
    plan = services.live_plan(case)
    if not form.validate() or plan is None or plan.state not in (
            PlanState.accepted, PlanState.countered, PlanState.pending_payment):
        return _render(case, 400)
    if plan.state != PlanState.pending_payment:
        plan.move(PlanState.pending_payment, "debtor")
    return _start(case, plan, form.nonce.data)


def _start(case, plan: Plan, nonce: str):
    """Pay the first instalment through Checkout saving the method, or (later start) save it in setup mode."""
    if not services.starts_now(plan):
        return _setup(case, plan, nonce)
    return _checkout(case, plan, plan.instalments[0], nonce, save=True)


def _checkout(case, plan: Plan, instalment: Instalment, nonce: str, save: bool, pay_off: Money | None = None):
    """Record the payment of one instalment, or of the whole rest (`pay_off`), committed; then open Checkout."""
    kind, amount = (PaymentKind.full, pay_off) if pay_off else (PaymentKind.instalment, instalment.amount)
    existing = payments.find_by_key(payments.idempotency_key(case, nonce))
    if existing is not None and existing.checkout_url:  # the same click again: back to its page
        return redirect(existing.checkout_url, code=303)
    try:  # the debtor's other open Checkout pages close first: only one can be paid
        taken = sessions.close_others(case.id)
    except gateway.GatewayError:
        db.session.rollback()
        return render_template("payments/unavailable.html", case=case), 502
    if taken is not None:
        return show_taken(taken)
    try:
        payment = payments.start(case, kind, amount, Money.zero(plan.currency), nonce)
        if db.session.get(PlanPayment, payment.id) is None:
            db.session.add(PlanPayment(payment_id=payment.id, plan_id=plan.id, instalment_id=instalment.id, attempt=0))
        db.session.commit()  # recorded before Stripe is called
    except (IntegrityError, payments.PaymentConflict):
        db.session.rollback()
        return redirect(url_for("plans.plan", reference=case.reference), code=303)
    if payment.checkout_url:
        return redirect(payment.checkout_url, code=303)
    base = current_app.config["PORTAL_BASE_URL"]
    locale = current_locale()
    try:
        payments.open_checkout(
            payment, success_url=base + url_for("payments.returned", payment_id=payment.id),
            cancel_url=base + url_for("plans.plan", reference=case.reference), email=case.debtor.email,
            locale=locale if locale in CHECKOUT_LOCALES else "auto", save_for_later=save,
            description=_("%(creditor)s, case %(reference)s, rest of the plan", creditor=case.creditor.name,
                          reference=case.reference) if pay_off else
            _("%(creditor)s, case %(reference)s, instalment %(number)d", creditor=case.creditor.name,
              reference=case.reference, number=instalment.number),
        )
        db.session.commit()
    except gateway.GatewayError:
        db.session.commit()
        return render_template("payments/unavailable.html", case=case), 502
    return to_checkout(case, payment)


def _setup(case, plan: Plan, nonce: str):
    """A setup-mode Checkout that saves the payment method; the plan binds when Stripe confirms it."""
    base = current_app.config["PORTAL_BASE_URL"]
    locale = current_locale()
    db.session.commit()
    try:
        customer = plan.stripe_customer_id or gateway.create_customer(
            email=case.debtor.email, name=case.debtor.name, idempotency_key=f"plan-{plan.id}-customer",
            metadata={"portal_plan_id": str(plan.id), "case_reference": case.reference})["id"]
        session = gateway.create_setup_session(
            customer=customer, currency=plan.currency, idempotency_key=f"plan-{plan.id}-setup-{nonce}",
            metadata={"portal_plan_id": str(plan.id), "case_reference": case.reference},
            success_url=base + url_for("plans.saved", reference=case.reference),
            cancel_url=base + url_for("plans.plan", reference=case.reference),
            locale=locale if locale in CHECKOUT_LOCALES else "auto", expires_at=utcnow() + payments.SESSION_LIFETIME,
        )
    except gateway.GatewayError:
        return render_template("payments/unavailable.html", case=case), 502
    plan = hooks.lock_plan(plan.id)
    plan.stripe_customer_id = customer
    plan.setup_session_id = session["id"]
    db.session.commit()
    return redirect(session["url"], code=303)


@bp.get("/cases/<reference>/plan/saved")
@login_required
def saved(reference: str):
    """Back from a setup-mode Checkout: ask Stripe rather than trust the redirect, then show the plan."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    if plan is not None and plan.setup_session_id:
        try:
            session = gateway.retrieve_session(plan.setup_session_id)
            if session.get("status") == "complete" and session.get("setup_intent"):
                hooks.setup_completed(session, gateway.retrieve_setup_intent(session["setup_intent"]), "return")
                db.session.commit()
        except gateway.GatewayError:
            db.session.rollback()  # the webhook will follow
    return redirect(url_for("plans.plan", reference=reference), code=303)


@bp.post("/cases/<reference>/plan/method")
@login_required
def replace_method(reference: str):
    """Save another payment method for the next instalments (setup-mode Checkout)."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    form = NonceForm()
    if not form.validate() or plan is None or plan.state != PlanState.active:
        return _render(case, 400)
    return _setup(case, plan, form.nonce.data)


@bp.post("/cases/<reference>/plan/pay-next")
@login_required
def pay_next(reference: str):
    """Pay the next instalment now (early, or after a failed or unauthenticated charge)."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    form = NonceForm()
    instalment = plan and services.next_open(plan)
    if not form.validate() or plan is None or plan.state != PlanState.active or instalment is None:
        return _render(case, 400)
    return _checkout(case, plan, instalment, form.nonce.data, save=False)


@bp.post("/cases/<reference>/plan/pay-off")
@login_required
def pay_off(reference: str):
    """Pay everything left on the plan in one Checkout payment; the plan completes when Stripe confirms it."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    form = NonceForm()
    if not form.validate() or plan is None or plan.state != PlanState.active or not plan.open_instalments():
        return _render(case, 400)
    return _checkout(case, plan, plan.open_instalments()[0], form.nonce.data, save=False,
                     pay_off=services.rest_to_pay(plan))


@bp.post("/cases/<reference>/plan/withdraw")
@login_required
def withdraw(reference: str):
    """Withdraw a proposal, or give up a plan whose first payment was not made."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    if not ButtonForm().validate() or plan is None:
        return _render(case, 400)
    if plan.state == PlanState.pending_payment and plan.agreed_at is None:
        plan.move(PlanState.cancelled, "debtor")
    else:
        try:
            services.withdraw(plan)
        except services.PlanError as exc:
            flash(str(exc), "error")
            return _render(case, 409)
    db.session.commit()
    flash(_("Your proposal is withdrawn."), "success")
    return redirect(url_for("plans.plan", reference=reference), code=303)


@bp.post("/cases/<reference>/plan/move")
@login_required
def move(reference: str):
    """Move one future due date within the policy's allowance."""
    case = _own_case(reference)
    plan = services.live_plan(case)
    form = MoveForm()
    if plan is None:
        abort(404)
    if not form.validate():
        return _render(case, 400, move_form=form)
    instalment = next((i for i in plan.instalments if i.number == int(form.number.data)), None)
    try:
        if instalment is None:
            raise services.PlanError(_("Choose a date after today and before the following instalment."))
        services.move_date(plan, instalment, form.new_date.data)
    except services.PlanError as exc:
        db.session.rollback()
        form.new_date.errors = [str(exc)]
        return _render(case, 400, move_form=form)
    db.session.commit()
    flash(_("The date is moved."), "success")
    return redirect(url_for("plans.plan", reference=reference), code=303)


@bp.route("/cases/<reference>/plan/propose", methods=["GET", "POST"])
@login_required
def propose(reference: str):
    """The debtor's own plan, checked at once: accepted, countered, or sent to an agent."""
    case = _own_case(reference)
    sit = services.situation(case)
    form = ProposeForm()
    if sit is None or services.live_plan(case) is not None:
        return redirect(url_for("plans.plan", reference=reference), code=303)
    if not form.is_submitted():
        form = ProposeForm(formdata=None, start=today())
        return render_template("plans/propose.html", case=case, form=form, sit=sit,
                               advice=advice.for_country(case.debtor.country))
    amount = _amount(form, "amount", sit.balance.currency) if form.validate() else None
    budget = {key: _amount(form, key, sit.balance.currency) for key in ("income", "expenditure")
              if getattr(form, key).data}
    if form.support_needs.data and not form.support_consent.data:
        form.support_consent.errors = [_("Tick this box if you want us to keep what you wrote about your needs.")]
    if amount is None or form.errors or any(v is None for v in budget.values()):
        return render_template("plans/propose.html", case=case, form=form, sit=sit,
                               advice=advice.for_country(case.debtor.country)), 400
    try:
        new_plan, verdict = services.propose(
            case, sit, amount, Frequency(form.frequency.data), form.start.data, reason=form.reason.data,
            budget={k: v.minor for k, v in budget.items()} or None,
            support_needs=form.support_needs.data if form.support_consent.data else None)
    except offer_math.TooManyInstalments:
        form.amount.errors = [_("At this amount the plan would last more than ten years. Please enter a larger amount, or ask us for help.")]
        return render_template("plans/propose.html", case=case, form=form, sit=sit,
                               advice=advice.for_country(case.debtor.country)), 400
    db.session.commit()
    return redirect(url_for("plans.plan", reference=reference), code=303)


def _amount(form, name: str, currency: str) -> Money | None:
    """Parse a money field ("25", "25.50", "25,50"); sets the field's error and returns None if wrong."""
    field = getattr(form, name)
    text = (field.data or "").strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
        if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -exponent(currency):
            raise InvalidOperation
        return Money.from_decimal(value, currency)
    except InvalidOperation:
        field.errors = [*field.errors, _("Enter an amount such as 50 or 50.00.")]
        return None
