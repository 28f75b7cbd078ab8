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
SESSION = re.compile(r"^/v1/checkout/sessions/([^/]+)$")


class FakeStripe:
    """``line_items[session_id]``, ``events`` and ``sessions`` are what the fake answers;
    ``requests`` what it was asked, ``created`` the forms of the sessions it created."""

    def __init__(self) -> None:
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, list[str]]] = []
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
        match = SESSION.match(path)
        if match and match.group(1) in self.sessions:
            return 200, self.sessions[match.group(1)]
        if path == "/v1/events":
            low = int(query.get("created[gte]", ["0"])[0])
            high = int(query.get("created[lte]", [str(2**40)])[0])
            found = [e for e in self.events if low <= e["created"] <= high]
            return 200, _page(path, sorted(found, key=lambda e: -e["created"]))
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}

    def create_session(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """``POST /v1/checkout/sessions``: remember the form, answer an open session (paid once retrieved)."""
        self.created.append(form)
        session_id = f"cs_test_fake{len(self.created)}"
        self.sessions[session_id] = {"id": session_id, "object": "checkout.session", "payment_status": "paid"}
        url = f"https://checkout.stripe.com/c/pay/{session_id}"
        return 200, {"id": session_id, "object": "checkout.session", "url": url, "payment_status": "unpaid"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                self._reply(lambda: fake.answer(parts.path, parse_qs(parts.query)))

            def do_POST(self) -> None:  # noqa: N802
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                if urlsplit(self.path).path == "/v1/checkout/sessions":
                    self._reply(lambda: fake.create_session(form))
                else:
                    self._reply(lambda: (404, {"error": {"type": "invalid_request_error", "message": "not faked"}}))

            def _reply(self, answer: Any) -> None:
                fake.requests.append((self.command, urlsplit(self.path).path))
                if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                    status, body = 401, {"error": {"type": "invalid_request_error", "message": "No API key"}}
                else:
                    status, body = answer()
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
