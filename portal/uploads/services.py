"""Checking, storing, opening and deleting uploaded files.

A file is accepted only when its first bytes say it is a PDF, JPEG or PNG (the name
and the browser's Content-Type are ignored), it is not empty and not over
UPLOAD_MAX_BYTES. It is stored under PORTAL_VAR_DIR/uploads/<key[:2]>/<key> where
the key is random, so a file name can never choose where it lands.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from flask_sqlalchemy.session import Session
from sqlalchemy.orm import SessionTransaction
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.uploads.models import Upload

#: Defaults when the app's config does not set UPLOAD_MAX_BYTES / UPLOAD_MAX_FILES.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_FILES = 5
#: Longest file name kept for display.
NAME_MAX = 120
#: Magic numbers of the accepted types, with the extension a download gets.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
EXTENSIONS = {mime: ext for _sig, mime, ext in SIGNATURES}
_CHUNK = 64 * 1024
#: session.info keys: files written in the open transaction, files to delete once it commits.
_WRITTEN = "uploads_written"
_DOOMED = "uploads_doomed"


class UploadError(ValueError):
    """A file was refused; `message` is translated and names the file and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    """The size limit of one file, in bytes."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_files() -> int:
    """How many files one form may carry."""
    return int(current_app.config.get("UPLOAD_MAX_FILES", DEFAULT_MAX_FILES))


def storage_root() -> Path:
    """PORTAL_VAR_DIR/uploads: outside the static folder, never served by the web server."""
    return Path(current_app.config["PORTAL_VAR_DIR"]) / "uploads"


def clean_name(raw: str | None) -> str:
    """The sent name without any directory part or control characters, at most NAME_MAX long."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return name[-NAME_MAX:] or "file"


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes prove, or None."""
    for signature, mime, _ext in SIGNATURES:
        if head.startswith(signature):
            return mime
    return None


def displayed_name(raw: str | None, mime: str) -> str:
    """The clean name, with the extension of the type the content really has."""
    name = clean_name(raw)
    stem, dot, ext = name.rpartition(".")
    wanted = EXTENSIONS[mime]
    if dot and "." + ext.lower() in (wanted, ".jpeg" if mime == "image/jpeg" else wanted):
        return name
    base = stem if dot and stem else name
    return base[: NAME_MAX - len(wanted)] + wanted


def _read_limited(file: FileStorage, name: str) -> bytes:
    """The whole content, refusing an empty file or one over the limit without reading it all."""
    limit = max_bytes()
    stream = file.stream
    data = bytearray()
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
        if len(data) > limit:
            raise UploadError(_("“%(name)s” is larger than %(limit)s MB. Please send a smaller file.",
                                name=name, limit=_megabytes(limit)))
    if not data:
        raise UploadError(_("“%(name)s” is empty.", name=name))
    return bytes(data)


def _megabytes(size: int) -> str:
    """A size limit for messages: whole megabytes where possible."""
    mb = size / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}"


def check_count(files: Iterable[FileStorage]) -> list[FileStorage]:
    """The files actually chosen (empty file inputs dropped), refused when there are too many."""
    chosen = [f for f in files if f is not None and f.filename]
    if len(chosen) > max_files():
        raise UploadError(_("You can send at most %(count)d files at once.", count=max_files()))
    return chosen


def _check(file: FileStorage) -> tuple[bytes, str, str]:
    """Read and type one file: (content, MIME type, display name) or UploadError."""
    shown = clean_name(file.filename)
    data = _read_limited(file, shown)
    mime = sniff(data[:16])
    if mime is None:
        raise UploadError(_("“%(name)s” is not a PDF, JPEG or PNG file. Please send one of those.", name=shown))
    return data, mime, displayed_name(file.filename, mime)


def _write(data: bytes) -> str:
    """Store the bytes under a new random key (atomically: a crash leaves no half file)."""
    key = secrets.token_hex(24)
    directory = storage_root() / key[:2]
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{key}.tmp"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, directory / key)
    db.session.info.setdefault(_WRITTEN, []).append(directory / key)
    return key


def _add(data: bytes, mime: str, name: str, owner_debtor_id: int) -> Upload:
    """Write the file and add its row; flushes only."""
    upload = Upload(owner_debtor_id=owner_debtor_id, storage_key=_write(data), filename=name,
                    content_type=mime, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    db.session.add(upload)
    db.session.flush()
    return upload


def save_upload(file_storage: FileStorage, owner_debtor_id: int) -> Upload:
    """Check and store one file for the debtor; raises UploadError. Flushes only."""
    data, mime, name = _check(file_storage)
    return _add(data, mime, name, owner_debtor_id)


def save_uploads(files: Iterable[FileStorage], owner_debtor_id: int) -> list[Upload]:
    """Check every file first (count, type, size), then store them all: none stored if one is refused."""
    checked = [_check(f) for f in check_count(files)]
    return [_add(data, mime, name, owner_debtor_id) for data, mime, name in checked]


def path_of(upload: Upload) -> Path:
    """Where the bytes of `upload` are."""
    key = upload.storage_key
    if not key.isalnum():  # keys are hex; anything else is not ours
        raise ValueError("bad storage key")
    return storage_root() / key[:2] / key


def open_upload(upload: Upload) -> BinaryIO:
    """A binary stream of the stored file (the caller closes it)."""
    return open(path_of(upload), "rb")


def delete_upload(upload: Upload) -> None:
    """Delete the row (flush only); the file goes once the transaction commits."""
    db.session.info.setdefault(_DOOMED, []).append(path_of(upload))
    db.session.delete(upload)
    db.session.flush()


def _after_commit(session: Session) -> None:
    """The rows are durable: keep the new files, remove the deleted ones."""
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DOOMED, []):
        path.unlink(missing_ok=True)


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """The rows are gone: remove the files written for them, keep the ones not deleted after all."""
    if previous.nested:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_DOOMED, None)
    for path in session.info.pop(_WRITTEN, []):
        path.unlink(missing_ok=True)


def install_session_hooks() -> None:
    """Listen on the session class once per process."""
    for name, fn in (("after_commit", _after_commit), ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
