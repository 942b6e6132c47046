"""Back-office pages about cases: home, search, the case view, notes and unlocking sign-in."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.agent import services
from portal.agent.access import current_staff, staff_required
from portal.agent.blueprint import bp
from portal.agent.forms import ActionForm, NoteForm, SearchForm
from portal.agent.models import StaffRole
from portal.extensions import db
from portal.ledger import services as ledger


@bp.get("/")
@staff_required()
def home():
    """What the back office offers, with the figures that say where to look first."""
    staff = current_staff()
    status = ledger.status() if staff.is_supervisor else None
    from portal.messages.services import unanswered

    return render_template(
        "agent/home.html", staff=staff, counts=services.counts(), ledger_status=status,
        form=SearchForm(formdata=None), unanswered=unanswered(),
    )


@bp.get("/cases")
@staff_required()
def search():
    """Find cases by reference, or by the start of the debtor's name or e-mail."""
    form = SearchForm(request.args)
    results = None
    if "q" in request.args and form.validate():
        results = services.search(current_staff(), form.q.data)
        db.session.commit()
        exact = services.reference_match(results, form.q.data)
        if exact is not None and len(results) == 1:
            return redirect(url_for("agent.case", reference=exact.reference), code=303)
    return render_template("agent/search.html", form=form, results=results, limit=services.SEARCH_LIMIT)


@bp.get("/cases/<reference>")
@staff_required()
def case(reference: str):
    """Everything about one case; opening it is audited."""
    found = services.find_case(reference)
    if found is None:
        abort(404)
    if found.reference != reference:
        return redirect(url_for("agent.case", reference=found.reference), code=301)
    return _render_case(found, NoteForm(formdata=None))


@bp.post("/cases/<reference>/notes")
@staff_required()
def add_note(reference: str):
    """Add an internal note; an invalid one shows the case again with the error at the field."""
    found = services.find_case(reference) or abort(404)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_case(found, form), 400
    services.add_note(current_staff(), found, form.body.data)
    db.session.commit()
    flash(_("Note saved."), "success")
    return redirect(url_for("agent.case", reference=found.reference, _anchor="notes"), code=303)


@bp.post("/cases/<reference>/unlock")
@staff_required(StaffRole.supervisor)
def unlock(reference: str):
    """Reopen debtor sign-in after too many wrong answers (supervisors only)."""
    found = services.find_case(reference) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    unlocked = services.unlock_sign_in(current_staff(), found)
    db.session.commit()
    if unlocked:
        flash(_("Sign-in is open again for %(reference)s.", reference=found.reference), "success")
    else:
        flash(_("Sign-in was not locked for %(reference)s.", reference=found.reference), "info")
    return redirect(url_for("agent.case", reference=found.reference), code=303)


def _render_case(found, note_form: NoteForm):
    """The case page, audited as a view of the debtor's data."""
    staff = current_staff()
    file = services.case_file(staff, found)
    db.session.commit()
    return render_template(
        "agent/case.html", file=file, case=found, debtor=found.debtor, export=found.export,
        note_form=note_form, action_form=ActionForm(), can_unlock=staff.is_supervisor,
    )
