"""Charges (as far as refunds and disputes need them), Refunds and Disputes."""

from __future__ import annotations

from portal.stripe_emulator.currencies import display
from portal.stripe_emulator.emulator import Emulator
from portal.stripe_emulator.errors import StripeError, invalid


def new_charge(emu: Emulator, pi: dict, pm: dict, status: str, decline: tuple[str, str, str] | None = None) -> dict:
    """A charge for one payment attempt; `decline` is (code, decline_code, message) when it failed."""
    details = {"type": pm["type"], pm["type"]: _method_details(pm)}
    charge = emu.store.create(
        "ch",
        "charge",
        amount=pi["amount"],
        amount_captured=pi["amount"] if status == "succeeded" else 0,
        amount_refunded=0,
        balance_transaction=None,
        billing_details=pm["billing_details"],
        captured=status == "succeeded",
        currency=pi["currency"],
        customer=pi["customer"],
        description=pi.get("description"),
        disputed=False,
        failure_code=decline[0] if decline else None,
        failure_message=decline[2] if decline else None,
        metadata=dict(pi["metadata"]),
        outcome=_outcome(status, decline),
        paid=status == "succeeded",
        payment_intent=pi["id"],
        payment_method=pm["id"],
        payment_method_details=details,
        receipt_email=pi.get("receipt_email"),
        refunded=False,
        status=status,
    )
    emu.emit({"succeeded": "charge.succeeded", "pending": "charge.pending", "failed": "charge.failed"}[status], charge)
    return charge


def _method_details(pm: dict) -> dict:
    """payment_method_details.card / .sepa_debit of a charge."""
    if pm["type"] == "card":
        card = pm["card"]
        return {k: card[k] for k in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding", "last4")} | {
            "network": card["brand"],
            "three_d_secure": None,
        }
    return {k: pm["sepa_debit"][k] for k in ("bank_code", "country", "fingerprint", "last4")} | {"mandate": None}


def _outcome(status: str, decline: tuple[str, str, str] | None) -> dict:
    """The charge's outcome block."""
    if status == "failed" and decline:
        return {"network_status": "declined_by_network", "reason": decline[1], "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.", "type": "issuer_declined"}
    return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized"}


def create_refund(emu: Emulator, p: dict) -> dict:
    """POST /v1/refunds: refund all or part of a succeeded charge, never more than what is left."""
    store = emu.store
    if p.get("payment_intent"):
        pi = store.get(p["payment_intent"], "payment_intent", "payment_intent", "payment_intent")
        if not pi.get("latest_charge") or pi["status"] != "succeeded":
            raise invalid(f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                          param="payment_intent", code="charge_not_refundable" if pi["status"] == "processing" else None)
        charge = store.get(pi["latest_charge"], "charge")
    elif p.get("charge"):
        charge = store.get(p["charge"], "charge", param="charge")
    else:
        raise invalid("One of the following params should be provided for this request: payment_intent or charge.")
    if charge["status"] != "succeeded":
        raise invalid(f"Charge {charge['id']} has a status of {charge['status']} and cannot be refunded.",
                      param="charge", code="charge_not_refundable")
    if charge["disputed"]:
        raise invalid(f"Charge {charge['id']} has been charged back; cannot issue a refund.", code="charge_disputed")
    left = charge["amount"] - charge["amount_refunded"]
    if left <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = p.get("amount", left)
    if amount <= 0:
        raise invalid("Invalid positive integer", param="amount", code="parameter_invalid_integer")
    if amount > left:
        raise invalid(
            f"Refund amount ({display(amount, charge['currency'])}) is greater than unrefunded amount on charge "
            f"({display(left, charge['currency'])})",
            param="amount",
            code="amount_too_large",
        )
    refund = store.create(
        "re",
        "refund",
        amount=amount,
        balance_transaction=None,
        charge=charge["id"],
        currency=charge["currency"],
        destination_details={"type": charge["payment_method_details"]["type"]},
        metadata=dict(p.get("metadata") or {}),
        payment_intent=charge["payment_intent"],
        reason=p.get("reason"),
        status="succeeded",
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    emu.emit("refund.created", refund)
    emu.emit("charge.refunded", charge, previous)
    return refund


def open_dispute(emu: Emulator, charge_id: str, reason: str = "fraudulent", amount: int | None = None) -> dict:
    """The cardholder disputes a succeeded charge (emulator control; no API for this on Stripe either)."""
    charge = emu.store.get(charge_id, "charge", param="charge")
    if charge["status"] != "succeeded" or charge["disputed"]:
        raise invalid(f"Charge {charge_id} cannot be disputed (status {charge['status']}, disputed {charge['disputed']}).",
                      param="charge")
    amount = amount or charge["amount"] - charge["amount_refunded"]
    dispute = emu.store.create(
        "dp",
        "dispute",
        amount=amount,
        balance_transactions=[],
        charge=charge["id"],
        currency=charge["currency"],
        evidence={},
        is_charge_refundable=False,
        metadata={},
        payment_intent=charge["payment_intent"],
        reason=reason,
        status="needs_response",
    )
    charge["disputed"] = True
    emu.emit("charge.dispute.created", dispute)
    emu.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def close_dispute(emu: Emulator, dispute_id: str, outcome: str) -> dict:
    """Close an open dispute as won or lost."""
    dispute = emu.store.get(dispute_id, "dispute", param="dispute")
    if outcome not in ("won", "lost"):
        raise invalid("outcome must be won or lost", param="outcome")
    if dispute["status"] in ("won", "lost"):
        raise invalid(f"Dispute {dispute_id} is already closed ({dispute['status']}).", param="dispute")
    previous = {"status": dispute["status"]}
    dispute["status"] = outcome
    if outcome == "won":
        emu.emit("charge.dispute.funds_reinstated", dispute)
    emu.emit("charge.dispute.closed", dispute, previous)
    return dispute


def find_charge(emu: Emulator, charge_or_intent: str) -> dict:
    """A charge by its id, or the latest charge of a PaymentIntent id."""
    obj = emu.store.objects.get(charge_or_intent)
    if obj and obj["object"] == "payment_intent" and obj.get("latest_charge"):
        return emu.store.get(obj["latest_charge"], "charge")
    if obj and obj["object"] == "charge":
        return obj
    raise StripeError(404, f"No such charge: '{charge_or_intent}'", code="resource_missing", param="charge")
