"""The catalogues are complete, reviewed, up to date with the sources and keep every placeholder."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from portal.i18n import catalogues


def _catalog(locale: str, entries: dict, fuzzy: tuple = ()) -> Catalog:
    """A small in-memory catalogue."""
    catalog = Catalog(locale=locale)
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    return catalog


def test_every_catalogue_is_complete_and_up_to_date(tmp_path):
    template = catalogues.extract(tmp_path / "messages.pot")
    assert len([m for m in template if m.id]) > 20  # extraction found the sources
    assert set(catalogues.catalogue_paths()) >= {"en", "fr"}
    problems = catalogues.check(template)
    assert problems == [], "run bin/i18n and translate:\n" + "\n".join(problems)


def test_offered_languages_have_a_catalogue(app):
    assert set(app.config["PORTAL_LANGUAGES"]) <= set(catalogues.catalogue_paths())


def test_english_catalogue_is_the_source_text():
    with open(catalogues.catalogue_paths()["en"], "rb") as fh:
        catalog = read_po(fh)
    assert [m.id for m in catalog if m.id and m.string != m.id] == []


def test_a_string_missing_from_a_catalogue_is_reported():
    template = _catalog("en", {"Total due now": "", "Reference": ""})
    found = catalogues.problems(template, "fr", _catalog("fr", {"Reference": "Référence"}))
    assert found == ["fr: 'Total due now': missing from the catalogue (run bin/i18n)"]


def test_an_empty_or_fuzzy_translation_is_reported():
    template = _catalog("en", {"Reference": "", "Status": ""})
    found = catalogues.problems(
        template, "fr", _catalog("fr", {"Reference": "", "Status": "Statut"}, fuzzy=("Status",))
    )
    assert found == ["fr: 'Reference': not translated", "fr: 'Status': fuzzy, the translation needs checking"]


def test_a_changed_placeholder_is_reported():
    source = "Payment received: %(amount)s"
    template = _catalog("en", {source: ""})
    for wrong in ("Paiement reçu : %(montant)s", "Paiement reçu", "Paiement reçu : %(amount)d", "100 % reçu %(amount)s"):
        found = catalogues.problems(template, "fr", _catalog("fr", {source: wrong}))
        assert len(found) == 1 and "placeholders" in found[0], wrong
    assert catalogues.problems(template, "fr", _catalog("fr", {source: "Reçu : %(amount)s (100 %%)"})) == []


def test_plural_forms_may_leave_out_the_count_but_not_add_a_placeholder():
    template = Catalog(locale="en")
    template.add(("%(num)d case", "%(num)d cases"), ("", ""))
    ok = Catalog(locale="fr")
    ok.add(("%(num)d case", "%(num)d cases"), ("un dossier", "%(num)d dossiers"))
    bad = Catalog(locale="fr")
    bad.add(("%(num)d case", "%(num)d cases"), ("%(n)d dossier", "%(num)d dossiers"))
    assert catalogues.problems(template, "fr", ok) == []
    assert len(catalogues.problems(template, "fr", bad)) == 1


def test_a_fuzzy_guess_with_other_placeholders_is_emptied_so_the_catalogue_still_compiles(tmp_path):
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="fr")
    catalog.add("Sent to %(number)s", "Par e-mail à %(email)s", flags=("fuzzy",))
    catalog.add("Between %(low)s and %(high)s", "Entre %(low)s et %(high)s", flags=("fuzzy",))
    catalog.add(("%(num)d file", "%(num)d files"), ("%(n)d fichier", "%(n)d fichiers"), flags=("fuzzy",))
    path = tmp_path / "messages.po"
    with open(path, "wb") as fh:
        write_po(fh, catalog)
    catalogues.drop_unusable_guesses(path, "fr")
    with open(path, "rb") as fh:
        result = read_po(fh, locale="fr")
    assert result.get("Sent to %(number)s").string == "" and not result.get("Sent to %(number)s").fuzzy
    assert set(result.get("%(num)d file").string) == {""}
    kept = result.get("Between %(low)s and %(high)s")  # a usable hint stays, still fuzzy
    assert kept.string == "Entre %(low)s et %(high)s" and kept.fuzzy
    assert list(result.check()) == []  # what pybabel compile would refuse
    with open(tmp_path / "messages.mo", "wb") as fh:
        write_mo(fh, result)


def test_every_catalogue_is_offered_by_default():
    from config import LANGUAGES

    assert set(LANGUAGES) == set(catalogues.catalogue_paths())
