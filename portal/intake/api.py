"""PUT/GET /api/v1/cases/<reference>: the collection system pushes one case, or reads it back."""

from flask import jsonify, request
from sqlalchemy.exc import IntegrityError

from portal.api.blueprint import api_error, bp, require_api_key
from portal.extensions import db
from portal.intake import services

_STATUS = {"created": 201, "updated": 200, "unchanged": 200}


@bp.put("/cases/<reference>")
@require_api_key
def put_case(reference: str):
    """Create or update a case from one export record (same rules as files)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_json", "the body must be a JSON object holding the case record")
    try:
        outcome = services.push(reference, body)
    except IntegrityError:
        db.session.rollback()  # a concurrent push created this case first: judge the record against it
        outcome = services.push(reference, body)
    db.session.commit()  # nothing changed unless the record was accepted; keeps the key's last_used_at
    if outcome.result == "invalid":
        return _invalid(outcome.errors)
    if outcome.result == "stale":
        response = api_error(409, "stale", "the portal holds a newer export of this case; this record is ignored",
                             field="exported_at")
        return _extend(response, held_exported_at=services.rfc3339(outcome.held_exported_at))
    if outcome.result == "conflict":
        field, reason = outcome.errors[0]
        return api_error(409, "conflict", f"{field} {reason}", field=field)
    response = jsonify({"result": outcome.result, **services.describe(outcome.case)})
    response.status_code = _STATUS[outcome.result]
    return response


@bp.get("/cases/<reference>")
@require_api_key
def get_case(reference: str):
    """The case as the portal holds it, with what the debtor owes now."""
    case = services.find_case(reference)
    if case is None or case.export is None:
        db.session.commit()  # keeps the key's last_used_at
        return api_error(404, "not_found", "no case with this reference", field="case_reference")
    body = services.describe(case)
    db.session.commit()
    return jsonify(body)


def _invalid(errors: list[tuple[str, str]]):
    """422 naming every bad field; `field` and `message` describe the first."""
    field, reason = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    response = api_error(422, "invalid_record", f"{field} {reason}{more}", field=field)
    return _extend(response, errors=[{"field": f, "reason": r} for f, r in errors])


def _extend(response, **extra):
    """Add members to an `api_error` JSON body."""
    body = response.get_json()
    body.update(extra)
    response.set_data(jsonify(body).get_data())
    return response
