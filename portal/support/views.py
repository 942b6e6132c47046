"""The "I can't pay right now" page: kind options, a pause, free advice, support needs shared with consent."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.identity import debtor_required
from portal.debtor import services as debtor_services
from portal.extensions import db
from portal.agent.audit import audit
from portal.support import pauses, services
from portal.support.forms import EraseForm, PauseForm, SupportForm

bp = Blueprint("hardship", __name__)


def _page(case, form: SupportForm, status: int = 200, pause_form: PauseForm | None = None):
    """The hardship page for one case."""
    return render_template("hardship/hardship.html", case=case, options=services.options(case), form=form,
                           erase_form=EraseForm(formdata=None), can_change=current_user.full,
                           pause=pauses.allowance(case), pause_form=pause_form or PauseForm(formdata=None)), status


@bp.get("/cases/<reference>/hardship")
@debtor_required
def hardship(reference: str):
    """What we can offer someone who cannot pay right now."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    return _page(case, SupportForm(formdata=None))


@bp.post("/cases/<reference>/hardship/support")
@debtor_required
def share(reference: str):
    """Keep the debtor's support needs (explicit consent required; not on a low-assurance session)."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    if not current_user.full:
        abort(403)
    form = SupportForm()
    if not form.validate():
        return _page(case, form, 400)
    services.share(current_user.debtor_id, form.details.data)
    db.session.commit()
    flash(_("Thank you for telling us. Our agents will take it into account."), "success")
    return redirect(url_for("hardship.hardship", reference=case.reference), code=303)


@bp.post("/cases/<reference>/hardship/support/erase")
@debtor_required
def erase(reference: str):
    """Forget the support needs the debtor shared."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    if not current_user.full:
        abort(403)
    if not EraseForm().validate():
        abort(400)
    services.erase(current_user.debtor_id)
    db.session.commit()
    flash(_("We have deleted what you shared about your circumstances."), "success")
    return redirect(url_for("hardship.hardship", reference=case.reference), code=303)


@bp.post("/cases/<reference>/hardship/pause")
@debtor_required
def pause(reference: str):
    """Pause collection and reminders for the days asked, within the creditor's allowance (audited)."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    form = PauseForm()
    if not form.validate():
        return _page(case, SupportForm(formdata=None), 400, pause_form=form)
    try:
        paused = pauses.request_pause(case, form.days.data)
    except pauses.PauseError as exc:
        db.session.rollback()
        form.days.errors = [exc.message]
        return _page(case, SupportForm(formdata=None), 400, pause_form=form)
    # No staff did this: the audit row (staff empty) puts the debtor's request in the agents' contact log.
    audit(None, "debtor.pause_requested", case.reference, days=paused.days, starts_on=paused.starts_on.isoformat(),
          ends_on=paused.ends_on.isoformat())
    db.session.commit()
    flash(_("Collection and reminders are paused. They start again on %(date)s.",
            date=format_date(paused.ends_on, "long")), "success")
    return redirect(url_for("hardship.hardship", reference=case.reference), code=303)
