"""``GET /api/v1/openapi.json``: a valid OpenAPI 3.1 document naming every route of the JSON API."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

OPENAPI = "/journeykit/api/v1/openapi.json"


def test_the_description_is_valid_openapi_3_1(client):
    response = client.get(OPENAPI)
    assert response.status_code == 200 and response.mimetype == "application/json"
    validate(response.json)
    assert response.json["servers"] == [{"url": "/journeykit/api/v1"}]


def test_every_api_route_is_described_with_its_methods(app, client):
    paths = client.get(OPENAPI).json["paths"]
    routes = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("journeykit.api.")]
    assert len(routes) > 20
    for rule in routes:
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/journeykit/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} is missing"


def test_bodies_answers_and_admin_security_come_from_the_views(client):
    spec = client.get(OPENAPI).json
    events = spec["paths"]["/events"]["post"]
    assert events["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EventBatch"}
    assert events["responses"]["202"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/EventsAccepted"}
    assert events["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "security" not in events and "401" not in events["responses"]
    customers = spec["paths"]["/admin/customers"]["get"]
    assert customers["security"] == [{"adminKey": []}] and set(customers["responses"]) >= {"200", "401", "403"}
    assert spec["components"]["securitySchemes"]["adminKey"] == {"type": "http", "scheme": "bearer", "description": "An admin API key"}
    customer = spec["paths"]["/admin/customers/{customer_id}"]["get"]
    assert customer["parameters"] == [{"name": "customer_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert customer["summary"] == "One customer by the shop's own id."
