"""Plan e-mails in the debtor's language, queued on the session (they leave only after commit)."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.i18n import best_match, format_money
from portal.money import Money
from portal.notifications import queue_email
from portal.plans import ics
from portal.plans.models import Instalment, Plan


def plan_url(plan: Plan) -> str:
    """The plan page of the case (sign-in first if needed)."""
    return f"{current_app.config['PORTAL_BASE_URL']}/cases/{plan.case.reference}/plan"


def _send(plan: Plan, template: str, subject_fn, attachments=(), **context) -> None:
    """Render `mail/<template>` in the debtor's language and queue it; nothing if there is no e-mail."""
    debtor = plan.case.debtor
    if not debtor.email:
        return
    locale = best_match(debtor.language) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = subject_fn()
        text = render_template(f"mail/{template}", plan=plan, case=plan.case, url=plan_url(plan), **context)
        files = [(name, mime, build()) for name, mime, build in attachments]
    queue_email(debtor.email, subject, text, attachments=files)


def _calendar(plan: Plan) -> bytes:
    """The .ics of the plan's open due dates (built in the debtor's language by the caller)."""
    events = [(i.due_date, _("Instalment %(number)d of %(count)d: %(amount)s", number=i.number,
                              count=len(plan.instalments), amount=format_money(i.amount)),
               _("Case %(reference)s, %(creditor)s. Paid automatically with your saved payment method.",
                 reference=plan.case.reference, creditor=plan.case.creditor.name))
              for i in plan.instalments]
    return ics.calendar(f"plan-{plan.id}@portal", events)


def queue_agreed(plan: Plan) -> None:
    """Plan agreed, with its due dates as a calendar file."""
    _send(plan, "plan_agreed.html", lambda: _("Your payment plan for case %(reference)s is agreed",
                                              reference=plan.case.reference),
          attachments=[("payment-plan.ics", "text/calendar", lambda: _calendar(plan))])


def queue_reminder(plan: Plan, instalment: Instalment) -> None:
    """An instalment comes up in a few days."""
    _send(plan, "plan_reminder.html", lambda: _("Your next instalment is due on %(date)s",
                                                date=_date(instalment.due_date)), instalment=instalment)


def queue_failed(plan: Plan, instalment: Instalment, code: str, retry_on: date | None) -> None:
    """An instalment could not be taken: a pay-now link, and when we will try again."""
    _send(plan, "plan_failed.html", lambda: _("We could not take your instalment for case %(reference)s",
                                              reference=plan.case.reference),
          instalment=instalment, needs_authentication=code == "authentication_required", retry_on=retry_on)


def queue_broken(plan: Plan, outstanding: Money) -> None:
    """The plan ended after too many missed instalments."""
    _send(plan, "plan_broken.html", lambda: _("Your payment plan for case %(reference)s has ended",
                                              reference=plan.case.reference), outstanding=outstanding)


def queue_decided(plan: Plan) -> None:
    """An agent decided on the debtor's proposal."""
    _send(plan, "plan_decided.html", lambda: _("We have answered your payment plan proposal for case %(reference)s",
                                               reference=plan.case.reference))


def _date(day: date) -> str:
    """A date in the current locale, as the templates' filter writes it."""
    from flask_babel import format_date

    return format_date(day, "long")
