"""The countries a debtor may live in: ISO 3166-1 alpha-2 codes, named by CLDR (through Babel)."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale

#: Two-letter CLDR territories that ISO 3166-1 does not assign to a country: groupings (EU, EZ, UN, QO),
#: CLDR's test regions (XA, XB), "unknown" (ZZ) and the exceptionally reserved codes
#: (Ascension, Clipperton, Sark, Diego Garcia, Ceuta and Melilla, Canary Islands, Tristan da Cunha).
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"})

#: Every ISO 3166-1 alpha-2 code CLDR names (Kosovo's user-assigned XK included, as CLDR does).
COUNTRIES = frozenset(
    code for code in Locale("en").territories if len(code) == 2 and code.isalpha()
) - NOT_COUNTRIES


@lru_cache(maxsize=32)
def country_names(locale: str) -> tuple[tuple[str, str], ...]:
    """(code, name in `locale`) for every country, sorted by that name."""
    names = Locale.parse(locale).territories
    return tuple(sorted(((code, names.get(code, code)) for code in COUNTRIES), key=lambda item: item[1]))
