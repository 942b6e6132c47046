"""Benchmark Stripe webhooks: signed events through the real POST /stripe/webhook against an endpoint that only verifies.

    .venv/bin/python bench/webhooks.py --events 2000 [--postgres postgresql://portal@127.0.0.1:54329/db]

Portal: one `checkout.session.completed` event per pre-created open payment (each a
distinct payment on its own case), signed as Stripe signs them and posted to the
portal's real view through the Flask test client (in-process, no sockets). The view
verifies the signature, records the event id, re-reads the PaymentIntent from the
project's Stripe emulator (in-process through `app.extensions["stripe_http_client"]`),
moves the payment to succeeded, writes the case entry, the ledger outbox events
(payment.succeeded, case.settled) and queues the receipt, and commits.
Baseline: a bare Flask app whose route only verifies the same signature with the same
SDK call (`stripe.Webhook.construct_event`) and answers 200, posted the same events the
same way. Prints both rates and the ratio. The database given is wiped (DROP SCHEMA public).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AMOUNT = 11950  # what a factories.case() debtor owes, in cents: the payment pays the case in full


def baseline_app(secret: str):
    """A Flask app whose webhook only verifies the signature, as the portal's view does first."""
    import stripe
    from flask import Flask, request

    app = Flask("bench-webhook-baseline")

    @app.post("/stripe/webhook")
    def webhook():
        """Verify and acknowledge."""
        try:
            stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), secret).to_dict()
        except (stripe.SignatureVerificationError, ValueError):
            return {"error": "invalid signature"}, 400
        return {"received": True}, 200

    return app


def seed(n: int, stripe_client) -> list[bytes]:
    """N cases, each with an open payment and a succeeded PaymentIntent on the emulator; the event bodies."""
    from portal.extensions import db
    from portal.payments.models import Payment, PaymentKind, PaymentState
    from tests import factories

    bodies = []
    for i in range(n):
        case = factories.case(f"WH-BENCH-{i:07d}", language="en", commit=False)
        payment = Payment(case_id=case.id, kind=PaymentKind.full, state=PaymentState.open, amount_minor=AMOUNT,
                          currency="EUR", idempotency_key=f"bench-{i}", checkout_session_id=f"cs_bench_{i:07d}")
        db.session.add(payment)
        db.session.flush()
        intent = stripe_client.v1.payment_intents.create({
            "amount": AMOUNT, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True,
            "return_url": "https://portal.test/return", "metadata": {"portal_payment_id": str(payment.id)},
        })
        assert intent.status == "succeeded", intent.status
        session = {"id": payment.checkout_session_id, "object": "checkout.session", "mode": "payment",
                   "status": "complete", "payment_status": "paid", "payment_intent": intent.id,
                   "amount_total": AMOUNT, "currency": "eur", "metadata": {"portal_payment_id": str(payment.id)}}
        event = {"id": f"evt_bench_{i:07d}", "object": "event", "type": "checkout.session.completed",
                 "created": int(time.time()), "livemode": False, "data": {"object": session}}
        bodies.append(json.dumps(event).encode())
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
    return bodies


def post_all(client, bodies: list[bytes], secret: str) -> float:
    """Events/s of posting every body, freshly signed, one after the other; each must get 200."""
    from portal.stripe_emulator.webhooks import sign

    start = time.perf_counter()
    for body in bodies:
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body, secret, int(time.time()))}
        response = client.post("/stripe/webhook", data=body, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return len(bodies) / (time.perf_counter() - start)


def main() -> None:
    """Seed, measure the baseline and the portal, check what was recorded, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to wipe and use (default: SQLite)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="webhook-bench-")
    os.environ["PORTAL_ENV"] = "test"
    import stripe
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from portal import create_app
    from portal.extensions import db
    from portal.ledger.models import LedgerEvent
    from portal.payments.models import Payment, PaymentState, StripeEvent
    from portal.stripe_emulator.testing import (
        EMULATOR_URL, TEST_API_KEY, TEST_WEBHOOK_SECRET, WSGIHTTPClient, make_app,
    )

    emulator_app = make_app(WEBHOOK_TRANSPORT=lambda url, body, headers: 200)
    http_client = WSGIHTTPClient(emulator_app)
    db_url = args.postgres or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "PORTAL_VAR_DIR": tmp, "STRIPE_API_BASE": EMULATOR_URL, "STRIPE_SECRET_KEY": TEST_API_KEY,
                      "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET})
    app.extensions["stripe_http_client"] = http_client
    stripe_client = stripe.StripeClient(TEST_API_KEY, http_client=http_client, base_addresses={"api": EMULATOR_URL})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        t0 = time.perf_counter()
        bodies = seed(args.events, stripe_client)
        print(f"seeded {args.events:,} cases, payments and intents in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        db.session.remove()
    warm = len(bodies) // 20 or 1  # the first events pay for imports and caches: not timed, on either side
    base_client = baseline_app(TEST_WEBHOOK_SECRET).test_client()
    post_all(base_client, bodies[:warm], TEST_WEBHOOK_SECRET)
    base = post_all(base_client, bodies[warm:], TEST_WEBHOOK_SECRET)
    portal_client = app.test_client()
    post_all(portal_client, bodies[:warm], TEST_WEBHOOK_SECRET)
    portal = post_all(portal_client, bodies[warm:], TEST_WEBHOOK_SECRET)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(StripeEvent))
        paid = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.state == PaymentState.succeeded))
        outbox = db.session.scalar(select(func.count()).select_from(LedgerEvent))
        engine = db.engine.dialect.name
    if not (events == paid == len(bodies)) or outbox < 2 * len(bodies):
        raise SystemExit(f"not all recorded: {events} events, {paid} payments succeeded, {outbox} outbox events")
    emulator_app.extensions["stripe_emulator"].webhooks.stop()
    n = len(bodies) - warm
    print(f"{engine}, {n:,} checkout.session.completed events timed (+{warm} warm-up); "
          f"{paid:,} payments succeeded, {outbox:,} outbox events")
    print(f"portal:   {portal:,.0f} events/s")
    print(f"baseline: {base:,.0f} events/s")
    print(f"ratio:    {portal / base:.0%}  (target >= 40%)")


if __name__ == "__main__":
    main()
