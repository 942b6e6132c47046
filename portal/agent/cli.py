"""`flask agents create|list|disable|reset-totp|reseal`: staff accounts are made on the command line only."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from portal.agent import accounts
from portal.agent.audit import audit
from portal.agent.models import Staff, StaffRole
from portal.extensions import db


@click.group("agents")
def agents():
    """Back-office staff accounts."""


@agents.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), required=True, help="agent or supervisor")
@click.option("--totp", "with_totp", is_flag=True, help="Give an agent a second factor too (supervisors always get one).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@with_appcontext
def create(email: str, role: str, with_totp: bool, password_stdin: bool):
    """Create the account EMAIL; prints the TOTP set-up URI once when it has a second factor."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff = accounts.create(email, StaffRole(role), password, with_totp=with_totp)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    audit(None, "staff.created", staff.email, after={"role": staff.role.value, "totp": staff.totp_secret is not None})
    db.session.commit()
    click.echo(f"created {staff.role.value} {staff.email}")
    if staff.totp_secret:
        _show_totp(staff)


@agents.command("list")
@with_appcontext
def list_():
    """Every account: e-mail, role, second factor, state, last sign-in."""
    for staff in db.session.scalars(select(Staff).order_by(Staff.email)):
        state = "active" if staff.active else "disabled"
        if staff.active and accounts.is_locked(staff):
            state = f"locked until {staff.locked_until:%Y-%m-%d %H:%M} UTC"
        last = f"{staff.last_sign_in_at:%Y-%m-%d %H:%M} UTC" if staff.last_sign_in_at else "never"
        totp = "totp" if staff.totp_secret else "no-totp"
        click.echo(f"{staff.email}\t{staff.role.value}\t{totp}\t{state}\tlast sign-in {last}")


@agents.command("disable")
@click.argument("email")
@with_appcontext
def disable(email: str):
    """Disable EMAIL: sign-in refused, open sessions end at their next request."""
    staff = _find(email)
    if not staff.active:
        raise click.ClickException(f"{staff.email} is already disabled")
    staff.active = False
    audit(None, "staff.disabled", staff.email, before={"active": True}, after={"active": False})
    db.session.commit()
    click.echo(f"disabled {staff.email}")


@agents.command("reset-totp")
@click.argument("email")
@with_appcontext
def reset_totp(email: str):
    """Give EMAIL a new TOTP secret (lost phone); the old codes stop working."""
    staff = _find(email)
    had = staff.totp_secret is not None
    accounts.reset_totp(staff)
    audit(None, "staff.totp_reset", staff.email, before={"totp": had}, after={"totp": True})
    db.session.commit()
    click.echo(f"new second factor for {staff.email}")
    _show_totp(staff)


@agents.command("reseal")
@with_appcontext
def reseal():
    """Seal every TOTP seed again under the current SECRET_KEY (after rotating it; see portal/sealing.py)."""
    count = 0
    for staff in db.session.scalars(select(Staff).where(Staff.totp_secret.is_not(None)).order_by(Staff.id)):
        # Loading opened it with whichever key sealed it; written again, it is sealed under the newest.
        flag_modified(staff, "totp_secret")
        count += 1
    db.session.commit()
    click.echo(f"resealed {count} second factors under the current SECRET_KEY")


def _find(email: str) -> Staff:
    """The account or a clear error."""
    staff = accounts.find(email)
    if staff is None:
        raise click.ClickException(f"no account for {accounts.normalise_email(email)}")
    return staff


def _show_totp(staff: Staff) -> None:
    """Print the set-up URI once: it is the secret, so it is never shown again."""
    click.echo("Add this to an authenticator app now; it is not shown again:")
    click.echo(accounts.provisioning_uri(staff))
