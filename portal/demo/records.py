"""The well-known demo cases printed by `flask demo load`: each shows one situation of the portal."""

#: Creditors of the demo cases that sign in on the knowledge step alone (no e-mail or phone).
KNOWLEDGE_ONLY_CREDITORS = ("DEMO-NL",)
#: Creditors of the demo cases with a settlement offer (DEMO-SE-0001).
SETTLEMENT_CREDITORS = ("DEMO-SE",)
#: What to try on a demo case, printed under it.
NOTES = {
    "DEMO-FR-0001": "hardship: \"I can't pay right now\" offers a pause in collection of up to 30 days",
    "DEMO-FR-0002": "disputes: \"I dispute this debt\" with portal/demo/evidence-bank-transfer.pdf attached;"
                    " an agent decides it at /agent/disputes and Marie reads the answer on the case",
    "DEMO-IE-0001": "plans: choose an offer and pay the first instalment with card 4242 4242 4242 4242",
    "DEMO-IE-0002": "plans: propose EUR 40 a month (outside the creditor's policy): it waits for an agent at /agent",
    "DEMO-SE-0001": "settlement: pay the settlement offer, then download the settlement letter and check"
                    " its code at /verify",
}


def demo_records() -> list[dict[str, str]]:
    """Export records, in the case-file contract's shape, for the cases a newcomer signs in with."""
    # A fixed export time: loading the demo again changes nothing (the import reports "unchanged").
    common = {"events_applied_through": "0", "exported_at": "2026-11-20T08:00:00Z", "status": "open"}
    return [
        {  # a French person with two cases: sees both after signing in to either
            **common, "case_reference": "DEMO-FR-0001", "creditor_id": "DEMO-FR",
            "creditor_name": "Lumière Énergie SA", "debtor_id": "DEMO-D-0001", "debtor_type": "person",
            "debtor_name": "Marie Dupont", "debtor_email": "marie.dupont@example.fr",
            "debtor_phone": "+33612345678", "debtor_birth_date": "1985-03-14",
            "debtor_postcode": "75011", "debtor_country": "FR", "debtor_language": "fr",
            "currency": "EUR", "principal_minor": "48250", "interest_minor": "1930",
            "fees_minor": "1500", "costs_minor": "4000", "invoice_number": "LE-2026-88412",
            "invoice_date": "2026-06-03", "due_date": "2026-07-03", "risk_score": "35",
        },
        {
            **common, "case_reference": "DEMO-FR-0002", "creditor_id": "DEMO-FR-TEL",
            "creditor_name": "Télécom Horizon", "debtor_id": "DEMO-D-0001", "debtor_type": "person",
            "debtor_name": "Marie Dupont", "debtor_email": "marie.dupont@example.fr",
            "debtor_phone": "+33612345678", "debtor_birth_date": "1985-03-14",
            "debtor_postcode": "75011", "debtor_country": "FR", "debtor_language": "fr",
            "currency": "EUR", "principal_minor": "8999", "interest_minor": "0",
            "fees_minor": "500", "costs_minor": "1500", "invoice_number": "TH-552301",
            "invoice_date": "2026-08-14", "due_date": "2026-09-13", "risk_score": "20",
        },
        {  # an English-speaking person in Ireland, one case
            **common, "case_reference": "DEMO-IE-0001", "creditor_id": "DEMO-IE",
            "creditor_name": "Emerald Home Insurance DAC", "debtor_id": "DEMO-D-0002",
            "debtor_type": "person", "debtor_name": "Siobhán O'Connor",
            "debtor_email": "siobhan.oconnor@example.ie", "debtor_phone": "+353851234567",
            "debtor_birth_date": "1979-11-02", "debtor_postcode": "D02 X285",
            "debtor_country": "IE", "debtor_language": "en", "currency": "EUR",
            "principal_minor": "125000", "interest_minor": "6250", "fees_minor": "2500",
            "costs_minor": "9500", "invoice_number": "EHI-0099213", "invoice_date": "2026-03-01",
            "due_date": "2026-03-31", "risk_score": "60",
        },
        {  # owes more than a small budget allows: a proposal of EUR 40 a month goes to an agent's queue
            **common, "case_reference": "DEMO-IE-0002", "creditor_id": "DEMO-IE",
            "creditor_name": "Emerald Home Insurance DAC", "debtor_id": "DEMO-D-0005",
            "debtor_type": "person", "debtor_name": "Ciarán Byrne",
            "debtor_email": "ciaran.byrne@example.ie", "debtor_phone": "+353871234567",
            "debtor_birth_date": "1988-05-09", "debtor_postcode": "T12 X70A",
            "debtor_country": "IE", "debtor_language": "en", "currency": "EUR",
            "principal_minor": "210000", "interest_minor": "8400", "fees_minor": "2500",
            "costs_minor": "9500", "invoice_number": "EHI-0101877", "invoice_date": "2026-02-14",
            "due_date": "2026-03-16", "risk_score": "45",
        },
        {  # a Swedish company: no birth date, so the postcode is the factor
            **common, "case_reference": "DEMO-SE-0001", "creditor_id": "DEMO-SE",
            "creditor_name": "Nordvik Logistik AB", "debtor_id": "DEMO-B-0001",
            "debtor_type": "business", "debtor_name": "Fjällbacka Snickeri AB",
            "debtor_email": "ekonomi@example.se", "debtor_postcode": "457 40",
            "debtor_country": "SE", "debtor_language": "sv", "currency": "SEK",
            "principal_minor": "1875000", "interest_minor": "56250", "fees_minor": "6000",
            "costs_minor": "18000", "invoice_number": "NL-77120", "invoice_date": "2026-05-20",
            "due_date": "2026-06-19", "risk_score": "15",
        },
        {  # no e-mail, no phone: this creditor lets the knowledge step alone open a masked session
            **common, "case_reference": "DEMO-NL-0001", "creditor_id": "DEMO-NL",
            "creditor_name": "Van Dijk Fietsen B.V.", "debtor_id": "DEMO-D-0003",
            "debtor_type": "person", "debtor_name": "Daan de Vries", "debtor_birth_date": "1992-07-21",
            "debtor_postcode": "3511 LX", "debtor_country": "NL", "debtor_language": "nl",
            "currency": "EUR", "principal_minor": "34900", "interest_minor": "700",
            "fees_minor": "0", "costs_minor": "3500", "invoice_number": "VDF-2026-1183",
            "invoice_date": "2026-07-07", "due_date": "2026-08-06", "risk_score": "40",
        },
        {  # Icelandic krónur have no minor unit; the case is on hold: balance shown, no actions
            **common, "case_reference": "DEMO-IS-0001", "status": "on_hold", "creditor_id": "DEMO-IS",
            "creditor_name": "Hekla Fjarskipti hf.", "debtor_id": "DEMO-D-0004",
            "debtor_type": "person", "debtor_name": "Guðrún Jónsdóttir",
            "debtor_email": "gudrun@example.is", "debtor_birth_date": "1990-01-30",
            "debtor_postcode": "101", "debtor_country": "IS", "debtor_language": "is",
            "currency": "ISK", "principal_minor": "84500", "interest_minor": "2535",
            "fees_minor": "950", "costs_minor": "4500", "invoice_number": "HF-30127",
            "invoice_date": "2026-04-11", "due_date": "2026-05-11", "risk_score": "25",
        },
    ]
