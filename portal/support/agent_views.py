"""Back office: a debtor's shared support needs and the pauses they asked for (reading it is audited)."""

from flask import abort, render_template

from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.agent.services import find_case
from portal.clock import today
from portal.extensions import db
from portal.support import pauses, services


@bp.get("/cases/<reference>/support")
@staff_required()
def support(reference: str):
    """What the case's debtor shared about their circumstances, and the pauses asked on the case."""
    case = find_case(reference) or abort(404)
    need = services.support_of(case.debtor_id)
    audit(current_staff(), "support.view", case.reference)
    db.session.commit()
    return render_template("hardship/agent_support.html", case=case, need=need, pauses=pauses.pauses_of(case),
                           today=today())
