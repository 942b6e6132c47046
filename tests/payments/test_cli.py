"""`flask payments reconcile`: what the webhooks missed is applied from Stripe, once."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest
from sqlalchemy import select

from portal.cases.models import CaseEntry
from portal.extensions import db
from portal.payments.cli import parse_since
from portal.payments.models import PaymentState
from portal.stripe_emulator.testing import TEST_API_KEY

API = {"Authorization": f"Bearer {TEST_API_KEY}"}


@pytest.fixture
def endpoint_down(emulator, monkeypatch):
    """The portal's webhook endpoint is unreachable: every delivery fails."""
    monkeypatch.setattr(emulator.webhooks, "transport", lambda url, body, headers: 503)


def _entries(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.kind.value, e.amount_minor) for e in db.session.scalars(select(CaseEntry).order_by(CaseEntry.sequence))]


def test_reconcile_applies_payments_refunds_and_expiries_the_webhooks_missed(
        app, runner, debtor, emulator, stripe_page, endpoint_down):
    debtor.has_case()
    debtor.pay_on_stripe(debtor.checkout("part", "40"))
    emulator.deliver()
    assert [p.state for p in debtor.payments()] == [PaymentState.open]  # the webhook was missed
    # The debtor chooses again: the portal closes the old page first, finds it paid and says so.
    assert debtor.choose("part", "20").location == f"/payments/{debtor.payments()[0].id}"
    assert [p.state for p in debtor.payments()] == [PaymentState.succeeded]
    intent_id = emulator.store.all("payment_intent")[0]["id"]
    stripe_page.post("/v1/refunds", data={"payment_intent": intent_id, "amount": 1000}, headers=API)
    second = debtor.checkout("part", "20")
    stripe_page.post(f"/v1/checkout/sessions/{second}/expire", headers=API)
    emulator.deliver()
    assert [p.state for p in debtor.payments()] == [PaymentState.succeeded, PaymentState.open]

    result = runner.invoke(args=["payments", "reconcile", "--since", "1d"])
    assert result.exit_code == 0, result.output
    assert "checked 2 checkout sessions, updated 1 payments, applied 4 missed events" in result.output  # the expiry; the refund by its events
    assert [p.state for p in debtor.payments()] == [PaymentState.partially_refunded, PaymentState.expired]
    assert _entries(app) == [("payment", 4000), ("refund", 1000)]

    again = runner.invoke(args=["payments", "reconcile", "--since", "1d"])
    assert "updated 0 payments, applied 0 missed events" in again.output
    assert _entries(app) == [("payment", 4000), ("refund", 1000)]


def test_reconcile_says_when_stripe_cannot_be_read(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1 and "Stripe could not be read" in result.output


def test_since_accepts_days_hours_dates_and_refuses_nonsense():
    assert parse_since("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert (datetime.now(UTC) - parse_since("12h")).total_seconds() == pytest.approx(12 * 3600, abs=5)
    with pytest.raises(click.BadParameter, match="use 3d, 12h"):
        parse_since("last week")
