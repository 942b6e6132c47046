"""The debtor's download of their own files: anyone else's answers 404, like an unknown one."""

import io

from flask import Blueprint, Response, abort, send_file
from flask_login import current_user

from portal.auth.identity import debtor_required
from portal.extensions import db
from portal.uploads.models import Upload
from portal.uploads.services import open_upload

bp = Blueprint("uploads", __name__)


def file_response(upload: Upload) -> Response:
    """Send the stored file as a download that a browser will never run or render inline."""
    with open_upload(upload) as stream:  # small by rule (UPLOAD_MAX_BYTES): read whole, no open handle left
        data = io.BytesIO(stream.read())
    response = send_file(data, mimetype=upload.content_type, as_attachment=True,
                         download_name=upload.filename, max_age=0, etag=False, conditional=False)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/files/<int:upload_id>")
@debtor_required
def download(upload_id: int):
    """One of the signed-in debtor's files."""
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.owner_debtor_id != current_user.debtor_id:
        abort(404)
    return file_response(upload)
