"""Reading and validating request input: JSON bodies (with marshmallow) and query arguments."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import re
from typing import Any, TypeVar

import marshmallow
from flask import Request, request
from marshmallow import fields, validate
from werkzeug import exceptions as http

from .db import utcnow
from .errors import BadRequest, NotFound, ValidationError


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
        data = json.loads(
            request.get_data(cache=True) or b"null", parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("The request body is not valid JSON.", error_code="invalid_json")
    if _too_deep(data):
        raise BadRequest(
            f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.", error_code="invalid_json"
        )
    if _has_nul(data):
        raise BadRequest(
            "Text may not contain NUL characters or lone surrogates.", error_code="invalid_characters"
        )
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
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:  # not "²" or "١"
        raise ValidationError(
            f"{name} must be a whole number from {low} to {high}.", fields={name: ["Not a valid value."]}
        )
    return int(raw)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_arg(name: str) -> dt.date | None:
    """An optional ``YYYY-MM-DD`` query argument; anything else (``2026-02-30``, ``yesterday``, empty) is a 422."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date as YYYY-MM-DD.", fields={name: ["Not a valid date."]})


def refuse_nul_in_url() -> None:
    """400 for a NUL in the path or query: no database stores it, and no honest client sends it."""
    environ = request.environ
    if _plain(environ.get("PATH_INFO", "")) and _plain(environ.get("QUERY_STRING", "")):
        return  # nothing escaped, nothing outside ASCII: no NUL, no surrogate (the common case, checked cheaply)
    values = [*(request.view_args or {}).values(), *request.args.keys(), *request.args.values()]
    if _has_nul(values):
        raise BadRequest("The URL may not contain NUL characters.", error_code="invalid_characters")


def _plain(raw: str) -> bool:
    return raw.isascii() and "%" not in raw and "\x00" not in raw


def may_have_body(environ: dict[str, Any]) -> bool:
    """Whether a request may carry a body: a ``Content-Length`` above 0, or a chunked one."""
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "")


def refuse_out_of_range_ids() -> None:
    """404 for an ``<int:…>`` id beyond 64 bits: no row has it, and the databases fail on it (a 500)."""
    if any(isinstance(value, int) and not -(2**63) <= value < 2**63 for value in (request.view_args or {}).values()):
        raise NotFound("Nothing has that id.", error_code="not_found")


#: Deeper JSON is refused: no honest client nests this far, and checking,
#: validating and storing it all recurse (a 500 at a few hundred levels).
MAX_JSON_DEPTH = 32
#: Neither database stores NUL; a lone surrogate cannot even be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON (Python accepts them; PostgreSQL's jsonb does not)."""
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    """A JSON number as a float, refusing ones too large for it (``1e400`` would become infinity)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _children(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [*data.keys(), *data.values()]
    return list(data) if isinstance(data, list) else []


def _too_deep(data: Any) -> bool:
    """Whether lists and objects nest deeper than :data:`MAX_JSON_DEPTH` (checked without recursion)."""
    level, depth = [data], 0
    while level:
        level = [child for value in level for child in _children(value) if isinstance(child, (dict, list))]
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def _has_nul(data: Any) -> bool:
    """Whether any string in ``data`` holds a NUL or a lone surrogate (checked without recursion)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return True
        else:
            stack.extend(_children(value))
    return False


def storable(text: str) -> None:
    """A marshmallow validator for text from a form (JSON bodies are checked whole by :func:`load_json`): no NUL or
    lone surrogate, which no database stores."""
    if _UNSTORABLE.search(text):
        raise marshmallow.ValidationError("Text may not contain NUL characters.")


#: Refuses text that is only spaces (``Regexp`` anchors at the start).
NOT_BLANK = validate.Regexp(r"\s*\S", error="May not be blank.")


class StrictInteger(fields.Integer):
    """A JSON whole number only: not ``true`` (which Python counts as 1), ``"5"`` or ``5.0``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: not "yes", "on" or 1 (which ``truthy={True}`` lets through, as 1 == True)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


#: The earliest day a period may start or end on (JourneyKit keeps no older history).
EARLIEST = dt.date(2000, 1, 1)
#: The longest period one request may ask for: three years.
MAX_DAYS = 3 * 366


def period_args() -> tuple[dt.date | None, dt.date | None, dict[str, Any]]:
    """``[start, end)`` from the query's ``from`` and ``to`` (UTC days, both included), and the two echoed back.

    422 when ``from`` is after ``to``, when either is outside
    :data:`EARLIEST` to a year from today, or when the period is longer than
    :data:`MAX_DAYS`, so every answer stays small and quick.
    """
    first, last = date_arg("from"), date_arg("to")
    latest = utcnow().date() + dt.timedelta(days=366)
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= latest:
            raise ValidationError(f"{name} must be from {EARLIEST} to {latest}.", fields={name: ["Out of range."]})
    if first is not None and last is not None and first > last:
        raise ValidationError("from must not be after to.", fields={"from": ["After to."]})
    if first is not None and ((last or utcnow().date()) - first).days >= MAX_DAYS:
        raise ValidationError(f"A period may be at most {MAX_DAYS} days long; ask for it in parts.",
                              error_code="period_too_long", fields={"from": [f"More than {MAX_DAYS} days before to."]})
    end = last + dt.timedelta(days=1) if last is not None else None
    echo = {"from": first.isoformat() if first else None, "to": last.isoformat() if last else None}
    return first, end, echo

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


#: Flask 3.1 made ``request.max_content_length`` a setting of one request.
_PER_REQUEST_BODY_LIMIT = getattr(Request.max_content_length, "fset", None) is not None


def limit_body(limit: int) -> None:
    """Refuse (413) a request body over ``limit`` bytes, for this request only.

    On Flask 3.0, which has no per-request limit, the declared
    ``Content-Length`` is checked; a chunked body without one is then held to
    the shop's ``MAX_CONTENT_LENGTH`` only.
    """
    if _PER_REQUEST_BODY_LIMIT:
        request.max_content_length = limit
    elif request.content_length is not None and request.content_length > limit:
        raise http.RequestEntityTooLarge()
