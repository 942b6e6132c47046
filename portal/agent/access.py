"""Who may open the back office: signed-in, active staff, some pages supervisors only."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.agent.models import STAFF_ID_PREFIX, Staff, StaffRole
from portal.extensions import db


def load_staff(user_id: str) -> Staff | None:
    """The Flask-Login user loader's half for staff ids ("staff:<id>"): active accounts only."""
    raw = user_id.removeprefix(STAFF_ID_PREFIX)
    if not raw.isdigit():
        return None
    staff = db.session.get(Staff, int(raw))
    return staff if staff is not None and staff.active else None


def current_staff() -> Staff | None:
    """The signed-in staff member, or None (anonymous or a debtor)."""
    user = current_user._get_current_object() if current_user else None
    return user if isinstance(user, Staff) else None


def staff_required(role: StaffRole | None = None):
    """Decorator: anonymous visitors go to the staff sign-in; debtors, and agents on a
    supervisor page, get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                flash(_("Please sign in to the back office."), "info")
                return redirect(url_for("agent.sign_in"))
            staff = current_staff()
            if staff is None:
                abort(403)
            if role is not None and staff.role != role:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # lets tests walk the url_map and find supervisor pages
        return wrapped

    return decorator
