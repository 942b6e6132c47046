"""Downloads: the owning debtor and agents only; another debtor's file is as absent as an unknown one."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.uploads import save_upload
from tests import factories
from tests.agent.conftest import audit_rows
from tests.helpers import sign_in

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def stored(app):
    """Two debtors and a file of the first: (mine, other, upload id), as `sign_in` takes them."""
    with app.test_request_context():
        mine, other = factories.case(), factories.case()
        upload = save_upload(FileStorage(io.BytesIO(PDF), filename="proof.pdf"), mine.debtor_id)
        db.session.commit()
        found = (SimpleNamespace(debtor_id=mine.debtor_id), SimpleNamespace(debtor_id=other.debtor_id), upload.id)
        db.session.remove()
    return found


def test_the_owner_downloads_their_file_as_an_attachment(client, stored):
    mine, _other, upload_id = stored
    sign_in(client, mine)
    response = client.get(f"/files/{upload_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_another_debtors_file_is_never_reachable(client, stored):
    _mine, other, upload_id = stored
    sign_in(client, other)
    assert client.get(f"/files/{upload_id}").status_code == 404
    assert client.get(f"/files/{upload_id + 1000}").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, stored):
    response = client.get(f"/files/{stored[2]}")
    assert response.status_code in (302, 303) and b"PDF" not in response.data


def test_an_agent_downloads_any_file_and_it_is_audited(app, agent_client, stored):
    upload_id = stored[2]
    response = agent_client.get(f"/agent/files/{upload_id}")
    assert response.status_code == 200 and response.data == PDF
    assert [row["target"] for row in audit_rows(app, "upload.open")] == [f"upload:{upload_id}"]


def test_a_debtor_cannot_use_the_agents_route(client, stored):
    sign_in(client, stored[0])
    assert client.get(f"/agent/files/{stored[2]}").status_code == 403
