"""The ledger outbox in the back office (supervisors): the status figures, dead letters, requeue."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext

from portal.agent import services
from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.agent.forms import ActionForm
from portal.agent.models import StaffRole
from portal.extensions import db
from portal.ledger import services as ledger

#: Dead letters shown on the page; `flask ledger dead-letters` lists them all.
SHOWN = 200


@bp.get("/ledger")
@staff_required(StaffRole.supervisor)
def ledger_page():
    """The figures of `flask ledger status` and the dead letters with the ledger's error."""
    staff = current_staff()
    letters = ledger.dead_letters(limit=SHOWN)
    audit(staff, "ledger.view", None, dead_letters=len(letters))
    db.session.commit()
    return render_template(
        "agent/ledger.html", status=ledger.status(), letters=letters, shown=SHOWN, form=ActionForm()
    )


@bp.post("/ledger/dead-letters/<event_id>/requeue")
@staff_required(StaffRole.supervisor)
def requeue_one(event_id: str):
    """Put one dead letter back in the queue once its cause is fixed."""
    return _requeue([event_id])


@bp.post("/ledger/dead-letters/requeue")
@staff_required(StaffRole.supervisor)
def requeue_all():
    """Put every dead letter back in the queue."""
    return _requeue(None)


def _requeue(ids: list[str] | None):
    """Requeue, audit, commit once, and say what happened."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        count = services.requeue_dead_letters(current_staff(), ids)
    except ValueError:
        db.session.rollback()
        flash(_("This event is no longer a dead letter: someone may have requeued it already."), "error")
        return redirect(url_for("agent.ledger_page"), code=303)
    db.session.commit()
    flash(ngettext("%(num)d event is back in the queue.", "%(num)d events are back in the queue.", count), "success")
    return redirect(url_for("agent.ledger_page"), code=303)
