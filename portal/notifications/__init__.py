"""Notifications: e-mail and SMS queued on the database session and sent after it commits.

    from portal.notifications import queue_email, queue_sms
    queue_email(to, subject, text, html=None)
    queue_sms(to, text)
"""

from flask import Flask

from portal.notifications.queue import queue_email, queue_sms

__all__ = ["init_app", "queue_email", "queue_sms"]


def init_app(app: Flask) -> None:
    """Build the senders from MAIL_URL / SMS_URL and hook the session's commit and rollback."""
    from config import ConfigError
    from portal.notifications.queue import install_session_hooks
    from portal.notifications.senders import Senders, build_mailer, build_sms_sender

    try:
        senders = Senders(mail=build_mailer(app.config["MAIL_URL"]), sms=build_sms_sender(app.config["SMS_URL"]))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    app.extensions["portal_senders"] = senders
    install_session_hooks()
