"""Deterministic synthetic case exports, for the demo loader, benchmarks and tests.

`generate_records(n, seed)` yields `n` records (dicts of strings, as a CSV export
holds them) lazily, so a million of them need no more memory than one. The same
seed always gives the same records. People and businesses across the agency's
fifteen European countries, with matching languages, currencies, postcodes and
phone numbers; a few names in non-Latin and right-to-left scripts; some debtors
with several cases; some without e-mail or phone; businesses without birth dates.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import IO

from portal.intake.records import FIELDS

#: country: (language, currency, phone prefix, postcode pattern, business suffix,
#:           first names, last names, shop word)
COUNTRIES = {
    "FR": ("fr", "EUR", "+336", "#####", "SARL", "Marie Jean Élodie François Chloé Loïc", "Dupont Lefèvre Moreau Girard Bérénger", "Boutique"),
    "DE": ("de", "EUR", "+4915", "#####", "GmbH", "Jürgen Anna Lukas Sophie Björn Grete", "Müller Schmidt Weiß Köhler Groß", "Kaufhaus"),
    "AT": ("de-AT", "EUR", "+43664", "####", "GmbH", "Florian Katharina Johann Theresa", "Gruber Huber Bauer Pichler Wögerer", "Handel"),
    "NL": ("nl", "EUR", "+316", "#### @@", "B.V.", "Daan Emma Sanne Bram Fleur", "de Vries Jansen van den Berg Bakker Visser", "Winkel"),
    "BE": ("nl-BE", "EUR", "+324", "####", "BV", "Lucas Louise Arthur Elise Noah", "Peeters Janssens Maes Claes Dubois", "Handel"),
    "IE": ("en-IE", "EUR", "+3538", "@## @@@@", "Ltd", "Aoife Seán Niamh Ciarán Siobhán", "Murphy O'Brien Ó Súilleabháin Kelly Byrne", "Stores"),
    "ES": ("es", "EUR", "+346", "#####", "S.L.", "Iñaki Lucía Álvaro Begoña Martín", "García Núñez Fernández Peña Ibáñez", "Tienda"),
    "IT": ("it", "EUR", "+393", "#####", "S.r.l.", "Giulia Marco Niccolò Chiara Lorenzo", "Rossi Bianchi Esposito Colombo Ricci", "Negozio"),
    "FI": ("fi", "EUR", "+35840", "#####", "Oy", "Väinö Aino Eetu Siiri Jussi", "Häkkinen Virtanen Mäkinen Nieminen Korhonen", "Kauppa"),
    "SE": ("sv", "SEK", "+467", "### ##", "AB", "Åsa Erik Linnéa Björn Maja", "Andersson Lindström Ångström Berg Öberg", "Butik"),
    "NO": ("nb", "NOK", "+474", "####", "AS", "Ola Kari Øystein Ingrid Håkon", "Hansen Johansen Bjørnstad Løvås Dahl", "Butikken"),
    "DK": ("da", "DKK", "+452", "####", "ApS", "Søren Mette Jørgen Freja Mads", "Nielsen Jørgensen Sørensen Møller Holm", "Butik"),
    "PL": ("pl", "PLN", "+485", "##-###", "sp. z o.o.", "Łukasz Zofia Paweł Małgorzata Jakub", "Nowak Wiśniewski Wójcik Kowalczyk Żak", "Sklep"),
    "CZ": ("cs", "CZK", "+4206", "### ##", "s.r.o.", "Jiří Tereza Tomáš Kateřina Lukáš", "Novák Dvořák Černý Šťastný Procházka", "Obchod"),
    "IS": ("is", "ISK", "+3546", "###", "ehf.", "Guðrún Sigurður Þóra Jón Ástríður", "Jónsdóttir Sigurðsson Þórsson Guðmundsdóttir", "Verslun"),
}
#: Residents whose names are written in other scripts (Arabic, Hebrew, Greek, Cyrillic, CJK).
OTHER_SCRIPTS = ["محمد العلي", "فاطمة حسن", "דוד כהן", "שרה לוי", "Νίκος Παπαδόπουλος", "Олена Коваленко", "王芳", "佐藤 花子"]
#: Minor units per "euro's worth" of each currency (ISK has no minor unit: whole krónur).
_SCALE = {"EUR": 100, "SEK": 1100, "NOK": 1100, "DKK": 750, "PLN": 430, "CZK": 2500, "ISK": 150}
EXPORTED_AT = "2026-11-20T08:00:00Z"


def _pattern(rng: random.Random, pattern: str) -> str:
    """Fill # with digits and @ with capital letters."""
    return "".join(
        str(rng.randrange(10)) if c == "#" else chr(65 + rng.randrange(26)) if c == "@" else c for c in pattern
    )


