"""What every portal page must satisfy in a real browser: no script, WCAG 2.2 AA by axe-core, no sideways scroll."""

from __future__ import annotations

import json

from tests.e2e.harness import AXE_TAGS

#: Runs axe on the whole document; the source is evaluated through the DevTools protocol,
#: so the portal's CSP (no script at all) stays on while it runs.
_AXE_RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""


class PageChecker:
    """Checks each page state a journey reaches and remembers what it saw."""

    def __init__(self, axe_source: str, context_options: dict) -> None:
        self.axe_source = axe_source
        self.options = context_options
        self.seen: list[str] = []

    def __call__(self, page, state: str) -> None:
        """All the checks on the page as it is now; `state` names it in failure messages."""
        self.seen.append(state)
        assert_no_script(page, state)
        if (axe_page := self._axe_page(page)) is not None:
            assert_no_axe_violations(axe_page, self.axe_source, state)
        assert_no_horizontal_scroll(page, state)
        assert_errors_tied_to_fields(page, state)

    def _axe_page(self, page):
        """The page itself, for axe; None with JavaScript off, where axe cannot run.

        No portal page has a script (asserted just before), so the document is the same
        with JavaScript on or off: the JavaScript-on run of the same journey checks it.
        """
        return page if self.options.get("java_script_enabled", True) else None


def assert_no_script(page, state: str) -> None:
    """The portal works without JavaScript: no page carries a script element."""
    count = page.locator("script").count()
    assert count == 0, f"{state}: {count} <script> element(s) on {page.url}"


def axe_violations(page, axe_source: str) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on the current page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source + "\n;undefined")
    return page.evaluate(_AXE_RUN % json.dumps(AXE_TAGS))


def assert_no_axe_violations(page, axe_source: str, state: str) -> None:
    """Zero violations at WCAG 2.2 AA."""
    found = axe_violations(page, axe_source)
    lines = [f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found]
    assert not found, f"{state}: axe found {len(found)} violation(s) on {page.url}:\n" + "\n".join(lines)


def assert_no_horizontal_scroll(page, state: str) -> None:
    """Nothing pushes the page wider than the screen."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{state}: page is {widths[0]}px wide on a {widths[1]}px screen ({page.url})"


#: An invalid field is described by an error: its own, or its group's (the day, month and year
#: inputs of a date share the fieldset's message, as the GOV.UK date input does).
_TIED = """() => Array.from(document.querySelectorAll('[aria-invalid="true"]')).map(el => {
  const group = el.closest('fieldset');
  const described = [el.getAttribute('aria-describedby'), group && group.getAttribute('aria-describedby')];
  const ids = [...new Set(described.join(' ').split(/\\s+/))].filter(id => id && id !== 'null');
  const errors = ids.map(id => document.getElementById(id)).filter(e => e && e.classList.contains('error'));
  return {field: el.id || el.tagName, errors: errors.map(e => e.textContent.trim()).filter(Boolean)};
})"""

_SUMMARY_TARGETS = """() => Array.from(document.querySelectorAll('.error-summary a[href^="#"]'))
  .map(a => [a.getAttribute('href').slice(1), !!document.getElementById(a.getAttribute('href').slice(1))])"""


def assert_errors_tied_to_fields(page, state: str) -> None:
    """Every invalid field names its error message through aria-describedby; summary links reach a field."""
    for field in page.evaluate(_TIED):
        assert field["errors"], f"{state}: invalid field {field['field']} has no error text in aria-describedby"
    for target, exists in page.evaluate(_SUMMARY_TARGETS):
        assert exists, f"{state}: the error summary links to #{target}, which is not on the page"


def invalid_fields(page) -> dict[str, list[str]]:
    """{field id: its error messages} for the fields marked invalid."""
    return {f["field"]: f["errors"] for f in page.evaluate(_TIED)}
