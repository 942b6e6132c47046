"""Debtor sign-in: reference and date of birth (or postcode), then a reminder link or a code."""

from __future__ import annotations

import secrets
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from portal.auth import codes, services
from portal.auth.forms import ChannelForm, CodeForm, SignInForm
from portal.auth.identity import FULL, LOW, DebtorIdentity
from portal.auth.sessions import destroy, regenerate
from portal.cases.models import Debtor
from portal.extensions import db
from portal.links import services as links
from portal.ratelimit import limiter, signin_ip_limit

bp = Blueprint("auth", __name__)

#: How long the second step may wait after the first succeeded.
PENDING_SECONDS = 15 * 60


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(signin_ip_limit, methods=["POST"])
def sign_in():
    """Step one: the case reference and the date of birth or postcode."""
    if current_user.is_authenticated and request.method == "GET":
        # Staff have no cases of their own (the debtor pages answer them 403): their home is the back office.
        return redirect(url_for("agent.home" if current_user.is_staff else "debtor.cases"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/sign_in.html", form=form, failed=False)
    token = session.get("link_token")
    link = links.resolve(token) if token else None
    result = services.check_knowledge(form.normalised_reference, form.birth_date, form.postcode.data, link)
    if result.case is None:
        services.log_event("signin.failure", form.normalised_reference, request.remote_addr, reason=result.reason)
        if result.locked_now:
            services.log_event("signin.locked", form.normalised_reference, request.remote_addr)
        db.session.commit()
        # The same page for every kind of failure, with nothing typed echoed back.
        return render_template("auth/sign_in.html", form=SignInForm(formdata=None), failed=True)
    case = result.case
    if link is not None and link.case_id == case.case_id and links.mark_used(link):
        session.pop("link_token", None)
        return _complete(case, FULL, "link")
    if case.email or case.phone:
        session.pop("signin", None)
        session["signin"] = {
            "case_id": case.case_id,
            "reference": case.reference,
            "debtor_id": case.debtor_id,
            "attempt": secrets.token_urlsafe(24),
            "started": int(time.time()),
        }
        services.log_event("signin.knowledge_ok", case.reference, request.remote_addr)
        db.session.commit()
        return redirect(url_for("auth.code"), code=303)
    if case.allow_knowledge_only:
        return _complete(case, LOW, "knowledge")
    services.log_event("signin.no_channel", case.reference, request.remote_addr)
    db.session.commit()
    return render_template("auth/need_link.html")


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(signin_ip_limit, methods=["POST"])
def code():
    """Step two: choose e-mail or SMS, receive a code, type it in (or ask for a new one)."""
    pending = _pending()
    if pending is None:
        flash(_("Please start again: enter your case reference."), "error")
        return redirect(url_for("auth.sign_in"), code=303)
    debtor = db.session.scalar(select(Debtor).where(Debtor.id == pending["debtor_id"]))
    if debtor is None:
        abort(404)
    channel_form = ChannelForm()
    channel_form.channel.choices = _channels(debtor)
    code_form = CodeForm()
    action = request.form.get("action") if request.method == "POST" else None
    status = 200
    if action == "send" and channel_form.validate_on_submit():
        try:
            codes.send_code(
                pending["case_id"], pending["attempt"], channel_form.channel.data,
                debtor.email, debtor.phone, debtor.language,
            )
        except codes.SendRefused as refused:
            channel_form.channel.errors = [
                _("Please wait %(seconds)d seconds before asking for another code.", seconds=refused.wait_seconds)
            ]
            status = 429
        else:
            session["signin"] = {**pending, "channel": channel_form.channel.data}
            services.log_event("signin.code_sent", pending["reference"], request.remote_addr)
            db.session.commit()
            flash(_("We have sent a code to %(destination)s.", destination=_masked(debtor, channel_form.channel.data)), "success")
            return redirect(url_for("auth.code"), code=303)
    elif action == "verify" and code_form.validate_on_submit():
        check = codes.check_code(pending["case_id"], pending["attempt"], code_form.code.data)
        if check.verdict is codes.Verdict.ok:
            return _complete_pending(pending)
        services.log_event("signin.code_failure", pending["reference"], request.remote_addr, reason=check.verdict.value)
        db.session.commit()
        code_form.code.errors = [_code_message(check)]
    elif request.method == "POST" and action not in ("send", "verify"):
        abort(400)
    sent = codes.has_live_code(pending["case_id"], pending["attempt"])
    return render_template(
        "auth/code.html", channel_form=channel_form, code_form=code_form, sent=sent, minutes=codes.CODE_MINUTES,
        sent_to=_masked(debtor, pending.get("channel")) if pending.get("channel") else None,
    ), status


@bp.post("/sign-out")
def sign_out():
    """End the session on the server; the old cookie no longer works."""
    if current_user.is_authenticated and not current_user.is_staff:
        services.log_event("signout", "-", request.remote_addr, debtor=str(current_user.debtor_id))
    logout_user()
    destroy(session)
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.sign_in"), code=303)


def _pending() -> dict | None:
    """The sign-in waiting for its second step, if it is recent enough."""
    pending = session.get("signin")
    if not isinstance(pending, dict) or time.time() - pending.get("started", 0) > PENDING_SECONDS:
        return None
    return pending


def _channels(debtor: Debtor) -> list[tuple[str, str]]:
    """(value, label) for each way to reach the debtor, masked."""
    choices = []
    if debtor.email:
        choices.append(("email", _("E-mail to %(address)s", address=codes.mask_email(debtor.email))))
    if debtor.phone:
        choices.append(("sms", _("Text message to %(number)s", number=codes.mask_phone(debtor.phone))))
    return choices


def _masked(debtor: Debtor, channel: str) -> str:
    """The masked destination of a channel."""
    return codes.mask_email(debtor.email or "") if channel == "email" else codes.mask_phone(debtor.phone or "")


def _code_message(check: codes.CodeCheck) -> str:
    """What to tell the debtor about a code that did not work."""
    if check.verdict is codes.Verdict.wrong:
        return _("This code is not right. Check it and try again (%(left)d tries left).", left=check.tries_left)
    if check.verdict is codes.Verdict.exhausted:
        return _("This code has been entered wrongly too many times. Ask for a new code below.")
    return _("This code has expired or was replaced by a newer one. Ask for a new code below.")


def _complete_pending(pending: dict):
    """The code was right: sign in with full assurance."""
    session.pop("signin", None)
    facts = services.CaseFacts(pending["case_id"], pending["reference"], pending["debtor_id"], None, None, None, False)
    return _complete(facts, FULL, "code")


def _complete(case: services.CaseFacts, assurance: str, method: str):
    """Sign the debtor in on a fresh session id and send them to their cases."""
    regenerate(session)
    session.pop("csrf_token", None)  # a new CSRF secret for the signed-in session
    login_user(DebtorIdentity(case.debtor_id, assurance))
    services.log_event("signin.success", case.reference, request.remote_addr, method=method, assurance=assurance)
    db.session.commit()
    return redirect(url_for("debtor.cases"), code=303)
