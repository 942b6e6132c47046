"""Which language a page speaks: the switcher's choice, the debtor's language, the browser's, English."""

from __future__ import annotations

import pytest

from portal.i18n import best_match
from tests import factories
from tests.helpers import choose_language, sign_in

FRENCH_TOTAL = "1\u202f234,56\u00a0€"  # as a French reader writes it: narrow space, comma, space, euro
ENGLISH_TOTAL = "€1,234.56"


def page(client, case, **headers):
    """The case page's HTML, its language and whether its words and amount are French."""
    html = client.get(f"/cases/{case.reference}", headers=headers).get_data(as_text=True)
    lang = html.split('<html lang="', 1)[1].split('"', 1)[0]
    if "Ce que vous devez" in html and FRENCH_TOTAL in html:
        return lang, "fr"
    if "What you owe" in html and ENGLISH_TOTAL in html:
        return lang, "en"
    raise AssertionError("neither a French nor an English page")


def debtor_case(language):
    """A case of €1,234.56 whose debtor's letters are in `language`."""
    return factories.case(language=language, principal=123456, interest=0, fees=0, costs=0)


def test_the_debtors_language_comes_before_the_browsers(client, ctx):
    case = debtor_case("fr")
    sign_in(client, case)
    assert page(client, case, **{"Accept-Language": "en-GB,en;q=0.9"}) == ("fr", "fr")


def test_the_switchers_choice_comes_before_the_debtors_language(client, ctx):
    case = debtor_case("fr")
    sign_in(client, case)
    choose_language(client, "en")
    assert page(client, case, **{"Accept-Language": "fr"}) == ("en", "en")


def test_the_browser_decides_when_the_debtor_has_no_language(client, ctx):
    case = debtor_case(None)
    sign_in(client, case)
    assert page(client, case, **{"Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}) == ("fr", "fr")


def test_a_language_the_portal_does_not_offer_falls_through_to_the_browser(client, ctx):
    case = debtor_case("pt-PT")
    sign_in(client, case)
    assert page(client, case, **{"Accept-Language": "fr"}) == ("fr", "fr")


def test_a_regional_debtor_language_uses_its_base_language(client, ctx):
    case = debtor_case("fr-CA")
    sign_in(client, case)
    assert page(client, case, **{"Accept-Language": "en"}) == ("fr", "fr")


def test_english_when_nothing_else_matches(client, ctx):
    case = debtor_case(None)
    sign_in(client, case)
    assert page(client, case) == ("en", "en")
    assert page(client, case, **{"Accept-Language": "pt-PT,pt;q=0.9"}) == ("en", "en")


def test_the_switcher_also_speaks_to_visitors_not_signed_in(client, ctx):
    choose_language(client, "fr")
    html = client.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr"' in html and "Cette page n’existe pas." in html


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("fr", "fr"), ("fr_BE", "fr"), ("FR-ca", "fr"), ("en-US", "en"), ("pt-PT", None), ("", None), (None, None)],
)
def test_best_match_maps_tags_to_offered_languages(app, tag, expected):
    with app.test_request_context():
        assert best_match(tag) == expected


def test_dates_are_formatted_in_the_page_language_and_the_user_time_zone(app):
    from datetime import UTC, date, datetime

    from flask_babel import force_locale

    from portal.i18n import format_date

    with app.test_request_context():
        with force_locale("de"):
            assert format_date(date(2026, 6, 1), "long") == "1. Juni 2026"
        with force_locale("fi"):
            assert format_date(datetime(2026, 6, 1, 23, 30, tzinfo=UTC), "long") == "1. kesäkuuta 2026"
        with force_locale("en"):
            assert format_date(date(2026, 6, 1), "long") == "June 1, 2026"


def test_templates_follow_a_forced_locale_and_return_to_the_page_language(app):
    from flask import render_template_string
    from flask_babel import force_locale

    template = '{{ _("Total due now") }}'
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        before = render_template_string(template)
        with force_locale("de"):
            forced = render_template_string(template)
        after = render_template_string(template)
    assert (before, forced, after) == ("Total dû à ce jour", "Offener Betrag", "Total dû à ce jour")
