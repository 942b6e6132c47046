"""Messages, their files and a corrected address are in the export and gone after erasure."""

from __future__ import annotations

from sqlalchemy import select

from portal.cases.models import Debtor
from portal.contact import services as contact
from portal.extensions import db
from portal.messages import services
from portal.messages.models import Message, MessageAttachment
from portal.privacy import services as privacy
from portal.uploads.models import Upload
from portal.uploads.services import path_of
from tests.messages.conftest import PDF, make_case


def _file(name: str, content: bytes):
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(content), filename=name)


def test_export_holds_the_thread_and_erasure_removes_it_with_its_files(app, ctx):
    reference, debtor_id = make_case(app)
    debtor = db.session.get(Debtor, debtor_id)
    services.write_as_debtor(debtor, "Here is my payslip", [_file("payslip.pdf", PDF)])
    contact.change(debtor, address={"line1": "1 rue Haute", "postcode": "75001", "city": "Paris", "country": "FR"})
    db.session.commit()
    upload = db.session.scalars(select(Upload)).one()
    stored = path_of(upload)
    assert stored.exists()

    tables = privacy.export(reference)["tables"]
    assert [m["body"] for m in tables["messages"]] == ["Here is my payslip"]
    assert len(tables["message_attachments"]) == 1 and tables["debtor_addresses"][0]["city"] == "Paris"

    privacy.erase_debtor(debtor_id)
    db.session.commit()
    assert db.session.scalars(select(Message)).all() == []
    assert db.session.scalars(select(MessageAttachment)).all() == []
    assert contact.address_of(debtor_id) is None
    assert not stored.exists()
