"""Emulator-only controls for tests and testers: settle SEPA, open/close disputes, flush webhooks, reset.

Every POST accepts JSON or a form; JSON callers get JSON, HTML forms are sent back to the dashboard.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request

from portal.stripe_emulator import charges, payment_intents
from portal.stripe_emulator.api import current_emulator
from portal.stripe_emulator.currencies import display
from portal.stripe_emulator.errors import StripeError, invalid

bp = Blueprint("stripe_emulator_control", __name__, url_prefix="/_emulator")


def _args() -> dict:
    """The request's parameters, from JSON or a form."""
    return request.get_json(silent=True) or request.form.to_dict()


def _answer(payload):
    """JSON for programs, a redirect to the dashboard for HTML forms."""
    current_emulator().after_action()
    if request.is_json:
        return jsonify(payload)
    return redirect("/_emulator/", code=303)


@bp.errorhandler(StripeError)
def _error(error: StripeError):
    """Control errors use Stripe's error shape too."""
    return jsonify(error.body()), error.status


@bp.get("/")
def dashboard():
    """One page to settle debits, open and close disputes, and watch webhooks."""
    emu = current_emulator()
    store = emu.store
    with store.lock:
        deliveries = emu.webhooks.deliveries
        return render_template(
            "stripe_emulator/dashboard.html",
            processing=store.all("payment_intent", lambda pi: pi["status"] == "processing"),
            charges=store.all("charge", lambda ch: ch["status"] == "succeeded" and not ch["disputed"]),
            disputes=store.all("dispute", lambda dp: dp["status"] not in ("won", "lost")),
            events=store.all("event")[:30],
            webhooks=emu.webhooks,
            delivered=sum(d.state == "delivered" for d in deliveries),
            failed=sum(d.state == "failed" for d in deliveries),
            display=display,
        )


@bp.post("/reset")
def reset():
    """Forget every object, event and queued webhook."""
    current_emulator().reset()
    return _answer({"reset": True})


@bp.post("/deliver")
def deliver():
    """Attempt every pending webhook now, due or not."""
    attempted = current_emulator().deliver(force=True)
    return _answer({"attempted": [_delivery(d) for d in attempted]})


@bp.get("/webhooks")
def webhooks_state():
    """Switches and every delivery so far."""
    hooks = current_emulator().webhooks
    with hooks.store.lock:
        return jsonify({"mode": hooks.mode, "switches": hooks.switches, "endpoints": [e["url"] for e in hooks.endpoints],
                        "deliveries": [_delivery(d) for d in hooks.deliveries]})


@bp.post("/webhooks")
def webhooks_configure():
    """Set duplicate / reorder / delay switches, or add an endpoint {url, secret}."""
    hooks = current_emulator().webhooks
    args = _args()
    with hooks.store.lock:
        if request.is_json:
            for key in ("duplicate", "reorder"):
                if key in args:
                    hooks.switches[key] = bool(args[key])
        else:  # an unticked checkbox is simply absent from a form
            hooks.switches["duplicate"] = args.get("duplicate") == "true"
            hooks.switches["reorder"] = args.get("reorder") == "true"
        if "delay" in args:
            try:
                hooks.switches["delay"] = max(0.0, float(args["delay"]))
            except (TypeError, ValueError):
                raise invalid(f"delay must be a number of seconds, not {args['delay']!r}", param="delay") from None
        if args.get("url"):
            if not str(args.get("secret", "")).startswith("whsec_"):
                raise invalid("secret must start with whsec_", param="secret")
            hooks.endpoints.append({"url": args["url"], "secret": args["secret"]})
        state = {"switches": dict(hooks.switches), "endpoints": [e["url"] for e in hooks.endpoints]}
    return _answer(state)


@bp.post("/sepa")
def sepa():
    """Settle a processing SEPA debit: outcome succeeded or failed."""
    emu = current_emulator()
    args = _args()
    with emu.store.lock:
        pi = payment_intents.settle_sepa(emu, str(args.get("payment_intent", "")), str(args.get("outcome", "")))
        return _answer(emu.store.public(pi))


@bp.post("/disputes")
def open_dispute():
    """Open a dispute on a charge (or a PaymentIntent's latest charge)."""
    emu = current_emulator()
    args = _args()
    with emu.store.lock:
        charge = charges.find_charge(emu, str(args.get("charge") or args.get("payment_intent") or ""))
        amount = int(args["amount"]) if args.get("amount") else None
        dispute = charges.open_dispute(emu, charge["id"], args.get("reason") or "fraudulent", amount)
        return _answer(emu.store.public(dispute))


@bp.post("/disputes/<dispute_id>/close")
def close_dispute(dispute_id: str):
    """Close a dispute as won or lost."""
    emu = current_emulator()
    with emu.store.lock:
        dispute = charges.close_dispute(emu, dispute_id, str(_args().get("outcome", "")))
        return _answer(emu.store.public(dispute))


def _delivery(d) -> dict:
    """A delivery as JSON."""
    return {"event": d.event_id, "url": d.url, "state": d.state, "attempts": d.attempts, "statuses": list(d.statuses)}
