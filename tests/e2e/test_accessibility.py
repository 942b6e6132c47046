"""Accessibility beyond axe: keyboard only, visible focus, text at 200%, reduced motion, errors tied to fields."""

from __future__ import annotations

import pytest

from tests.e2e.checks import assert_no_horizontal_scroll
from tests.e2e.journeys import fill_knowledge, sign_in_with_link, submit

#: What the focused element looks like: enough to tell whether focus is visible.
_FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || '').trim().slice(0, 60),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0, shadow: style.boxShadow};
}"""


def tab_to(page, wanted, limit: int = 40) -> dict:
    """Press Tab until `wanted(focused)` is true; every element met on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused["tag"] != "body":
            visible = (focused["outline"] != "none" and focused["width"] >= 2) or focused["shadow"] != "none"
            assert visible, f"focus is not visible on {focused} at {page.url}"
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element wanted on {page.url}")


def test_keyboard_only_from_the_link_to_the_receipt(page, debtor_case, live):
    """Tab and Enter only: skip link, sign-in, the case, the pay page, Stripe's page, the receipt."""
    page.goto(debtor_case.link)
    skip = tab_to(page, lambda f: f["tag"] == "a")
    assert skip["text"] == "Skip to content"
    assert page.locator(".skip").bounding_box()["x"] >= 0  # shown on screen when focused
    tab_to(page, lambda f: f["id"] == "reference")
    page.keyboard.type(debtor_case.reference)
    for field, value in (("dob_day", "12"), ("dob_month", "4"), ("dob_year", "1980")):
        tab_to(page, lambda f, field=field: f["id"] == field)
        page.keyboard.type(value)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/cases"), page.url
    tab_to(page, lambda f: f["text"] == debtor_case.creditor)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, lambda f: f["text"] == "Pay online")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, lambda f: f["text"] == "Pay €119.50")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(live.stripe_url), page.url
    page.focus("#card_number")  # Stripe's page is not ours; its focus styles are Stripe's business
    page.keyboard.type("4242424242424242")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Thank you, your payment is received"
    tab_to(page, lambda f: f["text"] == "Back to what you owe")


def test_error_summary_links_move_focus_to_the_field(page, debtor_case):
    """Following an error in the summary puts the cursor in the field it is about."""
    page.goto(debtor_case.link)
    submit(page, "Continue")
    page.locator(".error-summary a").first.click()
    assert page.evaluate("() => document.activeElement.id") == "reference"


DEBTOR_PATHS = ["/cases", "/cases/{ref}", "/cases/{ref}/pay", "/genuine", "/cases/NO-SUCH-CASE"]


@pytest.mark.parametrize("zoom", ["text-200", "browser-200"])
def test_text_at_200_percent_never_scrolls_sideways(new_page, debtor_case, live, zoom):
    """Text enlarged to 200% on a 360 px phone, and a desktop browser zoomed to 200% (640 CSS px)."""
    if zoom == "text-200":
        page = new_page(**{"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
                           "is_mobile": True, "has_touch": True})
    else:
        page = new_page(viewport={"width": 640, "height": 400}, device_scale_factor=2)

    def enlarge_and_check(state):
        if zoom == "text-200":
            page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
        assert_no_horizontal_scroll(page, f"{state} at {zoom}")

    page.goto(debtor_case.link)
    enlarge_and_check("sign-in")
    submit(page, "Continue")
    enlarge_and_check("sign-in with errors")
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date)
    submit(page, "Continue")
    for path in DEBTOR_PATHS:
        page.goto(live.url + path.format(ref=debtor_case.reference))
        enlarge_and_check(path)


_MOVING = """() => Array.from(document.querySelectorAll('*')).filter(el => {
  const s = getComputedStyle(el);
  const secs = v => Math.max(...v.split(',').map(x => parseFloat(x) || 0));
  return (s.animationName !== 'none' && secs(s.animationDuration) > 0.01) || secs(s.transitionDuration) > 0.01;
}).map(el => el.tagName + (el.className ? '.' + el.className : ''))"""


def test_reduced_motion_is_respected(new_page, debtor_case, live, check):
    """With prefers-reduced-motion, nothing on any page animates or transitions."""
    page = new_page(reduced_motion="reduce")
    page.goto(debtor_case.link)
    assert page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert page.evaluate(_MOVING) == []
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date)
    submit(page, "Continue")
    for path in DEBTOR_PATHS:
        page.goto(live.url + path.format(ref=debtor_case.reference))
        check(page, f"{path} with reduced motion")
        assert page.evaluate(_MOVING) == [], path
