"""Issuing, resolving and spending reminder links."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from portal.cases.models import CaseStatus
from portal.extensions import db
from portal.links import services
from portal.links.models import ReminderLink
from tests import factories

ISSUED = datetime(2026, 3, 10, 9, 15, 42, 731000, tzinfo=UTC)


def test_tokens_are_256_bit_url_safe_and_never_repeat(ctx):
    case = factories.case()
    tokens = {services.issue(case)[0] for _ in range(500)}
    assert len(tokens) == 500
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes of base64url, no padding
    # Every one of the 64 base64url symbols turns up across 500 tokens of 43 characters.
    assert len(set("".join(tokens))) == 64


def test_only_the_sha256_of_the_token_is_stored(ctx):
    case = factories.case()
    token, link = services.issue(case)
    db.session.commit()

    assert link.token_hash == hashlib.sha256(token.encode()).digest()
    rows = db.session.execute(text("SELECT * FROM reminder_links")).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert services.url_for_token(token) == f"http://portal.test/l/{token}"


def test_expiry_is_the_creditor_ttl_exact_to_the_second(ctx):
    case = factories.case(link_ttl_days=7)
    with time_machine.travel(ISSUED, tick=False):
        token, link = services.issue(case)
        db.session.commit()
    db.session.expire_all()
    link = db.session.get(ReminderLink, link.id)
    assert link.expires_at == datetime(2026, 3, 17, 9, 15, 42, tzinfo=UTC)

    with time_machine.travel(link.expires_at - timedelta(seconds=1), tick=False):
        assert services.resolve(token) is not None
    with time_machine.travel(link.expires_at, tick=False):
        assert services.resolve(token) is None


def test_resolve_finds_the_case_of_a_fresh_link(ctx):
    case = factories.case()
    token, _ = services.issue(case)
    db.session.commit()
    found = services.resolve(token)
    assert found is not None and found.case_id == case.id


def test_a_used_link_cannot_be_replayed(ctx):
    case = factories.case()
    token, link = services.issue(case)
    assert services.mark_used(link) is True
    db.session.commit()

    assert services.resolve(token) is None
    assert link.used_at is not None
    assert services.mark_used(link) is False  # a concurrent second sign-in loses


@pytest.mark.parametrize("bad", ["", None, "x" * 5000, "unknown-token-" + "a" * 29])
def test_resolve_rejects_unknown_and_malformed_tokens(ctx, bad):
    factories.case()
    assert services.resolve(bad) is None


def test_resolve_rejects_a_token_with_any_one_character_changed(ctx):
    token, _ = services.issue(factories.case())
    db.session.commit()
    for i in range(len(token)):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
        assert services.resolve(flipped) is None, i
    assert services.resolve(token) is not None


def test_find_open_case_normalises_and_checks_status(ctx):
    factories.case("AK-2026-000017")
    factories.case("AK-2026-000018", status=CaseStatus.on_hold)
    assert services.find_open_case(" ak-2026- 000017 ").reference == "AK-2026-000017"
    with pytest.raises(services.CaseNotFound):
        services.find_open_case("AK-2026-999999")
    with pytest.raises(services.CaseNotOpen) as info:
        services.find_open_case("AK-2026-000018")
    assert info.value.status == "on_hold"


def test_issue_only_flushes_so_the_caller_decides(ctx):
    case = factories.case()
    services.issue(case)
    db.session.rollback()
    assert db.session.scalar(select(ReminderLink)) is None
