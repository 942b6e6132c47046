"""Views of the debtor's pages: parse, authorise (own cases only), render."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal.auth.identity import debtor_required

from portal.cases.models import CaseStatus
from portal.debtor import services

bp = Blueprint("debtor", __name__)


@bp.get("/cases")
@debtor_required
def cases():
    """Every case of the signed-in debtor with what is due now on each."""
    summaries = services.debtor_cases(current_user)
    return render_template("debtor/cases.html", summaries=summaries)


@bp.get("/cases/<reference>")
@debtor_required
def case(reference: str):
    """What the debtor owes on one case, and how it came to be."""
    found = services.find_case(current_user, reference)
    if found is None:
        abort(404)  # the same answer for someone else's, a closed and an unknown case
    debtor = services.debtor_details(current_user)
    case_entries = services.entries(found)  # one query for both the figures and the history
    masked = not current_user.full
    details = {
        "name": services.mask_name(debtor.name) if masked else debtor.name,
        "email": debtor.email and (services.mask_email(debtor.email) if masked else debtor.email),
        "phone": debtor.phone and (services.mask_phone(debtor.phone) if masked else debtor.phone),
    }
    return render_template(
        "debtor/case.html",
        case=found,
        export=found.export,
        figures=services.figures(found, case_entries),
        history=services.history(found, case_entries),
        details=details,
        masked=masked,
        on_hold=found.export.status == CaseStatus.on_hold,
    )
