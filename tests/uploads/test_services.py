"""Uploads: typed from the content, limited in size and count, stored by a random key."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.uploads import UploadError, check_count, delete_upload, open_upload, save_upload, save_uploads
from portal.uploads.models import Upload
from portal.uploads.services import path_of, storage_root
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def file(data: bytes, name: str, content_type: str = "application/pdf") -> FileStorage:
    """A FileStorage as a multipart form would hand it over."""
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


@pytest.fixture
def debtor_id(app, ctx):
    """A debtor's id, inside a request (messages are translated for the request's language)."""
    with app.test_request_context():
        yield factories.case().debtor_id


def test_a_pdf_is_stored_outside_the_web_root_and_reads_back(app, debtor_id):
    upload = save_upload(file(PDF, "receipt.pdf"), debtor_id)
    db.session.commit()
    assert (upload.content_type, upload.filename, upload.size_bytes) == ("application/pdf", "receipt.pdf", len(PDF))
    path = path_of(upload)
    assert path.is_relative_to(storage_root()) and not path.is_relative_to(app.static_folder)
    with open_upload(upload) as stream:
        assert stream.read() == PDF


def test_a_script_named_pdf_is_refused_and_nothing_is_stored(debtor_id):
    with pytest.raises(UploadError) as refused:
        save_upload(file(b"#!/bin/sh\nrm -rf /\n", "evidence.pdf"), debtor_id)
    assert "evidence.pdf" in refused.value.message and "PDF, JPEG or PNG" in refused.value.message
    assert db.session.scalar(db.select(db.func.count()).select_from(Upload)) == 0


def test_html_with_a_png_name_and_content_type_is_refused(debtor_id):
    with pytest.raises(UploadError):
        save_upload(file(b"<html><script>alert(1)</script>", "photo.png", "image/png"), debtor_id)


def test_the_type_comes_from_the_content_and_the_name_follows_it(debtor_id):
    upload = save_upload(file(PNG, "scan.pdf"), debtor_id)
    assert (upload.content_type, upload.filename) == ("image/png", "scan.png")
    assert save_upload(file(JPEG, "photo.JPEG"), debtor_id).filename == "photo.JPEG"


def test_an_oversized_file_is_refused_naming_it_and_the_limit(app, debtor_id):
    big = PDF + b"0" * app.config.get("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
    with pytest.raises(UploadError) as refused:
        save_upload(file(big, "big.pdf"), debtor_id)
    assert "big.pdf" in refused.value.message and "5 MB" in refused.value.message


def test_an_empty_file_is_refused(debtor_id):
    with pytest.raises(UploadError, match="empty"):
        save_upload(file(b"", "nothing.pdf"), debtor_id)


def test_too_many_files_are_refused_before_any_is_stored(debtor_id):
    files = [file(PDF, f"page{i}.pdf") for i in range(6)]
    with pytest.raises(UploadError, match="at most 5"):
        save_uploads(files, debtor_id)
    assert db.session.scalar(db.select(db.func.count()).select_from(Upload)) == 0


def test_one_bad_file_among_several_stores_none(debtor_id):
    with pytest.raises(UploadError):
        save_uploads([file(PDF, "a.pdf"), file(b"MZ\x90\x00", "b.pdf")], debtor_id)
    assert db.session.scalar(db.select(db.func.count()).select_from(Upload)) == 0


def test_empty_file_inputs_are_not_counted(debtor_id):
    assert check_count([file(b"", ""), None, file(PDF, "a.pdf")])[0].filename == "a.pdf"


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\windows\\evil.pdf", "/tmp/x/passwd.pdf"])
def test_a_path_in_the_file_name_never_chooses_where_it_is_stored(debtor_id, name):
    upload = save_upload(file(PDF, name), debtor_id)
    assert "/" not in upload.filename and "\\" not in upload.filename and ".." not in upload.filename
    assert path_of(upload).parent.parent == storage_root()
    assert path_of(upload).name == upload.storage_key


def test_a_rolled_back_upload_leaves_no_file(debtor_id):
    upload = save_upload(file(PDF, "a.pdf"), debtor_id)
    path = path_of(upload)
    assert path.exists()
    db.session.rollback()
    assert not path.exists()


def test_a_deleted_upload_loses_its_file_once_committed(debtor_id):
    upload = save_upload(file(PDF, "a.pdf"), debtor_id)
    db.session.commit()
    path = path_of(upload)
    delete_upload(upload)
    assert path.exists()  # not before the deletion is durable
    db.session.commit()
    assert not path.exists()
