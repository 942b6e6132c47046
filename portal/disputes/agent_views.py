"""Back office: the queue of open disputes and the page where an agent decides one."""

from decimal import InvalidOperation

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.disputes import services
from portal.disputes.forms import DecisionForm
from portal.disputes.models import Dispute, IllegalTransition, UpheldOutcome
from portal.extensions import db
from portal.money import Money


@bp.get("/disputes")
@staff_required()
def disputes():
    """Open disputes, oldest first."""
    return render_template("disputes/agent_queue.html", disputes=services.queue())


def _render(dispute: Dispute, form: DecisionForm, status: int = 200):
    """The dispute with its evidence and the decision form."""
    return render_template("disputes/agent_dispute.html", dispute=dispute, case=dispute.case, form=form), status


@bp.get("/disputes/<int:dispute_id>")
@staff_required()
def dispute(dispute_id: int):
    """One dispute; opening it is audited."""
    found = db.session.get(Dispute, dispute_id) or abort(404)
    audit(current_staff(), "dispute.open_page", found.case.reference, dispute_id=found.id)
    db.session.commit()
    return _render(found, DecisionForm(formdata=None))


@bp.post("/disputes/<int:dispute_id>/decide")
@staff_required()
def decide(dispute_id: int):
    """Uphold or reject a dispute; the debtor is told by e-mail after commit."""
    found = db.session.get(Dispute, dispute_id) or abort(404)
    form = DecisionForm()
    if not form.validate():
        return _render(found, form, 400)
    upheld = form.decision.data == "upheld"
    outcome = UpheldOutcome(form.outcome.data) if upheld and form.outcome.data else None
    corrected = None
    if upheld and outcome == UpheldOutcome.correct and form.corrected_total.data:
        try:
            corrected = Money.from_decimal(form.corrected_total.data.replace(",", "."),
                                           found.case.export.currency).minor
        except (ValueError, InvalidOperation):
            form.corrected_total.errors = [_("Enter an amount with at most the currency's decimals.")]
            return _render(found, form, 400)
    try:
        services.resolve(found, current_staff(), upheld, form.explanation.data, outcome, corrected)
    except services.DisputeError as exc:
        db.session.rollback()
        form.explanation.errors = [exc.message]
        return _render(found, form, 400)
    except IllegalTransition:
        db.session.rollback()
        flash(_("This dispute was already decided."), "error")
        return redirect(url_for("agent.dispute", dispute_id=dispute_id), code=303)
    audit(current_staff(), "dispute.decide", found.case.reference, dispute_id=found.id,
          decision=found.state.value, outcome=outcome.value if outcome else None, corrected_total_minor=corrected)
    db.session.commit()
    flash(_("Decision recorded; the debtor has been told."), "success")
    return redirect(url_for("agent.disputes"), code=303)
