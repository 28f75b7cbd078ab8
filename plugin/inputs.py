"""Reading and validating request input: JSON bodies (with marshmallow) and query arguments."""

from __future__ import annotations

import enum
import json
from typing import Any, TypeVar

import marshmallow
from flask import request
from marshmallow import fields

from .errors import BadRequest, ValidationError


def load_json(schema: marshmallow.Schema, *, allow_text_plain: bool = False) -> Any:
    """Parse the request body as JSON and validate it with ``schema``.

    Malformed JSON answers 400; a body of the wrong shape answers 422 with the
    offending fields.  ``allow_text_plain`` accepts ``text/plain`` bodies, which
    is what ``navigator.sendBeacon`` sends for a string.
    """
    mimetype = request.mimetype
    if not (request.is_json or (allow_text_plain and mimetype == "text/plain")):
        raise BadRequest(
            "Send a JSON body with Content-Type: application/json.", error_code="json_required"
        )
    try:
        data = json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("The request body is not valid JSON.", error_code="invalid_json")
    if _has_nul(data):
        raise BadRequest("Text may not contain NUL characters.", error_code="invalid_characters")
    try:
        return schema.load(data)
    except marshmallow.ValidationError as exc:
        fields = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationError("Some fields are not valid.", fields=fields)


def int_arg(name: str, *, default: int | None, low: int, high: int) -> int | None:
    """A whole-number query argument within [low, high]; anything else is a 422."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(
            f"{name} must be a whole number from {low} to {high}.", fields={name: ["Not a valid value."]}
        )
    return int(raw)


def refuse_nul_in_url() -> None:
    """400 for a NUL in the path or query: no database stores it, and no honest client sends it."""
    values = [*(request.view_args or {}).values(), *request.args.keys(), *request.args.values()]
    if _has_nul(values):
        raise BadRequest("The URL may not contain NUL characters.", error_code="invalid_characters")


def _has_nul(data: Any) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_has_nul(key) or _has_nul(value) for key, value in data.items())
    if isinstance(data, list):
        return any(_has_nul(item) for item in data)
    return False


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: not "yes", "on" or 1 (which ``truthy={True}`` lets through, as 1 == True)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


E = TypeVar("E", bound=enum.Enum)


def enum_arg(name: str, choices: type[E]) -> E | None:
    """An optional query argument naming one member of ``choices`` by value; anything else is a 422."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return choices(raw)
    except ValueError:
        allowed = ", ".join(str(choice.value) for choice in choices)
        raise ValidationError(f"{name} must be one of {allowed}.", fields={name: ["Not a valid choice."]})
