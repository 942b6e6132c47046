"""GET /l/<token>: the address printed in a reminder. It shows nothing by itself."""

from flask import Blueprint, redirect, session, url_for

bp = Blueprint("links", __name__)


@bp.get("/l/<path:token>")
def follow(token: str):
    """Keep the token in the session and send the debtor to a token-free sign-in URL.

    Every token gets the same answer: the sign-in step validates it only after the
    debtor has given the verification factor, so this URL reveals nothing.
    """
    session["link_token"] = token[:256]
    return redirect(url_for("auth.sign_in"), code=303)
