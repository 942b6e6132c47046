"""`flask demo load`: the newcomer's sign-in details are printed and actually work."""

import re

from sqlalchemy import func, select

from portal.cases.models import Case
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.links.services import resolve


def test_demo_load_is_idempotent_and_prints_working_links(app, runner):
    first = runner.invoke(args=["demo", "load", "--generated", "50"])
    assert first.exit_code == 0, first.output
    assert "Demo cases: 6 created" in first.output
    second = runner.invoke(args=["demo", "load", "--generated", "50"])
    assert "Demo cases: 6 unchanged" in second.output

    tokens = re.findall(r"/l/([A-Za-z0-9_-]{43})", second.output)
    assert len(tokens) == 5  # every open demo case; the on-hold one has none
    with app.app_context():
        assert all(resolve(t) is not None for t in tokens)
        assert db.session.scalar(select(func.count()).select_from(Case)) >= 56
        assert db.session.scalar(select(Creditor.allow_knowledge_only).where(Creditor.external_id == "DEMO-NL"))
    for reference in ("DEMO-FR-0001", "DEMO-SE-0001", "DEMO-IS-0001"):
        assert reference in second.output
    assert "date of birth 1985-03-14" in second.output
    assert "postcode 457 40" in second.output
