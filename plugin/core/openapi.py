"""``GET /api/v1/openapi.json``: an OpenAPI 3.1 description of the JSON API, built with apispec.

Paths come from the app's own URL map, so no route can be missing from the
description; summaries are the views' docstrings; bodies and answers are the
marshmallow schemas the views really use, attached with :func:`documented`.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, Callable, Iterable, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app
from marshmallow import Schema

from .errors import ErrorSchema
from .version import __version__

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


def documented(
    *,
    body: type[Schema] | dict[str, Any] | Callable[..., Any] | None = None,
    response: type[Schema] | dict[str, Any] | None = None,
    status: int = 200,
    many: bool = False,
    query: Iterable[dict[str, Any]] = (),
    also: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
) -> Callable[[F], F]:
    """Attach the request, query and answer of a view to its OpenAPI description.

    ``body`` and ``response`` are a marshmallow schema class (JSON) or a
    ``{media type: JSON Schema}`` mapping; a view serving several rules may
    give ``body`` as a function of the rule's ``defaults``.  ``query`` lists
    :func:`query` parameters.  ``status`` is the success status (204: no body);
    ``also`` names other successes with the same answer (``{200: "Edited"}``),
    ``errors`` the view's own error statuses beyond those every view has.
    """

    def mark(view: F) -> F:
        view.journeykit_openapi = {  # type: ignore[attr-defined]
            "body": body, "response": response, "status": status, "many": many, "query": list(query),
            "also": also or {}, "errors": errors or {},
        }
        return view

    return mark


def query(name: str, description: str, *, many: bool = False, required: bool = False, **schema: Any) -> dict[str, Any]:
    """A query parameter for :func:`documented`; ``schema`` is its JSON Schema (default: a string).

    ``many``: it may be repeated (``?status=a&status=b``).
    """
    item = {"type": "string", **schema}
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "array", "items": item} if many else item}


def paged(*, default: int, maximum: int, cursor: str = "cursor") -> list[dict[str, Any]]:
    """The ``limit`` and cursor parameters of a paginated listing."""
    return [
        query("limit", f"Items per page (default {default}).", type="integer", minimum=1, maximum=maximum),
        query(cursor, "The ``next`` of the previous page.",
              **({"type": "integer", "minimum": 1, "maximum": 2**63 - 1} if cursor == "before" else {})),
    ]


def json_object(*, required: Iterable[str] = (), **properties: Any) -> dict[str, Any]:
    """A JSON answer or body without a schema class of its own: its properties' JSON Schemas (or schema classes)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return {"application/json": schema}


def page(item: type[Schema]) -> dict[str, Any]:
    """A JSON page of ``item``: ``{"items": [...], "next": "<cursor>" | null}``."""
    cursor = {"type": ["string", "null"], "description": "The cursor of the next page; null on the last page."}
    return json_object(required=("items", "next"), items={"type": "array", "items": item}, next=cursor)


def _path_and_parameters(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for converter, name in _PARAMETER.findall(rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAMETER.sub(lambda m: "{" + m.group(2) + "}", rule), parameters


def _content(given: Any, *, many: bool = False) -> dict[str, Any]:
    """OpenAPI ``content``: JSON for a schema class, else the media types given."""
    if isinstance(given, dict):
        return {media_type: {"schema": schema} for media_type, schema in given.items()}
    return {"application/json": {"schema": {"type": "array", "items": given} if many else given}}


def _operation(view: Callable[..., Any], parameters: list[dict[str, Any]], defaults: dict[str, Any]) -> dict[str, Any]:
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    notes = getattr(view, "journeykit_openapi", {})
    status = notes.get("status", 200)
    answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if notes.get("response"):
        answer["content"] = _content(notes["response"], many=notes["many"])
    error = {"content": {"application/json": {"schema": "Error"}}}
    errors = {**_ERRORS, **(_ADMIN_ERRORS if getattr(view, "journeykit_admin", False) else {}),
              **{str(code): text for code, text in notes.get("errors", {}).items()}}
    also = {str(code): {**answer, "description": text} for code, text in notes.get("also", {}).items()}
    operation: dict[str, Any] = {
        "summary": summary.strip() or view.__name__.replace("_", " "),
        "responses": {str(status): answer, **also, **{code: {"description": text, **error} for code, text in sorted(errors.items())}},
    }
    if description.strip():
        operation["description"] = " ".join(description.split())
    if parameters or notes.get("query"):
        operation["parameters"] = [*parameters, *notes.get("query", [])]
    body = notes.get("body")
    if callable(body) and not isinstance(body, type):
        body = body(**defaults)
    if body:
        operation["requestBody"] = {"required": True, "content": _content(body)}
    if getattr(view, "journeykit_admin", False):
        operation["security"] = [{"adminKey": []}]
    return operation


def build(app: Flask) -> dict[str, Any]:
    """The description of every route under the API blueprint of ``app``."""

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
        operations = {method.lower(): _operation(view, parameters, rule.defaults or {}) for method in methods}
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@documented(response={"application/json": {"type": "object", "description": "An OpenAPI 3.1 document."}})
def openapi_json() -> dict[str, Any]:
    """This description (OpenAPI 3.1)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = app.extensions["journeykit"]
    if state.openapi is None:  # the URL map is complete once requests are served
        state.openapi = build(app)
    return state.openapi


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/openapi.json", view_func=openapi_json, methods=["GET"])
