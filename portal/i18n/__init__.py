"""Locale selection and Babel wiring: the debtor's choice, then their language, then the browser."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import flask_babel
from babel import Locale, UnknownLocaleError, dates
from flask import Flask, current_app, g, request, session
from flask_babel import get_locale, to_user_timezone

from portal.extensions import babel
from portal.money import Money


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector and expose money formatting to templates."""
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own callables walk `g` about ten times per string; a page has ~60 strings.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["dateformat"] = format_date  # Flask-Babel's, remembered per (day, format, locale)
    app.jinja_env.globals["language_choices"] = language_choices
    app.context_processor(template_context)


def _translations():
    """The request's catalogue, as `flask_babel.get_translations()` finds it, remembered per locale object.

    `force_locale` (e-mails in the debtor's language) puts a new Locale object in place, so
    the remembered catalogue is used only while the locale it was found for is current.
    """
    ctx = g.get("_flask_babel") if g else None
    locale = getattr(ctx, "babel_locale", None)
    remembered = getattr(ctx, "portal_translations", None)
    if locale is not None and remembered is not None and remembered[0] is locale:
        return remembered[1]
    translations = flask_babel.get_translations()
    locale = getattr(ctx, "babel_locale", None)  # get_translations() selects it on first use
    if ctx is not None and locale is not None:
        ctx.portal_translations = (locale, translations)
    return translations


def offered() -> list[str]:
    return current_app.config["PORTAL_LANGUAGES"]


def best_match(tag: str | None) -> str | None:
    """Map a BCP 47 tag such as `de-AT` or `fr_BE` to an offered language, or None."""
    if not tag:
        return None
    base = tag.replace("_", "-").split("-")[0].lower()
    if base == "no":  # Norwegian letters often say "no"; our catalogue is Bokmål
        base = "nb"
    return base if base in offered() else None


def select_locale() -> str:
    """The switcher's remembered choice, the signed-in debtor's language, the browser's."""
    chosen = best_match(session.get("locale")) if session else None
    if chosen:
        return chosen
    debtor_language = getattr(g, "debtor_language", None)
    if best_match(debtor_language):
        return best_match(debtor_language)
    return request.accept_languages.best_match(offered()) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    return str(get_locale() or "en")


def format_money(value: Money) -> str:
    """Jinja filter: `{{ amount|money }}` in the current locale."""
    return value.format(current_locale())


def format_date(value: date | datetime, format: str = "medium") -> str:
    """Jinja filter: a date, or the day of a datetime in the user's time zone, in the current locale.

    The same as Flask-Babel's `dateformat`, remembered: a page shows a handful of distinct
    days but formats them many times, and each Babel call costs about 0.1 ms."""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return _format_date(value, format, current_locale())


@lru_cache(maxsize=4096)
def _format_date(value: date, format: str, locale: str) -> str:
    """Babel's formatting of one day."""
    return dates.format_date(value, format, locale=locale)


def language_choices() -> list[tuple[str, str]]:
    """(code, name in its own language) for the switcher."""
    return list(_language_names(tuple(offered())))


@lru_cache(maxsize=8)
def _language_names(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each language named in itself: computed once, not on every page (twelve CLDR lookups)."""
    result = []
    for code in codes:
        try:
            name = Locale.parse(code).get_display_name(code) or code
        except (ValueError, UnknownLocaleError):
            name = code
        result.append((code, name[:1].upper() + name[1:]))
    return tuple(result)


@lru_cache(maxsize=64)
def _direction(locale: str) -> str:
    """"ltr" or "rtl" for a locale code."""
    try:
        return Locale.parse(locale).text_direction
    except (ValueError, UnknownLocaleError):
        return "ltr"


def template_context() -> dict:
    """`current_locale` and `text_direction` for the base template."""
    locale = current_locale()
    return {"current_locale": locale, "text_direction": _direction(locale)}
