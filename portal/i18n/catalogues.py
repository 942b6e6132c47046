"""The message catalogues: extract, update, fill English and check them.

Used by `bin/i18n` (run it after changing any translatable string) and by
`tests/i18n/test_catalogues.py`, so both extract in exactly the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
#: Besides Babel's defaults (_, gettext, ngettext, ...): lazy strings of forms and validators.
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")
#: The language the source strings are written in: its msgstr is the msgid.
SOURCE_LOCALE = "en"

#: A %-placeholder as Python's % operator reads it (also matches "%%").
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def pybabel(*args: str | Path) -> None:
    """Run a pybabel command in this process, from the repository root."""
    CommandLineInterface().run(["pybabel", "-q", *map(str, args)])


def extract(output: Path = TEMPLATE) -> Catalog:
    """Extract every translatable string of portal/ into `output` and return it."""
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    with contextlib.chdir(ROOT):  # locations relative to the root, whoever runs it
        pybabel(
            "extract", "-F", MAPPING, *keywords, "--add-location=file", "--sort-by-file",
            "-c", "TRANSLATORS:", "--project=portal", "--copyright-holder=The portal authors",
            "--no-wrap", "-o", output, "--input-dirs", ".",
        )
    with open(output, "rb") as fh:
        return read_po(fh)


def catalogue_paths() -> dict[str, Path]:
    """Each language's .po file, by language code."""
    return {p.parents[1].name: p for p in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))}


def update() -> None:
    """Merge the template into every catalogue, then make the English one the source text."""
    pybabel("update", "-i", TEMPLATE, "-d", TRANSLATIONS, "--ignore-obsolete", "--no-wrap")
    fill_source_locale()
    for locale, path in catalogue_paths().items():
        if locale != SOURCE_LOCALE:
            drop_unusable_guesses(path, locale)


def drop_unusable_guesses(path: Path, locale: str) -> None:
    """Empty the fuzzy guesses whose placeholders differ from their msgid.

    Babel's fuzzy matching borrows a similar string's translation; when the placeholders
    differ, `pybabel compile` (make translations) refuses the whole catalogue, so such a
    guess would break the build until someone translates it. Other guesses stay as hints.
    """
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=locale)
    changed = False
    for message in catalog:
        if not (message.id and message.fuzzy):
            continue
        plural = isinstance(message.id, tuple)
        expected = placeholders(message.id[-1] if plural else message.id)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if any((bool(placeholders(s) - expected) if plural else placeholders(s) != expected) or _stray_percent(s)
               for s in strings if s):
            message.string = ("",) * len(strings) if plural else ""
            message.flags.discard("fuzzy")
            changed = True
    if changed:
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=0, ignore_obsolete=True)


def init(locale: str) -> None:
    """Start the catalogue of a new language from the template."""
    pybabel("init", "-i", TEMPLATE, "-d", TRANSLATIONS, "-l", locale, "--no-wrap")
    if locale == SOURCE_LOCALE:
        fill_source_locale()


def fill_source_locale() -> None:
    """English is written in the sources: every msgstr is its msgid, never fuzzy."""
    path = catalogue_paths().get(SOURCE_LOCALE)
    if path is None:
        return
    with open(path, "rb") as fh:
        catalog = read_po(fh, locale=SOURCE_LOCALE)
    for message in catalog:
        if message.id:
            message.string = message.id
            message.flags.discard("fuzzy")
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0)


def compile_all() -> None:
    """Write each catalogue's .mo next to it, as `make translations` does (fuzzy entries left out)."""
    for locale, path in catalogue_paths().items():
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=locale)
        # Written aside under a name of its own, then renamed: a process reading the .mo never sees
        # half a file, and two processes compiling at once (CI's two test runs) never share one.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix="messages.", suffix=".mo.tmp", delete=False) as fh:
            write_mo(fh, catalog)
        os.chmod(fh.name, 0o644)  # readable like the file it replaces, not 0600
        os.replace(fh.name, path.with_suffix(".mo"))


def placeholders(text: str) -> Counter:
    """The %-placeholders of a string, "%%" excepted."""
    return Counter(token for token in _PLACEHOLDER.findall(text) if token != "%%")


def _stray_percent(text: str) -> bool:
    """True when a "%" is neither a placeholder nor "%%" (the % operator would fail on it)."""
    return "%" in _PLACEHOLDER.sub("", text)


def problems(template: Catalog, locale: str, catalog: Catalog) -> list[str]:
    """Everything wrong with one catalogue against the extracted template."""
    found = []
    for source in template:
        if not source.id:
            continue
        label = f"{locale}: {source.id if isinstance(source.id, str) else source.id[0]!r}"
        message = catalog.get(source.id, source.context)
        if message is None:
            found.append(f"{label}: missing from the catalogue (run bin/i18n)")
            continue
        if message.fuzzy:
            found.append(f"{label}: fuzzy, the translation needs checking")
        sources = source.id if isinstance(source.id, tuple) else (source.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"{label}: not translated")
            continue
        expected = placeholders(sources[-1])
        for string in strings:
            got = placeholders(string)
            # A plural form may leave out the count (e.g. "one file"), never add a placeholder.
            wrong = got != expected if len(sources) == 1 else bool(got - expected)
            if wrong or _stray_percent(string):
                found.append(f"{label}: placeholders {sorted(got)} differ from {sorted(expected)}")
    return found


def check(template: Catalog) -> list[str]:
    """Problems of every catalogue (empty when all are complete and up to date)."""
    found = []
    for locale, path in catalogue_paths().items():
        with open(path, "rb") as fh:
            found += problems(template, locale, read_po(fh, locale=locale))
    return found


def main(argv: list[str]) -> int:
    """`bin/i18n [update|init LANG|check]`."""
    command = argv[0] if argv else "update"
    if command == "update":
        extract()
        update()
    elif command == "init" and len(argv) == 2:
        extract()
        init(argv[1])
    elif command == "check":
        with tempfile.TemporaryDirectory() as tmp:
            found = check(extract(Path(tmp) / "messages.pot"))
        print("\n".join(found) or "All catalogues are complete and up to date.")
        return 1 if found else 0
    else:
        print(__doc__ + "\nusage: bin/i18n [update | init LANG | check]", file=sys.stderr)
        return 2
    todo = check(extract(TEMPLATE)) if command == "update" else []
    for line in todo:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