def _creditors(rng: random.Random, k: int) -> list[tuple[str, str, str]]:
    """`k` creditors (id, name, country), spread over the countries."""
    countries = list(COUNTRIES)
    out = []
    for i in range(k):
        country = countries[i % len(countries)]
        lang, _, _, _, suffix, _, lasts, shop = COUNTRIES[country]
        name = f"{shop} {rng.choice(lasts.split())} {suffix}"
        out.append((f"{shop.upper()}-{country}-{i + 1:03d}", name, country))
    return out


def generate_records(
    n: int, seed: int = 1, *, creditors: int = 30, exported_at: str = EXPORTED_AT, prefix: str = "AK"
) -> Iterator[dict[str, str]]:
    """Yield `n` synthetic export records (all values strings; '' for absent)."""
    rng = random.Random(seed)
    creds = _creditors(rng, max(1, creditors))
    recent: list[dict[str, str]] = []  # debtors that may get another case
    base = date(2026, 11, 20)
    for i in range(1, n + 1):
        cred_id, cred_name, cred_country = creds[rng.randrange(len(creds))]
        if recent and rng.random() < 0.08:
            debtor = rng.choice(recent)  # a debtor with several cases
        else:
            debtor = _debtor(rng, i, cred_country if rng.random() < 0.8 else None)
            if debtor["debtor_id"]:
                recent.append(debtor)
                if len(recent) > 200:
                    recent.pop(0)
        currency = COUNTRIES[debtor["debtor_country"]][1]
        scale = _SCALE[currency]
        principal = rng.randrange(20, 5000) * scale + rng.randrange(scale)
        invoice = base - timedelta(days=rng.randrange(40, 900))
        yield {
            "case_reference": f"{prefix}-{invoice.year}-{i:07d}",
            "creditor_id": cred_id,
            "creditor_name": cred_name,
            **debtor,
            "currency": currency,
            "principal_minor": str(principal),
            "interest_minor": str(principal * rng.randrange(0, 12) // 100),
            "fees_minor": str(rng.choice((0, 0, 5, 10, 15)) * scale),
            "costs_minor": str(rng.choice((0, 40, 70, 120)) * scale),
            "invoice_number": f"INV-{rng.randrange(10**6):06d}",
            "invoice_date": invoice.isoformat(),
            "due_date": (invoice + timedelta(days=30)).isoformat(),
            "risk_score": "" if rng.random() < 0.1 else str(rng.randrange(101)),
            "status": rng.choices(("open", "on_hold", "closed"), weights=(90, 6, 4))[0],
            "events_applied_through": "0",
            "exported_at": exported_at,
        }


def _debtor(rng: random.Random, i: int, country: str | None) -> dict[str, str]:
    """A new person (80%) or business, in `country` or a random one of the fifteen."""
    country = country or rng.choice(list(COUNTRIES))
    lang, _, phone, postcode, suffix, firsts, lasts, shop = COUNTRIES[country]
    business = rng.random() < 0.2
    if business:
        name = f"{rng.choice(lasts.split())} {shop} {suffix}"
    elif rng.random() < 0.03:
        name = rng.choice(OTHER_SCRIPTS)
    else:
        name = f"{rng.choice(firsts.split())} {rng.choice(lasts.split())}"
    birth = "" if business else (date(1940, 1, 1) + timedelta(days=rng.randrange(23000))).isoformat()
    return {
        "debtor_id": f"D{i:08d}" if rng.random() < 0.9 else "",
        "debtor_type": "business" if business else "person",
        "debtor_name": name,
        "debtor_email": "" if rng.random() < 0.15 else f"debtor{i}@example.{country.lower()}",
        "debtor_phone": "" if rng.random() < 0.2 else phone + "".join(str(rng.randrange(10)) for _ in range(7)),
        "debtor_birth_date": birth,
        "debtor_postcode": _pattern(rng, postcode),
        "debtor_country": country,
        "debtor_language": lang,
    }


def write(records: Iterator[dict[str, str]], out: IO[str], fmt: str = "csv") -> int:
    """Write records as CSV (with header) or JSON Lines; returns how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for count, record in enumerate(records, start=1):
            writer.writerow([record[name] for name in FIELDS])
    else:
        for count, record in enumerate(records, start=1):
            out.write(json.dumps({k: v for k, v in record.items() if v != ""}, ensure_ascii=False) + "\n")
    return count
