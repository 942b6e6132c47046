"""Benchmark instalment collection: due instalments charged by `flask plans collect` against the Stripe emulator alone.

    .venv/bin/python bench/collect.py --instalments 1000 [--postgres postgresql://portal@127.0.0.1:54329/db]

Portal: N active plans (one case each, bulk-inserted), each with one instalment due
today on a saved card, charged by `portal.plans.collect.collect(today)` (what
`flask plans collect` runs): claim, payment row and history committed, the off-session
PaymentIntent created through stripe-python on the project's Stripe emulator
(in-process, `app.extensions["stripe_http_client"]`), then the money recorded (case
entry, ledger outbox, receipt queued) and committed. Baseline: the emulator's own cost
alone, i.e. the same N off-session PaymentIntent creations (same parameters, same SDK,
same in-process client, no database). Prints both rates and the ratio.
The database given is wiped (DROP SCHEMA public).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AMOUNT = 2000  # one instalment, in cents; the case owes 119.50 EUR
POLICY = {"bands": [{"up_to_minor": None, "max_instalments": 12}], "min_instalment_minor": 1000,
          "frequencies": ["monthly"], "first_payment_within_days": 14, "missed_tolerated": 1, "retry_days": [3]}


def saved_card(stripe_client) -> tuple[str, str]:
    """A customer with a card saved for off-session use, created once on the emulator and shared by every plan."""
    customer = stripe_client.v1.customers.create({"name": "Bench Debtor", "email": "bench@example.fr"})
    method = stripe_client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    return customer.id, method.id


def seed(n: int, customer: str, method: str, today: date) -> None:
    """N cases (ORM, batched), then their active plans and due instalments inserted in bulk."""
    from sqlalchemy import insert, select

    from portal.clock import utcnow
    from portal.extensions import db
    from portal.plans import services
    from portal.plans.models import Instalment, InstalmentState, Plan, PlanState
    from portal.plans.rules import Frequency
    from tests import factories

    case_ids = []
    for i in range(n):
        case_ids.append(factories.case(f"PL-BENCH-{i:07d}", language="en", commit=False).id)
        if i % 500 == 499:
            db.session.commit()
    policy = services.save_policy(factories.creditor(), POLICY, None)
    now = utcnow()
    db.session.execute(insert(Plan), [
        {"case_id": cid, "policy_id": policy.id, "state": PlanState.active, "origin": "offer",
         "frequency": Frequency.monthly, "total_minor": AMOUNT, "currency": "EUR", "stripe_customer_id": customer,
         "stripe_payment_method_id": method, "created_at": now, "agreed_at": now} for cid in case_ids
    ])
    plans = db.session.scalars(select(Plan.id)).all()  # a fresh database: every plan is ours
    db.session.execute(insert(Instalment), [
        {"plan_id": pid, "number": 1, "due_date": today, "amount_minor": AMOUNT, "state": InstalmentState.scheduled,
         "attempts": 0} for pid in plans
    ])
    db.session.commit()


def baseline(stripe_client, n: int, customer: str, method: str) -> float:
    """PaymentIntents/s of the emulator alone: the same off-session creations the portal makes, no database."""
    start = time.perf_counter()
    for i in range(n):
        intent = stripe_client.v1.payment_intents.create(
            {"amount": AMOUNT, "currency": "eur", "customer": customer, "payment_method": method,
             "off_session": True, "confirm": True, "description": f"Acme SARL, PL-BENCH-{i:07d}, 1/1",
             "metadata": {"portal_payment_id": str(i), "case_reference": f"PL-BENCH-{i:07d}",
                          "kind": "instalment", "portal_plan_id": str(i)},
             "expand": ["latest_charge"]},
            {"idempotency_key": f"baseline-{i}"})
        if intent.status != "succeeded":
            raise SystemExit(f"baseline intent {intent.id} is {intent.status}")
    return n / (time.perf_counter() - start)


def main() -> None:
    """Seed, measure the emulator alone, then the collection run; check and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instalments", type=int, default=1000)
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to wipe and use (default: SQLite)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="collect-bench-")
    os.environ["PORTAL_ENV"] = "test"
    import stripe
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from portal import create_app
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.payments.models import Payment, PaymentState
    from portal.plans.collect import collect
    from portal.stripe_emulator.testing import EMULATOR_URL, TEST_API_KEY, TEST_WEBHOOK_SECRET, WSGIHTTPClient, make_app

    # Webhooks stay queued in the emulator (manual mode): the collection run itself records the money.
    emulator_app = make_app(WEBHOOK_TRANSPORT=lambda url, body, headers: 200)
    http_client = WSGIHTTPClient(emulator_app)
    db_url = args.postgres or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "PORTAL_VAR_DIR": tmp, "STRIPE_API_BASE": EMULATOR_URL, "STRIPE_SECRET_KEY": TEST_API_KEY,
                      "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET})
    app.extensions["stripe_http_client"] = http_client
    stripe_client = stripe.StripeClient(TEST_API_KEY, http_client=http_client, base_addresses={"api": EMULATOR_URL})
    customer, method = saved_card(stripe_client)
    n = args.instalments
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        today = utcnow().date()
        t0 = time.perf_counter()
        seed(n, customer, method, today)
        print(f"seeded {n:,} cases, plans and due instalments in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        engine = db.engine.dialect.name
        db.session.remove()
    baseline(stripe_client, 20, customer, method)  # warm-up: imports and caches, not timed
    base = baseline(stripe_client, n, customer, method)
    with app.app_context():
        start = time.perf_counter()
        report = collect(today)
        portal = len(report.charged) / (time.perf_counter() - start)
        paid = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.state == PaymentState.succeeded))
    emulator_app.extensions["stripe_emulator"].webhooks.stop()
    if len(report.charged) != n or paid != n or report.failed:
        raise SystemExit(f"expected {n} charged: charged {len(report.charged)}, failed {report.failed[:5]}, paid {paid}")
    print(f"{engine}, {n:,} due instalments charged off-session by collect(); {paid:,} payments succeeded")
    print(f"portal:   {portal:,.0f} instalments/s")
    print(f"baseline: {base:,.0f} intents/s (emulator alone)")
    print(f"ratio:    {portal / base:.0%}")


if __name__ == "__main__":
    main()
