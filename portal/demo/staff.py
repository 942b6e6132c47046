"""Demo back-office accounts and instalment policies for the local run (development only).

The passwords and the supervisor's TOTP secret are fixed and printed, so anyone running
the demo can sign in to /agent; `flask demo load` refuses to create them in production.
Loading again restores them (password, secret, unlocked) and changes nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from portal.agent import accounts
from portal.agent.audit import audit
from portal.agent.models import Staff, StaffRole
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.plans import services as plans
from portal.plans.rules import parse

#: A fixed base32 secret so the printed otpauth URI stays valid across loads. Development only.
DEMO_TOTP_SECRET = "DEMOSUPERVISORTOTPSECRETDEVONLY2"


@dataclass(frozen=True)
class DemoStaff:
    """One demo account as printed."""

    email: str
    role: StaffRole
    password: str


DEMO_STAFF = (
    DemoStaff("agent@demo.portal.invalid", StaffRole.agent, "demo-agent-password"),
    DemoStaff("supervisor@demo.portal.invalid", StaffRole.supervisor, "demo-supervisor-password"),
)

#: Every demo creditor offers plans; DEMO-IE's is strict, so a small proposal goes to an agent.
BASE_POLICY = {
    "bands": [{"up_to_minor": 50000, "max_instalments": 4}, {"up_to_minor": None, "max_instalments": 12}],
    "min_instalment_minor": 1000, "frequencies": ["monthly", "biweekly"], "first_payment_within_days": 14,
    "missed_tolerated": 1, "retry_days": [3, 7], "date_moves_allowed": 1, "decision_days": 3,
}
POLICIES = {
    "DEMO-FR": {**BASE_POLICY, "pause_max_days": 30},  # the hardship page offers a pause
    "DEMO-FR-TEL": BASE_POLICY,
    "DEMO-SE": {**BASE_POLICY, "min_instalment_minor": 50000},
    "DEMO-NL": BASE_POLICY,
    "DEMO-IE": {**BASE_POLICY, "bands": [{"up_to_minor": None, "max_instalments": 6}],
                "min_instalment_minor": 5000, "frequencies": ["monthly"]},
}


def ensure_staff() -> list[tuple[DemoStaff, Staff, bool]]:
    """Create (or restore) the demo accounts; (demo, account, created) for each. Flushes only."""
    result = []
    for demo in DEMO_STAFF:
        staff = accounts.find(demo.email)
        created = staff is None
        if created:
            staff = accounts.create(demo.email, demo.role, demo.password)
            audit(None, "staff.created", staff.email, after={"role": staff.role.value, "demo": True})
        elif not _matches(staff.password_hash, demo.password):
            staff.password_hash = accounts.hasher.hash(demo.password)
        staff.role, staff.active, staff.failed_attempts, staff.locked_until = demo.role, True, 0, None
        if demo.role == StaffRole.supervisor and staff.totp_secret != DEMO_TOTP_SECRET:
            staff.totp_secret, staff.totp_last_step = DEMO_TOTP_SECRET, None
        result.append((demo, staff, created))
    db.session.flush()
    return result


def ensure_policies() -> list[str]:
    """Give each demo creditor its policy, as a new version only when it differs. Flushes only."""
    saved = []
    for external_id, document in POLICIES.items():
        creditor = db.session.scalar(select(Creditor).where(Creditor.external_id == external_id))
        if creditor is None:
            continue
        current = plans.current_policy(creditor.id)
        if current is None or current.rules_json != parse(document).to_json():
            saved.append(f"{external_id} v{plans.save_policy(creditor, document, None).version}")
    return saved


def _matches(password_hash: str, password: str) -> bool:
    """Whether the stored hash is still the demo password (someone may have changed it)."""
    try:
        return accounts.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
