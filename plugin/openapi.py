"""``GET /api/v1/openapi.json``: an OpenAPI 3.1 description of the JSON API, built with apispec.

Paths come from the app's own URL map, so no route can be missing from the
description; summaries are the views' docstrings; bodies and answers are the
marshmallow schemas the views really use, attached with :func:`documented`.
"""

from __future__ import annotations

import re
from typing import Any, Callable, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app
from marshmallow import Schema

from .schemas import ErrorSchema

F = TypeVar("F", bound=Callable[..., Any])
_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_ERRORS = {
    "400": "Malformed request (bad JSON, characters, headers)",
    "404": "Not found",
    "413": "Body too large",
    "422": "Invalid fields (listed in error.fields)",
    "429": "Rate limited (see Retry-After)",
}
_ADMIN_ERRORS = {"401": "No or a wrong admin API key", "403": "The admin guard refused this account"}


def documented(*, body: type[Schema] | None = None, response: type[Schema] | None = None, status: int = 200, many: bool = False) -> Callable[[F], F]:
    """Attach the request and response schemas of a view to its OpenAPI description."""

    def mark(view: F) -> F:
        view.journeykit_openapi = {"body": body, "response": response, "status": status, "many": many}  # type: ignore[attr-defined]
        return view

    return mark


def _path_and_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for converter, name in _PARAMETER.findall(rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAMETER.sub(lambda m: "{" + m.group(2) + "}", rule), parameters


def _operation(view: Callable[..., Any], parameters: list[dict[str, Any]]) -> dict[str, Any]:
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    notes = getattr(view, "journeykit_openapi", {})
    answer: dict[str, Any] = {"description": "OK"}
    if notes.get("response"):
        schema: Any = notes["response"]
        if notes["many"]:
            schema = {"type": "array", "items": schema}
        answer["content"] = {"application/json": {"schema": schema}}
    error = {"content": {"application/json": {"schema": "Error"}}}
    errors = {**_ERRORS, **(_ADMIN_ERRORS if getattr(view, "journeykit_admin", False) else {})}
    operation: dict[str, Any] = {
        "summary": summary.strip() or view.__name__.replace("_", " "),
        "responses": {str(notes.get("status", 200)): answer, **{code: {"description": text, **error} for code, text in errors.items()}},
    }
    if description.strip():
        operation["description"] = " ".join(description.split())
    if parameters:
        operation["parameters"] = parameters
    if notes.get("body"):
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": notes["body"]}}}
    if getattr(view, "journeykit_admin", False):
        operation["security"] = [{"adminKey": []}]
    return operation


def build(app: Flask) -> dict[str, Any]:
    """The description of every route under the API blueprint of ``app``."""
    from journeykit import __version__  # noqa: PLC0415 - the package imports this module

    base = app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/api/v1"
    spec = APISpec(
        title="JourneyKit API", version=__version__, openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()], servers=[{"url": base}],
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme("adminKey", {"type": "http", "scheme": "bearer", "description": "An admin API key"})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("journeykit.api.") or not rule.rule.startswith(base + "/"):
            continue
        path, parameters = _path_and_parameters(rule.rule[len(base):])
        view = app.view_functions[rule.endpoint]
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        spec.path(path=path, operations={method.lower(): _operation(view, parameters) for method in methods})
    return spec.to_dict()


def openapi_json() -> dict[str, Any]:
    """This description (OpenAPI 3.1)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["journeykit"]
    if state.openapi is None:  # the URL map is complete once requests are served
        state.openapi = build(app)
    return state.openapi


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/openapi.json", view_func=openapi_json, methods=["GET"])
