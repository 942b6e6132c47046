"""Agents open any debtor's file from the back office; each opening is audited."""

from flask import abort

from portal.agent.access import current_staff, staff_required
from portal.agent.audit import audit
from portal.agent.blueprint import bp
from portal.extensions import db
from portal.uploads.models import Upload
from portal.uploads.views import file_response


@bp.get("/files/<int:upload_id>")
@staff_required()
def upload(upload_id: int):
    """Download a debtor's file (evidence, attachment)."""
    found = db.session.get(Upload, upload_id) or abort(404)
    audit(current_staff(), "upload.open", f"upload:{found.id}", debtor_id=found.owner_debtor_id)
    db.session.commit()
    return file_response(found)
