"""The served OpenAPI document is valid 3.1 and describes every /api/v1 route."""

import re

from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json["openapi"].startswith("3.1")
    validate(response.json)


def test_every_api_route_is_described(client, app):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    described = {
        (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
        for path, item in paths.items() for method in item if method != "parameters"
    }
    routes = {
        (re.sub(r"<[^>]+>", "{}", rule.rule.removeprefix("/api/v1")), method)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes, "no API routes registered"
    assert routes <= described, routes - described


def test_every_secured_operation_declares_401(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and operation.get("security", doc["security"]):
                assert "401" in operation["responses"], (path, method)
