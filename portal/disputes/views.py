"""The debtor's "I dispute this debt" page: the form, then where their dispute stands."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.identity import debtor_required
from portal.debtor import services as debtor_services
from portal.disputes import services
from portal.disputes.forms import DisputeForm
from portal.disputes.models import DisputeReason, DisputeState
from portal.extensions import db
from portal.uploads import UploadError
from portal.uploads.services import max_bytes, max_files

bp = Blueprint("disputes", __name__)


def _page(case, form: DisputeForm, status: int = 200):
    """The dispute page: the current dispute (if any) and, when none is open, the form."""
    dispute = services.current_dispute(case)
    return render_template("disputes/dispute.html", case=case, dispute=dispute, form=form,
                           can_open=dispute is None or dispute.state != DisputeState.open,
                           max_files=max_files(), max_mb=max_bytes() // (1024 * 1024)), status


@bp.get("/cases/<reference>/dispute")
@debtor_required
def dispute(reference: str):
    """Where the debtor's dispute stands, or the form to open one."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    return _page(case, DisputeForm(formdata=None))


@bp.post("/cases/<reference>/dispute")
@debtor_required
def open_dispute(reference: str):
    """Open a dispute with its evidence; errors are shown at their fields and nothing is kept."""
    case = debtor_services.find_case(current_user, reference) or abort(404)
    form = DisputeForm()
    if not form.validate():
        return _page(case, form, 400)
    try:
        services.open_dispute(case, DisputeReason(form.reason.data), form.message.data,
                              request.files.getlist(form.evidence.name))
    except UploadError as exc:
        db.session.rollback()
        form.evidence.errors = [exc.message]
        return _page(case, form, 400)
    except services.DisputeError as exc:
        db.session.rollback()
        form.message.errors = [exc.message]
        return _page(case, form, 400)
    db.session.commit()
    flash(_("Thank you. We have paused collection on this case while an agent looks into your dispute."),
          "success")
    return redirect(url_for("disputes.dispute", reference=case.reference), code=303)
