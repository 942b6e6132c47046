"""Staff sign-in: e-mail and password, then the TOTP code when the account has one."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.agent import accounts
from portal.agent.access import current_staff
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.agent.forms import SignInForm, TotpForm
from portal.agent.models import Staff
from portal.auth.sessions import destroy, regenerate
from portal.extensions import db
from portal.ratelimit import limiter, signin_ip_limit

#: How long the code step may wait after the password was accepted.
PENDING_SECONDS = 5 * 60
#: Session key of a sign-in waiting for its code.
PENDING_KEY = "agent_signin"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(signin_ip_limit, methods=["POST"])
def sign_in():
    """Step one: e-mail and password; the same answer for every kind of failure."""
    if current_staff() is not None and request.method == "GET":
        return redirect(url_for("agent.home"))
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("agent/sign_in.html", form=form, failed=False)
    email = accounts.normalise_email(form.email.data)
    check = accounts.check_password(email, form.password.data)
    if check.staff is None:
        audit(accounts.find(email), "signin.failure", email, reason=check.reason, step="password")
        db.session.commit()
        return render_template("agent/sign_in.html", form=SignInForm(formdata=None), failed=True)
    staff = check.staff
    if staff.totp_secret is None:
        return _complete(staff, "password")
    session.pop(PENDING_KEY, None)
    session[PENDING_KEY] = {"staff_id": staff.id, "started": int(time.time())}
    db.session.commit()  # a rehashed password is kept
    return redirect(url_for("agent.sign_in_code"), code=303)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(signin_ip_limit, methods=["POST"])
def sign_in_code():
    """Step two: the six-digit code; failures count towards the same lockout as passwords."""
    staff = _pending_staff()
    if staff is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("agent.sign_in"), code=303)
    form = TotpForm()
    if form.validate_on_submit():
        if accounts.check_totp(staff, form.code.data):
            session.pop(PENDING_KEY, None)
            return _complete(staff, "totp")
        locked = accounts.is_locked(staff)
        audit(staff, "signin.failure", staff.email, reason="locked" if locked else "wrong_code", step="totp")
        db.session.commit()
        if locked:
            session.pop(PENDING_KEY, None)
            return render_template("agent/sign_in.html", form=SignInForm(formdata=None), failed=True)
        form.code.errors = [_("This code is not right. Check the time on your phone and try the newest code.")]
    return render_template("agent/code.html", form=form)


@bp.post("/sign-out")
def sign_out():
    """End the staff session on the server."""
    staff = current_staff()
    if staff is not None:
        audit(staff, "signout", staff.email)
        db.session.commit()
    logout_user()
    destroy(session)
    flash(_("You have signed out."), "success")
    return redirect(url_for("agent.sign_in"), code=303)


def _pending_staff() -> Staff | None:
    """The account whose password was accepted moments ago, if it may still finish signing in."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("started", 0) > PENDING_SECONDS:
        return None
    staff = db.session.get(Staff, pending.get("staff_id"))
    if staff is None or not staff.active or staff.totp_secret is None or accounts.is_locked(staff):
        return None
    return staff


def _complete(staff: Staff, method: str):
    """Sign in on a fresh session id and a fresh CSRF secret."""
    if current_user.is_authenticated:
        logout_user()  # a debtor or another staff member on this browser is signed out first
    regenerate(session)
    session.pop("csrf_token", None)
    login_user(staff)
    accounts.signed_in(staff)
    audit(staff, "signin.success", staff.email, method=method)
    db.session.commit()
    return redirect(url_for("agent.home"), code=303)

