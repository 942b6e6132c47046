"""Migration 0011 seals the TOTP seeds already stored: second factors in use keep working."""

from __future__ import annotations

import pyotp
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.agent import accounts
from portal.agent.models import StaffRole
from portal.extensions import db
from tests.agent.conftest import PASSWORD


def test_seeds_stored_before_0011_are_sealed_by_it_and_opened_by_its_downgrade(ctx):
    accounts.create("boss@agency.test", StaffRole.supervisor, PASSWORD)
    db.session.commit()
    db.session.remove()
    seed = pyotp.random_base32()
    downgrade(revision="0010")
    try:
        with db.engine.begin() as conn:  # as a 0010 database held it: the seed in clear
            conn.execute(text("UPDATE staff SET totp_secret = :seed"), {"seed": seed})
    finally:
        upgrade(revision="heads")

    with db.engine.connect() as conn:
        stored = conn.execute(text("SELECT totp_secret FROM staff")).scalar_one()
    assert seed not in stored
    staff = accounts.find("boss@agency.test")
    assert staff.totp_secret == seed  # the authenticator app already set up still gives valid codes

    db.session.remove()
    downgrade(revision="0010")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT totp_secret FROM staff")).scalar_one() == seed
    finally:
        upgrade(revision="heads")
