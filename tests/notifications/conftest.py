"""Fixtures for the notification tests: a real SMTP server and swappable senders."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from portal.notifications.senders import FileMailer, FileSms, Senders


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses it when told to."""

    def __init__(self) -> None:
        self.messages = []
        self.envelopes = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        """Store the message, or answer with a permanent failure."""
        if self.refuse:
            return "554 5.6.0 Message refused: Votre code est 482913"
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 for the length of one test; yields (inbox, port)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def file_senders(app, tmp_path, monkeypatch):
    """Point the app's senders at this test's own directories; yields (mail_dir, sms_dir)."""
    mail_dir, sms_dir = tmp_path / "mail", tmp_path / "sms"
    monkeypatch.setitem(app.extensions, "portal_senders", Senders(FileMailer(str(mail_dir)), FileSms(str(sms_dir))))
    return mail_dir, sms_dir
