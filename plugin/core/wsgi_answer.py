"""An answer written straight to WSGI: what JourneyKit's middlewares send in front of the shop's app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from flask import Response

_STATUS = {200: "200 OK", 304: "304 Not Modified"}


@dataclass(frozen=True)
class Answer:
    """Status, headers (a 200's ``Content-Type`` and ``Content-Length`` included) and body, with no response object:
    for the answers every page view may ask for, where werkzeug's objects would cost more than the rest."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""

    def response(self) -> Response:
        """The same answer as a response of the app (its own route, its after-request hooks)."""
        return Response(self.body, status=self.status, headers=self.headers)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Sent as WSGI: ``HEAD`` gets the headers alone."""
        start_response(_STATUS[self.status], self.headers)
        return [self.body] if self.body and environ.get("REQUEST_METHOD") != "HEAD" else []
