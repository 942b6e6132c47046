"""The senders on their own: SMTP against a real server, files, an HTTP SMS gateway."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from portal.notifications.messages import build_email, build_sms
from portal.notifications.senders import (
    DeliveryError,
    FileMailer,
    FileSms,
    HttpSms,
    SmtpMailer,
    build_mailer,
    build_sms_sender,
)
from tests.notifications.conftest import Inbox, free_port

SENDER = "Cabinet Recouvrement <no-reply@agence.example>"


def _email(**kw):
    args = {"to": "marie@example.fr", "subject": "Votre dossier AK-1 — échéance",
            "text": "Bonjour Marie,\nvotre code est 123456.\nÀ bientôt — €", "html": None}
    args.update(kw)
    return build_email(SENDER, **args)


def test_smtp_delivers_utf8_subject_and_body_intact(smtp_server):
    inbox, port = smtp_server
    build_mailer(f"smtp://127.0.0.1:{port}").send([_email(html="<p>Bonjour Marie, <b>123456</b> €</p>")])

    assert len(inbox.messages) == 1
    received = inbox.messages[0]
    assert received["Subject"] == "Votre dossier AK-1 — échéance"
    assert received["To"] == "marie@example.fr"
    assert received["Date"] and received["Message-ID"].endswith("@agence.example>")
    assert inbox.envelopes[0].mail_from == "no-reply@agence.example"
    assert inbox.envelopes[0].rcpt_tos == ["marie@example.fr"]
    plain = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == "Bonjour Marie,\nvotre code est 123456.\nÀ bientôt — €\n"
    assert "<b>123456</b> €" in received.get_body(("html",)).get_content()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_logs_in_with_the_credentials_in_the_url():
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss word")

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        build_mailer(f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}").send([_email()])
    finally:
        controller.stop()
    assert seen == [(b"mailer", b"p@ss word")]
    assert len(inbox.messages) == 1


def test_smtp_url_options_are_parsed():
    plain = build_mailer("smtp://relay.example:2525?starttls=1")
    tls = build_mailer("smtps://u:p@relay.example")
    assert isinstance(plain, SmtpMailer) and (plain.host, plain.port, plain.starttls, plain.implicit_tls) == (
        "relay.example", 2525, True, False)
    assert (tls.port, tls.implicit_tls, tls.starttls, tls.username, tls.password) == (465, True, False, "u", "p")


@pytest.mark.parametrize("url", ["gopher://x", "smtp://", "file://host/dir", "file://"])
def test_unusable_mail_urls_are_refused(url):
    with pytest.raises(ValueError, match="MAIL_URL|file URLs"):
        build_mailer(url)


def test_file_mailer_writes_one_rfc5322_file_per_message_sorted_by_time(tmp_path):
    mailer = build_mailer(f"file://{tmp_path}/out")
    assert isinstance(mailer, FileMailer)
    mailer.send([_email(subject="premier"), _email(subject="deuxième")])
    mailer.send([_email(subject="troisième")])

    files = sorted((tmp_path / "out").iterdir())
    assert [f.suffix for f in files] == [".eml"] * 3
    subjects = [message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files]
    assert subjects == ["premier", "deuxième", "troisième"]
    assert b"\r\n" in files[0].read_bytes()  # RFC 5322 line endings


def test_file_sms_writes_json(tmp_path):
    sender = build_sms_sender(f"file://{tmp_path}")
    assert isinstance(sender, FileSms)
    sender.send(build_sms("+33612345678", "Votre code : 482913 €"))
    (file,) = tmp_path.iterdir()
    body = json.loads(file.read_text("utf-8"))
    assert (body["to"], body["text"]) == ("+33612345678", "Votre code : 482913 €")
    assert body["id"] and body["created_at"]


class _Gateway(BaseHTTPRequestHandler):
    """A stand-in SMS provider that records requests and answers with `status`."""

    received: list = []
    status = 202

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append((self.path, dict(self.headers), json.loads(self.rfile.read(length))))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        """Keep the test output quiet."""


@pytest.fixture
def gateway():
    _Gateway.received = []
    _Gateway.status = 202
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_sms_posts_the_documented_payload(gateway):
    sender = build_sms_sender(f"http://s3cr3t-token@127.0.0.1:{gateway}/v1/sms")
    assert isinstance(sender, HttpSms)
    sms = build_sms("+33612345678", "Code : 482913")
    sender.send(sms)

    ((path, headers, body),) = _Gateway.received
    assert path == "/v1/sms"
    assert headers["Authorization"] == "Bearer s3cr3t-token"
    assert headers["Idempotency-Key"] == sms.message_id
    assert body == {"id": sms.message_id, "to": "+33612345678", "text": "Code : 482913"}


def test_http_sms_raises_when_the_gateway_refuses(gateway):
    _Gateway.status = 500
    with pytest.raises(DeliveryError) as info:
        build_sms_sender(f"http://t@127.0.0.1:{gateway}/sms").send(build_sms("+33612345678", "x"))
    assert info.value.code == 500


@pytest.mark.parametrize("url", ["http://t@gateway.example/sms", "https://gateway.example/sms", "ftp://t@x/"])
def test_unsafe_or_incomplete_sms_urls_are_refused(url):
    with pytest.raises(ValueError, match="SMS_URL"):
        build_sms_sender(url)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"to": "a@example.fr, b@example.fr"}, "to"),
        ({"to": "not-an-address"}, "to"),
        ({"to": "a@example.fr\r\nBcc: c@example.fr"}, "to"),
        ({"subject": "line\r\nBcc: c@example.fr"}, "subject"),
        ({"text": ""}, "text"),
    ],
)
def test_bad_email_input_names_the_field(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        _email(**kw)


@pytest.mark.parametrize("to", ["0612345678", "+0612345678", "+33 6 12 34 56 78", "+3361234567890123"])
def test_bad_phone_numbers_are_refused(to):
    with pytest.raises(ValueError, match="^to:"):
        build_sms(to, "x")
