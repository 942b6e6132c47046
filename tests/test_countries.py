"""The country list: real countries only, named in the page's language."""

from portal.countries import COUNTRIES, country_names


def test_groupings_test_regions_and_reserved_codes_are_not_countries():
    assert {"FR", "DE", "FI", "CZ", "NO", "XK"} <= COUNTRIES
    assert not COUNTRIES & {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "IC", "EA", "TA"}
    assert 240 < len(COUNTRIES) < 260


def test_names_are_in_the_language_and_sorted_by_them():
    swedish = dict(country_names("sv"))
    assert swedish["DE"] == "Tyskland" and "XB" not in swedish
    names = [name for _code, name in country_names("de")]
    assert names == sorted(names) and "Deutschland" in names
