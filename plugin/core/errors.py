"""JourneyKit's exceptions and its one JSON error shape.

Every error of the JSON API answers
``{"error": {"code": "...", "message": "...", "fields": {...}}}``: a 4xx for
anything the caller got wrong, a 5xx only for our bugs or an outage.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields
from werkzeug import exceptions as http

log = logging.getLogger("journeykit")


class JourneyKitError(Exception):
    """Root of every exception JourneyKit raises."""


class APIError(JourneyKitError, http.HTTPException):
    """An error answered with the JSON error shape.

    Subclasses fix the HTTP status (through their werkzeug base) and a
    machine-readable ``code``; ``fields`` maps input field names to messages.
    """

    code = 400
    error_code = "bad_request"

    def __init__(
        self,
        message: str | None = None,
        *,
        error_code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description=message)
        if error_code:
            self.error_code = error_code
        self.fields = fields or {}


class BadRequest(APIError, http.BadRequest):
    code = 400  # APIError's 400 comes first in the MRO, so each class names its own
    error_code = "bad_request"


class Unauthorized(APIError, http.Unauthorized):
    code = 401
    error_code = "unauthorized"

    def get_headers(self, environ=None, scope=None):  # type: ignore[override]
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Bearer realm="journeykit"')]


class Forbidden(APIError, http.Forbidden):
    code = 403
    error_code = "forbidden"


class NotFound(APIError, http.NotFound):
    code = 404
    error_code = "not_found"


class Conflict(APIError, http.Conflict):
    code = 409
    error_code = "conflict"


class PayloadTooLarge(APIError, http.RequestEntityTooLarge):
    code = 413
    error_code = "payload_too_large"


class UnsupportedMediaType(APIError, http.UnsupportedMediaType):
    code = 415
    error_code = "unsupported_media_type"


class ValidationError(APIError, http.UnprocessableEntity):
    code = 422
    error_code = "validation_error"


class BadGateway(APIError, http.BadGateway):
    """A service JourneyKit relies on (Stripe) answered, but not with what was asked."""

    code = 502
    error_code = "bad_gateway"


class ServiceUnavailable(APIError, http.ServiceUnavailable):
    code = 503
    error_code = "unavailable"


#: Codes for werkzeug's own errors (routing, body size, methods) in our shape.
_WERKZEUG_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    502: "bad_gateway",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON error shape, as a dict."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def http_error_response(exc: http.HTTPException) -> Response:
    """Answer any werkzeug HTTP exception with the JSON error shape."""
    if isinstance(exc, APIError):
        body = error_body(exc.error_code, exc.description or exc.name, exc.fields)
    else:
        status = exc.code or 500
        code = _WERKZEUG_CODES.get(status, "server_error" if status >= 500 else "error")
        body = error_body(code, exc.description or exc.name)
    response = jsonify(body)
    response.status_code = exc.code or 500
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def unexpected_error_response(exc: Exception) -> Response:
    """Answer a bug with a generic 500; the details go to the log, not the caller."""
    log.exception("journeykit: unhandled error", exc_info=exc)
    response = jsonify(error_body("server_error", "Something went wrong on our side."))
    response.status_code = 500
    return response


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String())


class ErrorSchema(Schema):
    """The one error shape of the JSON API."""

    error = fields.Nested(ErrorDetailSchema, required=True)
