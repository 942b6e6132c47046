"""queue_email / queue_sms: nothing leaves before commit, nothing at all after a rollback."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from portal.creditors.models import Creditor
from portal.extensions import db
from portal.notifications import queue_email, queue_sms
from portal.notifications.senders import FileSms, Senders, build_mailer
from tests import factories


def _files(directory):
    return sorted(directory.iterdir()) if directory.exists() else []


def test_email_and_sms_are_sent_only_when_the_transaction_commits(ctx, file_senders):
    mail_dir, sms_dir = file_senders
    factories.creditor()
    queue_email("marie@example.fr", "Votre code", "Votre code est 482913.")
    queue_sms("+33612345678", "Votre code est 482913.")
    db.session.flush()
    assert _files(mail_dir) == [] and _files(sms_dir) == []

    db.session.commit()

    (eml,) = _files(mail_dir)
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "marie@example.fr" and message["Subject"] == "Votre code"
    assert len(_files(sms_dir)) == 1
    # The queue is spent: a second commit sends nothing again.
    db.session.commit()
    assert len(_files(mail_dir)) == 1 and len(_files(sms_dir)) == 1


def test_a_rollback_drops_the_messages_and_the_data(ctx, file_senders):
    mail_dir, sms_dir = file_senders
    factories.creditor()
    queue_email("marie@example.fr", "Votre code", "Votre code est 482913.")
    queue_sms("+33612345678", "Votre code est 482913.")
    db.session.rollback()
    db.session.commit()

    assert _files(mail_dir) == [] and _files(sms_dir) == []
    assert db.session.scalar(select(Creditor)) is None


def test_a_rollback_before_any_query_still_drops_the_messages(ctx, file_senders):
    mail_dir, _ = file_senders
    queue_email("marie@example.fr", "Votre code", "x")
    db.session.rollback()
    db.session.commit()
    assert _files(mail_dir) == []


def test_a_rolled_back_savepoint_drops_only_its_own_messages(ctx, file_senders):
    _, sms_dir = file_senders
    factories.creditor()
    queue_sms("+33612345678", "kept")
    savepoint = db.session.begin_nested()
    queue_sms("+33612345679", "dropped")
    savepoint.rollback()
    db.session.commit()

    texts = [f.read_text("utf-8") for f in _files(sms_dir)]
    assert len(texts) == 1 and '"kept"' in texts[0]


def test_messages_queued_in_a_request_leave_after_its_commit(app, file_senders):
    mail_dir, _ = file_senders
    with app.test_request_context("/"):
        queue_email("marie@example.fr", "Bonjour", "Texte")
        assert _files(mail_dir) == []
        db.session.commit()
        assert len(_files(mail_dir)) == 1
        db.session.remove()


def test_bad_input_fails_at_once_in_the_caller(ctx, file_senders):
    with pytest.raises(ValueError, match="^to:"):
        queue_email("two@example.fr, people@example.fr", "s", "t")
    with pytest.raises(ValueError, match="^to:"):
        queue_sms("06 12 34 56 78", "t")


def test_a_refusing_mail_server_is_logged_without_the_body_and_the_commit_stands(
    app, ctx, smtp_server, tmp_path, monkeypatch, caplog
):
    inbox, port = smtp_server
    inbox.refuse = True
    monkeypatch.setitem(app.extensions, "portal_senders",
                        Senders(build_mailer(f"smtp://127.0.0.1:{port}"), FileSms(str(tmp_path / "sms"))))
    factories.creditor()
    queue_email("marie.dupont@example.fr", "Votre code", "Votre code est 482913.")

    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        db.session.commit()

    assert inbox.messages == []
    assert "example.fr" in caplog.text and "SMTPDataError 554" in caplog.text
    assert "482913" not in caplog.text and "marie.dupont" not in caplog.text and "Votre code" not in caplog.text
    db.session.remove()
    assert db.session.scalar(select(Creditor)) is not None  # the data committed all the same


def test_an_unreachable_sms_gateway_is_logged_without_the_number(app, ctx, tmp_path, monkeypatch, caplog):
    from portal.notifications.senders import FileMailer, build_sms_sender
    from tests.notifications.conftest import free_port

    sms = build_sms_sender(f"http://token@127.0.0.1:{free_port()}/sms")
    monkeypatch.setitem(app.extensions, "portal_senders", Senders(FileMailer(str(tmp_path / "mail")), sms))
    queue_sms("+33612345678", "Votre code est 482913.")
    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        db.session.commit()
    assert "SMS not sent to +33…" in caplog.text
    assert "12345678" not in caplog.text and "482913" not in caplog.text and "token" not in caplog.text


def test_a_broken_sender_never_turns_a_successful_commit_into_an_error(app, ctx, monkeypatch, caplog):
    class Broken:
        def send(self, _message):
            raise OSError("disk full")

    monkeypatch.setitem(app.extensions, "portal_senders", Senders(Broken(), Broken()))
    factories.creditor()
    queue_email("marie@example.fr", "Votre code", "Votre code est 482913.")
    queue_sms("+33612345678", "Votre code est 482913.")
    with caplog.at_level(logging.WARNING, logger="portal.notifications"):
        db.session.commit()
    assert "e-mail not sent to example.fr: OSError" in caplog.text
    assert "SMS not sent to +33…: OSError" in caplog.text
    assert "482913" not in caplog.text
    db.session.remove()
    assert db.session.scalar(select(Creditor)) is not None
