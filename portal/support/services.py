"""Sharing and erasing support needs; what the "I can't pay right now" page offers. Flushes only."""

from __future__ import annotations

from dataclasses import dataclass

from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.plans import advice
from portal.support.models import SupportNeed

#: Longest text kept.
DETAILS_MAX = 1000


@dataclass(frozen=True)
class Options:
    """What the hardship page shows for one case."""

    advice: advice.Advice
    support: SupportNeed | None


def options(case: Case) -> Options:
    """Free advice for the debtor's country and the support needs they already shared."""
    return Options(advice=advice.for_country(case.debtor.country), support=support_of(case.debtor_id))


def support_of(debtor_id: int) -> SupportNeed | None:
    """The debtor's shared support needs, if any."""
    return db.session.get(SupportNeed, debtor_id)


def share(debtor_id: int, details: str) -> SupportNeed:
    """Keep (or replace) the debtor's support needs; the caller has their explicit consent."""
    details = details.strip()[:DETAILS_MAX]
    need = support_of(debtor_id)
    if need is None:
        need = SupportNeed(debtor_id=debtor_id, details=details, consented_at=utcnow())
        db.session.add(need)
    else:
        need.details, need.consented_at = details, utcnow()
    db.session.flush()
    return need


def erase(debtor_id: int) -> bool:
    """Delete the debtor's support needs; False when there were none."""
    need = support_of(debtor_id)
    if need is None:
        return False
    db.session.delete(need)
    db.session.flush()
    return True
