"""The debtor's message thread with the agency: read it, write to it with files."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.auth.identity import debtor_required
from portal.debtor import services as debtor_services
from portal.extensions import db
from portal.messages import services
from portal.messages.forms import MessageForm
from portal.uploads import UploadError
from portal.uploads.services import max_bytes, max_files

bp = Blueprint("messages", __name__)


def _page(form: MessageForm, status: int = 200):
    """The thread, oldest first, and the form to write."""
    return render_template("messages/thread.html", messages=services.thread(current_user.debtor_id), form=form,
                           max_files=max_files(), max_mb=max_bytes() // (1024 * 1024)), status


@bp.get("/messages")
@debtor_required
def thread():
    """The signed-in debtor's own thread (nobody else's is reachable: it is chosen by the session)."""
    return _page(MessageForm(formdata=None))


@bp.post("/messages")
@debtor_required
def write():
    """Send a message with its files; errors are shown at their fields and nothing is kept."""
    form = MessageForm()
    if not form.validate():
        return _page(form, 400)
    debtor = debtor_services.debtor_details(current_user)
    try:
        services.write_as_debtor(debtor, form.body.data, request.files.getlist(form.attachments.name),
                                 form.submission.data)
        db.session.commit()
    except IntegrityError:  # the same form, sent twice at once: the other request kept it
        db.session.rollback()
    except UploadError as exc:
        db.session.rollback()
        form.attachments.errors = [exc.message]
        return _page(form, 400)
    except services.MessageError as exc:
        db.session.rollback()
        form.body.errors = [exc.message]
        return _page(form, 400)
    flash(_("Your message has been sent. We will answer you here and let you know by e-mail."), "success")
    return redirect(url_for("messages.thread"), code=303)
