"""Views of the public pages."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.i18n import best_match

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    """Signed-in debtors go to their cases, signed-in staff to the back office; everyone else to the sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("agent.home" if current_user.is_staff else "debtor.cases"))
    return redirect(url_for("auth.sign_in"))


@bp.get("/genuine")
def genuine():
    """How to recognise a real reminder, and what the portal never asks for."""
    return render_template("pages/genuine.html")


@bp.post("/language")
def set_language():
    """Remember the chosen language in the session and go back where the debtor was."""
    code = best_match(request.form.get("language"))
    if code is None:
        abort(400)
    session["locale"] = code
    return redirect(_safe_next(request.form.get("next")), code=303)


def _safe_next(target: str | None) -> str:
    """Only a path on this site; never an absolute or scheme-relative URL."""
    if not target:
        return url_for("pages.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.home")
    return target.rstrip("?") or url_for("pages.home")
