"""GET /api/v1/openapi.json: the OpenAPI 3.1 description of the API."""

import json
from pathlib import Path

from flask import Response

from portal.api.blueprint import bp

SPEC_PATH = Path(__file__).with_name("openapi.json")


@bp.get("/openapi.json")
def openapi():
    """Serve the document (kept as a file so reviewers read it as it is served)."""
    return Response(SPEC_PATH.read_bytes(), mimetype="application/json")


def load() -> dict:
    return json.loads(SPEC_PATH.read_text())
