"""Back-office plan pages on the agent blueprint: the proposals queue, decisions, policy edits; all audited."""

from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.agent.models import StaffRole
from portal.clock import today, utcnow
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.plans import mail, offers as offer_math, services
from portal.plans.forms import ButtonForm, CounterForm, PolicyForm, RejectForm
from portal.plans.models import Plan, PlanState
from portal.plans.rules import Frequency, PolicyError


@bp.get("/plans")
@staff_required()
def plan_queue():
    """Proposals waiting for a decision, oldest first, with the time left."""
    return render_template("plans/agent_queue.html", plans=services.queue(), now=utcnow())


def _proposal(plan_id: int) -> Plan:
    """A plan by id, else 404."""
    return db.session.get(Plan, plan_id) or abort(404)


@bp.get("/plans/<int:plan_id>")
@staff_required()
def plan_detail(plan_id: int):
    """One plan: the proposal, the debtor's context, the schedule, and the decision forms."""
    plan = _proposal(plan_id)
    audit(current_staff(), "plan.view", plan.case.reference, plan_id=plan.id)
    db.session.commit()
    return _render(plan)


def _render(plan: Plan, reject_form=None, counter_form=None, status: int = 200):
    """The plan page of the back office."""
    return render_template("plans/agent_plan.html", plan=plan, button=ButtonForm(),
                           reject_form=reject_form or RejectForm(formdata=None),
                           counter_form=counter_form or CounterForm(formdata=None, start=today())), status


@bp.post("/plans/<int:plan_id>/approve")
@staff_required()
def plan_approve(plan_id: int):
    """Approve a proposal as proposed."""
    plan = _proposal(plan_id)
    if not ButtonForm().validate() or plan.state != PlanState.proposed:
        abort(400)
    staff = current_staff()
    services.approve(plan, staff.id)
    audit(staff, "plan.approve", plan.case.reference, plan_id=plan.id, before="proposed", after="accepted")
    mail.queue_decided(plan)
    db.session.commit()
    flash(_("Plan approved; the debtor is told by e-mail."), "success")
    return redirect(url_for("agent.plan_queue"), code=303)


@bp.post("/plans/<int:plan_id>/reject")
@staff_required()
def plan_reject(plan_id: int):
    """Reject a proposal with a reason the debtor reads."""
    plan = _proposal(plan_id)
    form = RejectForm()
    if plan.state != PlanState.proposed:
        abort(400)
    if not form.validate():
        return _render(plan, reject_form=form, status=400)
    staff = current_staff()
    services.reject(plan, staff.id, form.reason.data.strip())
    audit(staff, "plan.reject", plan.case.reference, plan_id=plan.id, before="proposed", after="rejected",
          reason=form.reason.data.strip())
    mail.queue_decided(plan)
    db.session.commit()
    flash(_("Proposal rejected; the debtor is told by e-mail."), "success")
    return redirect(url_for("agent.plan_queue"), code=303)


@bp.post("/plans/<int:plan_id>/counter")
@staff_required()
def plan_counter(plan_id: int):
    """Answer a proposal with another schedule, within the creditor's policy."""
    plan = _proposal(plan_id)
    form = CounterForm()
    if plan.state != PlanState.proposed:
        abort(400)
    if not form.validate():
        return _render(plan, counter_form=form, status=400)
    sit = services.situation(plan.case)
    count = int(form.count.data)
    if sit is None or count < 1:
        form.count.errors = [_("This case cannot have a plan now.")]
        return _render(plan, counter_form=form, status=400)
    offer = offer_math.schedule(sit.balance, sit.rules, Frequency(form.frequency.data), count, form.start.data)
    broken = offer_math.violations(offer, sit.balance, sit.rules, sit.risk_score, today(), sit.minimum)
    if broken:
        form.count.errors = [_("Outside the creditor's policy: %(rules)s", rules=", ".join(broken))]
        return _render(plan, counter_form=form, status=400)
    staff = current_staff()
    services.counter(plan, staff.id, offer, form.note.data.strip())
    audit(staff, "plan.counter", plan.case.reference, plan_id=plan.id, before="proposed", after="countered",
          instalments=count, frequency=form.frequency.data, start=form.start.data.isoformat())
    mail.queue_decided(plan)
    db.session.commit()
    flash(_("Counter-offer sent; the debtor is told by e-mail."), "success")
    return redirect(url_for("agent.plan_queue"), code=303)


@bp.route("/creditors/<external_id>/policy", methods=["GET", "POST"])
@staff_required(StaffRole.supervisor)
def policy_edit(external_id: str):
    """Supervisors edit a creditor's policy as JSON; each save is a new, audited version."""
    creditor = db.session.query(Creditor).filter_by(external_id=external_id).one_or_none() or abort(404)
    current = services.current_policy(creditor.id)
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            document = json.loads(form.document.data)
            policy = services.save_policy(creditor, document, current_staff().id)
        except (json.JSONDecodeError, PolicyError) as exc:
            form.document.errors = [str(exc)]
        else:
            audit(current_staff(), "policy.save", external_id, version=policy.version,
                  before=current.rules_json if current else None, after=policy.rules_json)
            db.session.commit()
            flash(_("Policy saved as version %(version)d.", version=policy.version), "success")
            return redirect(url_for("agent.policy_edit", external_id=external_id), code=303)
    elif not form.is_submitted():
        form.document.data = json.dumps(current.rules_json if current else {"bands": [
            {"up_to_minor": None, "max_instalments": 6}]}, indent=2)
    return render_template("plans/agent_policy.html", creditor=creditor, current=current, form=form), \
        400 if form.errors else 200
