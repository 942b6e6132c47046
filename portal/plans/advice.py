"""Free, independent debt advice to signpost, by the debtor's country.

Only well-known national services are named; elsewhere the text stays generic rather
than risk sending someone to the wrong place. Names are proper nouns, not translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Advice:
    """Where to find free debt advice."""

    name: str
    url: str | None


#: ISO 3166 country -> national free debt-advice service.
SERVICES: dict[str, Advice] = {
    "GB": Advice("MoneyHelper", "https://www.moneyhelper.org.uk"),
    "IE": Advice("MABS (Money Advice and Budgeting Service)", "https://www.mabs.ie"),
    "NL": Advice("Geldfit", "https://www.geldfit.nl"),
    "AT": Advice("Staatlich anerkannte Schuldenberatungen", "https://www.schuldenberatung.at"),
    "DE": Advice("Verbraucherzentrale – Schuldnerberatung", "https://www.verbraucherzentrale.de"),
    "FI": Advice("Takuusäätiö", "https://www.takuusaatio.fi"),
    "FR": Advice("Point conseil budget", "https://www.service-public.fr"),
}
#: Everywhere else (BE, ES, IT, PT, LU, DK, SE, PL, ...): the generic wording.
GENERIC = _l("the free debt advice service of your local council or social services")


def for_country(country: str | None) -> Advice:
    """The service to signpost for a debtor living in `country` (generic when unsure)."""
    return SERVICES.get((country or "").upper(), Advice(str(GENERIC), None))
