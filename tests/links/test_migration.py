"""Migration 0010 turns stored hex hashes into bytes: links already sent keep working."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.clock import utcnow
from portal.extensions import db
from portal.links import services
from tests import factories


def test_links_issued_before_0010_still_resolve_after_it_and_downgrade_restores_hex(ctx):
    case_id = factories.case("AK-2026-000900").id
    db.session.commit()
    token = services.new_token()
    db.session.remove()
    downgrade(revision="0009")
    try:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO reminder_links (token_hash, case_id, created_at, expires_at)"
                              " VALUES (:hash, :case_id, :now, :expires)"),
                         {"hash": hashlib.sha256(token.encode()).hexdigest(), "case_id": case_id,
                          "now": utcnow(), "expires": utcnow() + timedelta(days=3)})
    finally:
        upgrade(revision="heads")

    link = services.resolve(token)
    assert link is not None and link.case_id == case_id
    assert link.token_hash == hashlib.sha256(token.encode()).digest()

    db.session.remove()
    downgrade(revision="0009")
    try:
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT token_hash FROM reminder_links")).scalar_one()
        assert stored == hashlib.sha256(token.encode()).hexdigest()
    finally:
        upgrade(revision="heads")
