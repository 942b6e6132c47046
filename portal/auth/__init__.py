"""How a debtor proves who they are: knowledge step, proof of possession, sessions."""

from flask import Flask, flash, g, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db, login_manager


def init_app(app: Flask) -> None:
    """Server-side sessions, Flask-Login, the sign-in blueprint and the CLI."""
    from portal.agent.access import load_staff
    from portal.agent.models import STAFF_ID_PREFIX
    from portal.auth import cli
    from portal.auth.identity import DebtorIdentity
    from portal.auth.sessions import ServerSessionInterface
    from portal.auth.views import bp
    from portal.cases.models import Debtor

    app.session_interface = ServerSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The debtor, only while they exist and have at least one case that is not closed;
        or the staff member for a "staff:<id>" id (see portal.agent.access)."""
        if user_id.startswith(STAFF_ID_PREFIX):
            return load_staff(user_id)
        identity = DebtorIdentity.from_id(user_id)
        if identity is None:
            return None
        # One query answers "may this debtor still sign in?" and loads the row the pages show
        # (their language, name and contact details): later reads find it in the session's identity map.
        debtor = db.session.scalar(select(Debtor).where(Debtor.id == identity.debtor_id, identity.cases().exists()))
        if debtor is None:
            return None
        g.debtor_language = debtor.language  # read by portal.debtor.remember_debtor_language
        identity.debtor = debtor
        return identity

    @login_manager.unauthorized_handler
    def unauthorized():
        """Pages for signed-in debtors send everyone else to the sign-in form."""
        flash(_("Please sign in to see this page."), "info")
        return redirect(url_for("auth.sign_in"))

    app.register_blueprint(bp)
    app.cli.add_command(cli.sessions)
    from portal.intake.cli import cases  # intake owns the `cases` group; we add `unlock` to it

    cases.add_command(cli.unlock)
