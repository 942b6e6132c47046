"""Paying in a real browser: the portal's pay page, the emulator's hosted Checkout page, the receipt."""

from __future__ import annotations

from tests.e2e import harness
from tests.e2e.journeys import open_case, sign_in_with_link, submit

pytestmark = harness.EVERY_DEVICE

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


def go_to_pay_page(page, check, case) -> None:
    """Signed in with the link, from "what you owe" to the pay page."""
    sign_in_with_link(page, case, check)
    open_case(page, case, check)
    with page.expect_navigation():
        page.get_by_role("link", name="Pay online").click()
    check(page, "pay page")


def test_pay_in_full_on_the_checkout_page_then_the_receipt(page, check, debtor_case, live):
    """Pay €119.50 by card on Stripe's page; back on the portal the receipt shows nothing more is due."""
    go_to_pay_page(page, check, debtor_case)
    submit(page, "Pay €119.50")
    assert page.url.startswith(live.stripe_url + "/c/pay/cs_test_"), page.url
    page.fill("#card_number", VISA)
    page.fill("#name", "Marie Dupont")
    submit(page, "Pay 119.50 EUR")
    assert page.url.startswith(live.url + "/payments/"), page.url
    assert page.locator("h1").inner_text() == "Thank you, your payment is received"
    check(page, "receipt")
    assert page.locator(".receipt .amount").inner_text() == "€119.50"
    assert page.locator(".remaining").inner_text() == "€0.00"
    with page.expect_navigation():
        page.get_by_role("link", name="Back to what you owe").click()
    check(page, "what you owe, paid")
    assert page.locator(".total .amount").inner_text() == "€0.00"
    assert page.get_by_role("link", name="Pay online").count() == 0


def test_declined_card_then_back_to_the_portal_without_paying(page, check, debtor_case, live):
    """A declined card is explained on Stripe's page; cancelling returns to the pay page, nothing owed changes."""
    go_to_pay_page(page, check, debtor_case)
    submit(page, "Pay €119.50")
    page.fill("#card_number", DECLINED)
    submit(page, "Pay 119.50 EUR")
    assert "declined" in page.locator("#form-error").inner_text().lower()
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel and go back").click()
    assert page.url.endswith(f"/cases/{debtor_case.reference}/pay"), page.url
    check(page, "pay page after cancelling")
    with page.expect_navigation():
        page.get_by_role("link", name="Back to what you owe").click()
    assert "€119.50" in page.locator(".total .amount").inner_text()
