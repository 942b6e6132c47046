"""The signed-in debtor's pages: their cases and "what you owe" for each one."""

from flask import Flask, g, request
from flask_login import current_user

from portal.extensions import db


def init_app(app: Flask) -> None:
    """Register the blueprint and the hook that makes the debtor's language the default."""
    from portal.debtor.views import bp

    app.register_blueprint(bp)
    app.before_request(remember_debtor_language)


def remember_debtor_language() -> None:
    """Set `g.debtor_language` for `portal.i18n.select_locale` (after the switcher's choice)."""
    from portal.cases.models import Debtor

    if request.endpoint == "static" or not current_user.is_authenticated or current_user.is_staff:
        return
    if "debtor_language" not in g:  # the user loader usually read it already, in the same query
        g.debtor_language = db.session.scalar(
            db.select(Debtor.language).where(Debtor.id == current_user.debtor_id)
        )
