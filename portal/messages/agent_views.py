"""Back office: a debtor's thread with the answer form (the unanswered list is on the agent home)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.cases.models import Case, Debtor
from portal.extensions import db
from portal.messages import services
from portal.messages.forms import ReplyForm


def _render(debtor: Debtor, form: ReplyForm, status: int = 200):
    """The thread, the debtor's cases (to open them) and the answer form."""
    references = list(db.session.scalars(select(Case.reference).where(Case.debtor_id == debtor.id)
                                         .order_by(Case.reference)))
    return render_template("messages/agent_thread.html", debtor=debtor, references=references,
                           messages=services.thread(debtor.id), form=form), status


@bp.get("/debtors/<int:debtor_id>/messages")
@staff_required()
def messages(debtor_id: int):
    """One debtor's thread; opening it is audited."""
    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    audit(current_staff(), "messages.open", f"debtor:{debtor.id}")
    db.session.commit()
    return _render(debtor, ReplyForm(formdata=None))


@bp.post("/debtors/<int:debtor_id>/messages")
@staff_required()
def answer(debtor_id: int):
    """Answer the debtor; they are told by e-mail (without the content) after commit."""
    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    form = ReplyForm()
    if not form.validate():
        return _render(debtor, form, 400)
    try:
        message = services.write_as_agent(current_staff(), debtor, form.body.data, form.submission.data)
        audit(current_staff(), "messages.answer", f"debtor:{debtor.id}", message_id=message.id)
        db.session.commit()
    except IntegrityError:  # the same form, sent twice at once: the other request kept it
        db.session.rollback()
    except services.MessageError as exc:
        db.session.rollback()
        form.body.errors = [exc.message]
        return _render(debtor, form, 400)
    flash(_("Answer sent; the debtor has been told that a message is waiting."), "success")
    return redirect(url_for("agent.messages", debtor_id=debtor.id), code=303)
