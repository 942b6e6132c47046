"""init_app: the senders come from configuration, and a wrong URL stops start-up."""

import pytest

from config import ConfigError
from portal import create_app
from portal.notifications.senders import FileMailer, FileSms, HttpSms, SmtpMailer


def _app(tmp_path, **overrides):
    return create_app({"PORTAL_VAR_DIR": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})


def test_senders_are_built_from_mail_url_and_sms_url(app, tmp_path):
    assert isinstance(app.extensions["portal_senders"].mail, FileMailer)
    assert isinstance(app.extensions["portal_senders"].sms, FileSms)
    other = _app(tmp_path, MAIL_URL="smtp://relay.example:587?starttls=1", SMS_URL="https://tok@sms.example/send")
    assert isinstance(other.extensions["portal_senders"].mail, SmtpMailer)
    assert isinstance(other.extensions["portal_senders"].sms, HttpSms)


def test_an_unusable_url_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="MAIL_URL"):
        _app(tmp_path, MAIL_URL="mailto:someone@example.fr")
    with pytest.raises(ConfigError, match="SMS_URL"):
        _app(tmp_path, SMS_URL="https://sms.example/send")
