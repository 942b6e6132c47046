"""Case references as debtors type them and as the portal stores them."""

import re

_SPACES = re.compile(r"\s+")


def normalise_reference(raw: str | None) -> str:
    """Upper case with all whitespace removed, as `cases.reference` is stored."""
    return _SPACES.sub("", raw or "").upper()
