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


def test_every_api_v1_rule_of_the_app_is_described_with_its_answer(app, client):
    spec = client.get(OPENAPI).json
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/journeykit/api/v1/")]
    assert {rule.endpoint.split(".")[1] for rule in rules} == {"api"}  # nothing of ours lives elsewhere
    for rule in rules:
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/journeykit/api/v1"))
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert named == set(rule.arguments) - set(rule.defaults or {}), f"{method} {path}"
            assert hasattr(view, "journeykit_openapi"), f"{method} {path}: add @openapi.documented"
            successes = [(code, a) for code, a in operation["responses"].items() if code.startswith("2")]
            assert successes, f"{method} {path}: no success is described"
            for status, answer in successes:
                assert status == "204" or answer["content"], f"{method} {path}: its {status} answer is not described"


def test_query_parameters_bodies_and_other_media_types_are_described(client):
    paths = client.get(OPENAPI).json["paths"]
    listing = paths["/products/{product_id}/reviews"]["get"]
    sort = next(p for p in listing["parameters"] if p["name"] == "sort")
    assert sort["in"] == "query" and sort["schema"]["enum"] == ["newest", "highest", "lowest", "helpful"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/Review"}
    submitted = paths["/products/{product_id}/reviews"]["post"]
    assert submitted["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Submit"}
    assert "201" in submitted["responses"]
    pin, feature = (paths[f"/admin/reviews/{{review_id}}/{flag}"]["post"]["requestBody"] for flag in ("pin", "feature"))
    assert pin["content"]["application/json"]["schema"]["required"] == ["pinned"]
    assert feature["content"]["application/json"]["schema"]["required"] == ["featured"]
    upload = paths["/reviews/{review_id}/photos"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["photo"]
    assert set(paths["/admin/reviews/export.csv"]["get"]["responses"]["200"]["content"]) == {"text/csv"}
    imported = paths["/admin/reviews/import"]["post"]
    assert [p for p in imported["parameters"] if p["name"] == "format"][0]["required"] is True
    assert set(imported["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}
    assert "content" not in paths["/admin/webhooks/{endpoint_id}"]["delete"]["responses"]["204"]
    webhook = paths["/admin/webhooks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert webhook == {"$ref": "#/components/schemas/WebhookEndpointInput"}
