"""A pause of up to N days that a debtor in difficulty asks for, where the creditor's policy allows it.

During a pause nothing is collected and no reminder goes out, as during a dispute
(`collection_paused` combines both for `flask plans collect` and `flask links export`).
A pause ends by itself: it is a date range, so nothing has to run to lift it. The due
dates of an active plan move back by the length of the pause, so instalments do not
pile up on the day it ends. Services flush only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from portal.cases.models import Case, CaseStatus
from portal.clock import today
from portal.disputes.services import pausing as dispute_pausing
from portal.extensions import db
from portal.plans.models import InstalmentState, Plan, PlanEvent, PlanState
from portal.plans.services import current_policy
from portal.support.models import CasePause

#: Instalments whose dates move with a pause (not yet paid, missed or ended).
_MOVABLE = (InstalmentState.scheduled, InstalmentState.failed, InstalmentState.action_required)


class PauseError(ValueError):
    """A pause the policy or the case does not allow; `message` is translated, for the debtor."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Allowance:
    """What the hardship page can offer: the policy's maximum, what is left, the pause running now."""

    max_days: int
    left_days: int
    active: CasePause | None

    @property
    def offered(self) -> bool:
        """Whether the debtor may ask for a pause now."""
        return self.active is None and self.left_days > 0


def pausing(case_id_column, on: date):
    """SQL: a pause the debtor asked for covers the day `on` for the case in `case_id_column`."""
    return exists().where(CasePause.case_id == case_id_column, CasePause.starts_on <= on, CasePause.ends_on > on)


def collection_paused(case_id_column, on: date):
    """SQL: collection and reminders are paused on `on`, by a dispute or by a pause the debtor asked for."""
    return or_(dispute_pausing(case_id_column), pausing(case_id_column, on))


def active_pause(case: Case, on: date | None = None) -> CasePause | None:
    """The pause covering `on` (default today), if any."""
    on = on or today()
    return db.session.scalar(select(CasePause).where(CasePause.case_id == case.id, CasePause.starts_on <= on,
                                                     CasePause.ends_on > on).limit(1))


def pauses_of(case: Case) -> list[CasePause]:
    """Every pause of the case, newest first (for the agents)."""
    return list(db.session.scalars(select(CasePause).where(CasePause.case_id == case.id)
                                   .order_by(CasePause.starts_on.desc(), CasePause.id.desc())))


def allowance(case: Case) -> Allowance:
    """The creditor's maximum, the days not yet used on this case, and the running pause."""
    policy = current_policy(case.creditor_id)
    max_days = policy.rules.pause_max_days if policy is not None else 0
    used = db.session.scalar(select(func.coalesce(func.sum(CasePause.days), 0)).where(CasePause.case_id == case.id))
    return Allowance(max_days=max_days, left_days=max(max_days - used, 0), active=active_pause(case))


def request_pause(case: Case, days: int) -> CasePause:
    """Pause collection and reminders on `case` from today for `days` days; raises PauseError. Flushes."""
    if case.export is None or case.export.status != CaseStatus.open:
        raise PauseError(_("This case cannot be paused."))
    # Lock the case so two requests at once cannot both spend the same allowance.
    db.session.scalar(select(Case.id).where(Case.id == case.id).with_for_update())
    allowed = allowance(case)
    if allowed.active is not None:
        raise PauseError(_("Collection is already paused. It starts again on %(date)s.",
                           date=format_date(allowed.active.ends_on, "long")))
    if allowed.left_days <= 0:
        raise PauseError(_("A pause is not available on this case."))
    if not 1 <= days <= allowed.left_days:
        raise PauseError(_("Choose between 1 and %(max)d days.", max=allowed.left_days))
    start = today()
    pause = CasePause(case_id=case.id, starts_on=start, ends_on=start + timedelta(days=days), days=days)
    db.session.add(pause)
    _move_plan_dates(case, start, days)
    db.session.flush()
    return pause


def _move_plan_dates(case: Case, start: date, days: int) -> None:
    """Move the active plan's open due dates (and retries) back by `days`, with a history row each."""
    plan = db.session.scalar(select(Plan).where(Plan.case_id == case.id, Plan.state == PlanState.active)
                             .with_for_update())
    if plan is None:
        return
    shift = timedelta(days=days)
    for instalment in plan.instalments:
        if instalment.state not in _MOVABLE:
            continue
        old = instalment.due_date
        if instalment.state == InstalmentState.scheduled:
            instalment.due_date = max(old, start) + shift
        elif instalment.retry_on is not None:  # a declined one keeps its due date; its retry waits
            instalment.retry_on = max(instalment.retry_on, start) + shift
        instalment.reminded_at = None
        db.session.add(PlanEvent(plan_id=plan.id, instalment_number=instalment.number,
                                 state_from=str(instalment.state), state_to=str(instalment.state), source="debtor",
                                 detail=f"paused {days} days: {old.isoformat()} -> {instalment.due_date.isoformat()}"))
