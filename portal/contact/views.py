"""The debtor's contact details: see them, correct them (a new e-mail or phone after a code)."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import codes
from portal.auth.identity import debtor_required
from portal.contact import services
from portal.contact.forms import AddressForm, CodeForm, EmailForm, PhoneForm
from portal.debtor import services as debtor_services
from portal.extensions import db

bp = Blueprint("contact", __name__)

#: Session key of the change waiting for its code: field, new value, case and attempt of the code.
PENDING = "contact_change"


def _page(email_form=None, phone_form=None, address_form=None, status: int = 200):
    """The details on file and the three correction forms (none for a LOW-assurance session)."""
    debtor = debtor_services.debtor_details(current_user)
    address = services.address_of(debtor.id)
    if address_form is None:
        address_form = AddressForm(formdata=None, obj=address, country=address.country if address else debtor.country)
    masked = not current_user.full
    return render_template(
        "contact/details.html", debtor=debtor, address=address, masked=masked,
        email=debtor.email and (debtor_services.mask_email(debtor.email) if masked else debtor.email),
        phone=debtor.phone and (debtor_services.mask_phone(debtor.phone) if masked else debtor.phone),
        email_form=email_form or EmailForm(formdata=None), phone_form=phone_form or PhoneForm(formdata=None),
        address_form=address_form,
    ), status


def _full_only() -> None:
    """A session signed in on the knowledge step alone may not change personal data."""
    if not current_user.full:
        abort(403)


@bp.get("/contact")
@debtor_required
def details():
    """What we have on file, with the forms to correct it."""
    return _page()


def _send(channel: str, field: str, value: str, form, form_key: str):
    """Send a code to the new address or number and remember the change until it comes back."""
    debtor = debtor_services.debtor_details(current_user)
    if value == getattr(debtor, field):
        getattr(form, field).errors = [_("This is already the one we have on file.")]
        return _page(**{form_key: form}, status=400)
    case = db.session.scalar(current_user.cases().limit(1)) or abort(403)
    attempt = secrets.token_urlsafe(24)
    try:
        codes.send_code(case.id, attempt, channel, email=value if channel == "email" else None,
                        phone=value if channel == "sms" else None, language=debtor.language, purpose="contact")
    except codes.SendRefused as exc:
        db.session.rollback()
        getattr(form, field).errors = [_("Please wait %(seconds)d seconds before asking for another code.",
                                         seconds=exc.wait_seconds)]
        return _page(**{form_key: form}, status=429)
    db.session.commit()
    session[PENDING] = {"field": field, "value": value, "case_id": case.id, "attempt": attempt}
    return redirect(url_for("contact.confirm"), code=303)


@bp.post("/contact/email")
@debtor_required
def new_email():
    """Start changing the e-mail address: a code goes to the new one."""
    _full_only()
    form = EmailForm()
    if not form.validate():
        return _page(email_form=form, status=400)
    return _send("email", "email", form.email.data.strip(), form, "email_form")


@bp.post("/contact/phone")
@debtor_required
def new_phone():
    """Start changing the mobile number: a code goes to the new one by SMS."""
    _full_only()
    form = PhoneForm()
    if not form.validate():
        return _page(phone_form=form, status=400)
    return _send("sms", "phone", form.phone.data, form, "phone_form")


def _confirm_page(form: CodeForm, pending: dict, status: int = 200):
    """The code form, saying where the code went."""
    value = pending["value"]
    shown = codes.mask_email(value) if pending["field"] == "email" else codes.mask_phone(value)
    return render_template("contact/confirm.html", form=form, field=pending["field"], shown=shown), status


@bp.get("/contact/confirm")
@debtor_required
def confirm():
    """Ask for the code sent to the new e-mail or phone."""
    _full_only()
    pending = session.get(PENDING) or abort(404)
    return _confirm_page(CodeForm(formdata=None), pending)


@bp.post("/contact/confirm")
@debtor_required
def check():
    """Apply the change when the code is right; a wrong one costs a try."""
    _full_only()
    pending = session.get(PENDING) or abort(404)
    form = CodeForm()
    if not form.validate():
        return _confirm_page(form, pending, 400)
    result = codes.check_code(pending["case_id"], pending["attempt"], form.code.data.strip())
    if result.verdict is codes.Verdict.ok:
        debtor = debtor_services.debtor_details(current_user)
        services.change(debtor, **{pending["field"]: pending["value"]})
        db.session.commit()
        session.pop(PENDING, None)
        flash(_("Thank you: your new e-mail address is saved.") if pending["field"] == "email"
              else _("Thank you: your new mobile number is saved."), "success")
        return redirect(url_for("contact.details"), code=303)
    db.session.commit()  # the spent try counts
    if result.verdict is codes.Verdict.wrong:
        form.code.errors = [_("This code is not right. You have %(count)d tries left.", count=result.tries_left)]
        return _confirm_page(form, pending, 400)
    session.pop(PENDING, None)
    flash(_("This code no longer works. Nothing was changed; please ask for a new code."), "error")
    return redirect(url_for("contact.details"), code=303)


@bp.post("/contact/address")
@debtor_required
def new_address():
    """Save the corrected postal address (no code: nothing is sent to it)."""
    _full_only()
    form = AddressForm()
    if not form.validate():
        return _page(address_form=form, status=400)
    debtor = debtor_services.debtor_details(current_user)
    changed = services.change(debtor, address={part: (getattr(form, part).data or "").strip() or None
                                               for part in services.ADDRESS_PARTS})
    db.session.commit()
    flash(_("Thank you: your address is saved.") if changed else _("This is already the address we have."),
          "success")
    return redirect(url_for("contact.details"), code=303)
