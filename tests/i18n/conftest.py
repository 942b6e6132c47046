"""Fixtures of the debtor page tests: compiled catalogues, so French pages are really French."""

import pytest

from tests.helpers import compiled_catalogues  # noqa: F401


@pytest.fixture(autouse=True)
def _catalogues(compiled_catalogues):  # noqa: F811
    """Every page test sees the real translations."""
