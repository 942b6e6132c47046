"""POST /api/v1/cases/<reference>/links: the collection system asks for a reminder link."""

from flask import jsonify

from portal.api.blueprint import api_error, bp, require_api_key
from portal.extensions import db
from portal.links import services


@bp.post("/cases/<reference>/links")
@require_api_key
def create_link(reference: str):
    """Issue a link for an open case: 201 with its URL, 404 unknown case, 409 not open."""
    try:
        case = services.find_open_case(reference)
    except services.CaseNotFound as exc:
        return api_error(404, "not_found", f"no case with reference {exc.args[0]!r}", field="case_reference")
    except services.CaseNotOpen as exc:
        return api_error(409, "conflict", f"case {exc.reference} is {exc.status}, not open: no link issued",
                         field="case_reference")
    token, link = services.issue(case)
    db.session.commit()
    body = {"case_reference": case.reference, "url": services.url_for_token(token),
            "expires_at": link.expires_at.isoformat().replace("+00:00", "Z")}
    response = jsonify(body)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"  # the body holds a live credential
    return response
