"""Every template is extracted, and the plain-text messages reach the debtor in their own language."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from babel.messages.frontend import parse_mapping_cfg
from babel.util import pathmatch
from flask import render_template

from portal.auth import codes
from portal.i18n import catalogues
from portal.money import Money
from tests import factories

TEMPLATES = catalogues.ROOT / "portal" / "templates"


def _jinja_patterns() -> list[str]:
    """The path patterns babel.cfg hands to the Jinja extractor."""
    with open(catalogues.MAPPING, encoding="utf-8") as fh:
        methods, _options = parse_mapping_cfg(fh)
    return [pattern for pattern, method in methods if method == "jinja2"]


def test_every_template_is_extracted():
    patterns = _jinja_patterns()
    templates = [p for p in TEMPLATES.rglob("*") if p.is_file()]
    assert any(p.suffix == ".txt" for p in templates)  # the plain-text mail and SMS
    missed = [
        str(p.relative_to(catalogues.ROOT)) for p in templates
        if not any(pathmatch(pattern, p.relative_to(catalogues.ROOT).as_posix()) for pattern in patterns)
    ]
    assert missed == [], "add their extension to babel.cfg"


def test_plain_text_templates_strings_are_in_the_template_catalogue(tmp_path):
    found = {location for message in catalogues.extract(tmp_path / "messages.pot") for location, _ in message.locations}
    assert {"portal/templates/mail/sign_in_code.txt", "portal/templates/mail/sign_in_code_sms.txt"} <= found


@pytest.fixture
def sent(monkeypatch):
    """The e-mails and SMS that sign-in queues, as (destination, text) pairs."""
    queued = []
    monkeypatch.setattr(codes, "queue_email", lambda to, subject, text: queued.append((to, f"{subject}\n{text}")))
    monkeypatch.setattr(codes, "queue_sms", lambda to, text: queued.append((to, text)))
    return queued


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_the_code_speaks_the_debtors_language_not_the_browsers(app, ctx, sent, channel):
    case = factories.case(language="fr-BE")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        codes.send_code(case.id, "attempt", channel, "marie@example.fr", "+33612345678", case.debtor.language)
    [(_to, text)] = sent
    assert f"Il est valable {codes.CODE_MINUTES} minutes." in text and "It works" not in text


def test_the_code_speaks_english_to_an_english_debtor(app, ctx, sent):
    case = factories.case(language="en")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        codes.send_code(case.id, "attempt", "email", "marie@example.fr", None, case.debtor.language)
    [(_to, text)] = sent
    assert "Your code to sign in to the payment portal is:" in text and "Il est valable" not in text


def test_plain_text_mail_is_not_html_escaped(app, ctx):
    creditor = SimpleNamespace(name="Dupont & Fils <Recouvrement>")
    payment = SimpleNamespace(
        amount=Money(1000, "EUR"), succeeded_at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC), reference="PAY-1", discount_minor=0,
        case=SimpleNamespace(reference="AK-1", creditor=creditor),
    )
    with app.test_request_context():
        text = render_template("mail/receipt.txt", payment=payment, remaining=None, method="Card")
    assert "Creditor: Dupont & Fils <Recouvrement>" in text and "&amp;" not in text
