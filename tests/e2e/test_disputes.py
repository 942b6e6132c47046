"""A dispute in a real browser: the form's errors at their fields, then a reason, a message and a PDF."""

from __future__ import annotations

import pytest

from tests.e2e.checks import invalid_fields
from tests.e2e.journeys import open_case, sign_in_with_link, submit

#: A phone without JavaScript, and a desktop with it.
pytestmark = pytest.mark.parametrize(("device", "js"), [("phone-360", False), ("desktop", True)],
                                     ids=["phone-360-js-off", "desktop-js-on"])

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_dispute_with_an_uploaded_file(page, check, debtor_case):
    """Nothing chosen is refused at the reason; a complete dispute with its evidence is confirmed."""
    sign_in_with_link(page, debtor_case, check)
    open_case(page, debtor_case, check)
    with page.expect_navigation():
        page.get_by_role("link", name="I dispute this debt").click()
    check(page, "dispute form")
    submit(page, "Send my dispute")
    check(page, "dispute form: nothing chosen")
    assert invalid_fields(page)
    page.locator("#reason input[type=radio]").first.check()
    page.fill("#message", "I paid this invoice in July; the bank statement is attached.")
    page.set_input_files("#evidence", files=[{"name": "statement.pdf", "mimeType": "application/pdf",
                                              "buffer": PDF}])
    submit(page, "Send my dispute")
    check(page, "dispute sent")
    assert page.locator("h1").inner_text() == "Your dispute"
    assert page.get_by_text("statement.pdf").count() >= 1
