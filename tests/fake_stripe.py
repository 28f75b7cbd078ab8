"""A small local stand-in for Stripe's HTTP API (the network is closed here).

The official stripe library is pointed at it with ``JOURNEYKIT_STRIPE_API_BASE``;
it serves the two endpoints JourneyKit calls and records every request.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LINE_ITEMS = re.compile(r"^/v1/checkout/sessions/([^/]+)/line_items$")


class FakeStripe:
    """``line_items[session_id]`` and ``events`` are what the fake answers; ``requests`` what it was asked."""

    def __init__(self) -> None:
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        match = LINE_ITEMS.match(path)
        if match:
            if match.group(1) not in self.line_items:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout session"}}
            return 200, _page(path, self.line_items[match.group(1)])
        if path == "/v1/events":
            low = int(query.get("created[gte]", ["0"])[0])
            high = int(query.get("created[lte]", [str(2**40)])[0])
            found = [e for e in self.events if low <= e["created"] <= high]
            return 200, _page(path, sorted(found, key=lambda e: -e["created"]))
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                fake.requests.append(("GET", parts.path))
                if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                    status, body = 401, {"error": {"type": "invalid_request_error", "message": "No API key"}}
                else:
                    status, body = fake.answer(parts.path, parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _page(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def line_item(product: str, *, quantity: int = 1, amount: int = 1500, journeykit_product: str | None = None) -> dict[str, Any]:
    """A ``line_item`` with its price's product expanded, as Stripe answers with ``expand``."""
    metadata = {"journeykit_product": journeykit_product} if journeykit_product else {}
    return {
        "id": f"li_{product}",
        "object": "item",
        "amount_subtotal": amount * quantity,
        "amount_total": amount * quantity,
        "currency": "usd",
        "description": product,
        "quantity": quantity,
        "price": {
            "id": f"price_{product}",
            "object": "price",
            "currency": "usd",
            "unit_amount": amount,
            "product": {"id": product, "object": "product", "name": product, "metadata": metadata},
        },
    }
