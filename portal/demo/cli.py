"""`flask demo load`: demo cases through the real importer, fresh reminder links, and how to sign in."""

import click
from flask.cli import AppGroup
from flask import current_app
from sqlalchemy import select

from portal.creditors.models import Creditor
from portal.agent.accounts import provisioning_uri
from portal.demo.records import KNOWLEDGE_ONLY_CREDITORS, SETTLEMENT_CREDITORS, NOTES, demo_records
from portal.demo.staff import DEMO_TOTP_SECRET, ensure_policies, ensure_staff
from portal.extensions import db
from portal.intake.generate import generate_records
from portal.intake.importer import import_records
from portal.links.services import CaseNotOpen, find_open_case, issue, url_for_token


@click.group(cls=AppGroup)
def demo():
    """Demo data for the local run."""


@demo.command("load")
@click.option("--generated", default=300, show_default=True, help="Generated cases around the demo ones.")
def load(generated: int):
    """Import the demo cases (idempotent), issue a link for each, and print how to sign in."""
    records = demo_records()
    items = ((n, r, None) for n, r in enumerate(records, start=1))
    counts = import_records(items)
    filler = ((n, r, None) for n, r in enumerate(generate_records(generated, seed=2026, prefix="GEN"), start=1))
    filler_counts = import_records(filler)
    for creditor in db.session.scalars(select(Creditor).where(Creditor.external_id.in_(KNOWLEDGE_ONLY_CREDITORS))):
        creditor.allow_knowledge_only = True
    for creditor in db.session.scalars(select(Creditor).where(Creditor.external_id.in_(SETTLEMENT_CREDITORS))):
        # Pay the principal and fees within 30 days and the interest and collection costs are
        # written off: paying it gives a settlement letter whose code can be checked at /verify.
        creditor.settlement_days = 30
        creditor.settlement_waive_interest = True
        creditor.settlement_waive_costs = True
    rows = []
    for record in records:
        try:
            token, _link = issue(find_open_case(record["case_reference"]))
            url = url_for_token(token)
        except CaseNotOpen:
            url = "(on hold: sign in with the reference; no link is issued)"
        birth = record.get("debtor_birth_date")
        factor = f"date of birth {birth}" if birth else f"postcode {record['debtor_postcode']}"
        contact = record.get("debtor_email") or record.get("debtor_phone") or "none (knowledge step only)"
        rows.append((record["case_reference"], record["debtor_name"], factor, contact, url))
    policies = ensure_policies()
    # Fixed, printed passwords are for a developer's machine only.
    staff = ensure_staff() if current_app.config["PORTAL_ENV"] != "production" else None
    staff_lines = [(demo, account.email, provisioning_uri(account) if account.totp_secret else None)
                   for demo, account, _created in staff or ()]
    db.session.commit()
    summary = ", ".join(f"{n} {name}" for name, n in counts.as_dict().items() if n)
    click.echo(f"Demo cases: {summary}. Generated cases: {filler_counts.total}.")
    config = current_app.config
    click.echo(f"\nOpen {config['PORTAL_BASE_URL']} (or a link below) and sign in with a reference and its factor.")
    click.echo(f"One-time codes land in {config['MAIL_URL']} (e-mail) and {config['SMS_URL']} (SMS).\n")
    for reference, name, factor, contact, url in rows:
        click.echo(f"  {reference}  {name}\n    factor:  {factor}\n    code to: {contact}\n    link:    {url}")
        click.echo(f"    try:     {NOTES[reference]}\n" if reference in NOTES else "")
    click.echo(f"Instalment policies: {', '.join(policies) if policies else 'unchanged'}.")
    if staff is None:
        click.echo("Demo staff accounts are not created in production: use `flask agents create`.")
        return
    click.echo(f"\nBack office: {config['PORTAL_BASE_URL']}/agent/ (demo accounts, development only)")
    for demo, email, uri in staff_lines:
        click.echo(f"  {demo.role.value:<10}  {email}\n    password: {demo.password}")
        if uri:
            click.echo(f"    TOTP:     secret {DEMO_TOTP_SECRET} (add it to an authenticator app, or:"
                       f" .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('{DEMO_TOTP_SECRET}').now())\")"
                       f"\n    otpauth:  {uri}")
