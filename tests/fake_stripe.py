"""A small local stand-in for Stripe's HTTP API (the network is closed here).

The official stripe library is pointed at it with ``JOURNEYKIT_STRIPE_API_BASE``;
it serves the endpoints JourneyKit calls and records every request: checkout
sessions and their line items, events, and the coupons and promotion codes of
loyalty redemptions and referrals (with Stripe's idempotency keys), and payment
intents with their latest charge's card (:meth:`FakeStripe.pay`).  ``failures``
makes the next POSTs fail as Stripe can (a status and an error body),
``get_failures`` the next GETs, ``delay`` makes every POST slow (a timeout).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LINE_ITEMS = re.compile(r"^/v1/checkout/sessions/([^/]+)/line_items$")
SESSION = re.compile(r"^/v1/checkout/sessions/([^/]+)$")
PROMOTION_CODE = re.compile(r"^/v1/promotion_codes/([^/]+)$")
PAYMENT_INTENT = re.compile(r"^/v1/payment_intents/([^/]+)$")


class FakeStripe:
    """``line_items[session_id]``, ``events`` and ``sessions`` are what the fake answers;
    ``requests`` what it was asked, ``created`` the forms of the sessions it created."""

    def __init__(self) -> None:
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, list[str]]] = []
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.coupons: dict[str, dict[str, Any]] = {}
        self.promotion_codes: dict[str, dict[str, Any]] = {}
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self.get_failures: list[tuple[int, dict[str, Any]]] = []
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.delay = 0.0
        self._idempotent: dict[str, tuple[dict[str, list[str]], tuple[int, dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def pay(self, payment_intent: str, *, fingerprint: str | None = None, address: dict[str, str] | None = None,
            customer: str | None = None) -> None:
        """A payment intent of the Stripe ``customer`` whose latest charge was paid by a card of ``fingerprint``,
        shipped to ``address``."""
        card = {"brand": "visa", "last4": "4242", "fingerprint": fingerprint}
        charge = {"id": f"ch_{payment_intent}", "object": "charge", "payment_intent": payment_intent,
                  "payment_method_details": {"type": "card", "card": card}}
        shipping = {"name": "Someone", "address": address} if address else None
        self.payment_intents[payment_intent] = {"id": payment_intent, "object": "payment_intent", "status": "succeeded",
                                                "customer": customer, "latest_charge": charge, "shipping": shipping}

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.get_failures:
                return self.get_failures.pop(0)
        match = PAYMENT_INTENT.match(path)
        if match and match.group(1) in self.payment_intents:
            intent = dict(self.payment_intents[match.group(1)])
            if "latest_charge" not in query.get("expand[]", query.get("expand[0]", [])):
                intent["latest_charge"] = intent["latest_charge"]["id"]  # not expanded: an id, as Stripe answers
            return 200, intent
        match = LINE_ITEMS.match(path)
        if match:
            if match.group(1) not in self.line_items:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout session"}}
            return 200, _page(path, self.line_items[match.group(1)])
        match = SESSION.match(path)
        if match and match.group(1) in self.sessions:
            return 200, self.sessions[match.group(1)]
        match = PROMOTION_CODE.match(path)
        if match and match.group(1) in self.promotion_codes:
            return 200, self.promotion_codes[match.group(1)]
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

    def post(self, path: str, form: dict[str, list[str]], idempotency_key: str | None) -> tuple[int, dict[str, Any]]:
        """A POST as Stripe answers it: a key seen before replays its answer (refused with other parameters)."""
        time.sleep(self.delay)
        with self._lock:
            if self.failures:
                return self.failures.pop(0)
            if idempotency_key in self._idempotent:
                params, answer = self._idempotent[idempotency_key]
                if params != form:
                    return 400, {"error": {"type": "idempotency_error", "message": "Keys for idempotent requests "
                                           "can only be used with the same parameters they were first used with."}}
                return answer
            answer = self._create(path, form)
            if idempotency_key:
                self._idempotent[idempotency_key] = (form, answer)
            return answer

    def _create(self, path: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path == "/v1/checkout/sessions":
            return self.create_session(form)
        one = {name: values[0] for name, values in form.items()}
        if path == "/v1/coupons":
            coupon_id = one.get("id") or f"coupon_fake{len(self.coupons) + 1}"
            if coupon_id in self.coupons:
                return 400, {"error": {"type": "invalid_request_error", "code": "resource_already_exists",
                                       "message": "Coupon already exists."}}
            coupon = {"id": coupon_id, "object": "coupon", "valid": True, "duration": one["duration"],
                      "amount_off": int(one["amount_off"]) if "amount_off" in one else None,
                      "currency": one.get("currency"),
                      "percent_off": float(one["percent_off"]) if "percent_off" in one else None,
                      "max_redemptions": int(one["max_redemptions"]) if "max_redemptions" in one else None,
                      "times_redeemed": 0}
            self.coupons[coupon["id"]] = coupon
            return 200, coupon
        if path == "/v1/promotion_codes":
            if one["promotion[coupon]"] not in self.coupons:
                return 400, {"error": {"type": "invalid_request_error", "message": "No such coupon"}}
            text = one["code"].upper()  # Stripe's codes are case-insensitive
            if any(code["code"].upper() == text and code["active"] for code in self.promotion_codes.values()):
                return 400, {"error": {"type": "invalid_request_error", "message": "An active code exists"}}
            code = {"id": f"promo_fake{len(self.promotion_codes) + 1}", "object": "promotion_code", "active": True,
                    "code": one["code"], "coupon": self.coupons[one["promotion[coupon]"]], "times_redeemed": 0,
                    "customer": one.get("customer"),
                    "max_redemptions": int(one["max_redemptions"]) if "max_redemptions" in one else None,
                    "expires_at": int(one["expires_at"]) if "expires_at" in one else None,
                    "restrictions": {"first_time_transaction":
                                     one.get("restrictions[first_time_transaction]") == "true"}}
            self.promotion_codes[code["id"]] = code
            return 200, code
        match = PROMOTION_CODE.match(path)
        if match and match.group(1) in self.promotion_codes:
            code = self.promotion_codes[match.group(1)]
            code["active"] = one.get("active", str(code["active"]).lower()) == "true"
            return 200, code
        return 404, {"error": {"type": "invalid_request_error", "message": "not faked"}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                self._reply(lambda: fake.answer(parts.path, parse_qs(parts.query)))

            def do_POST(self) -> None:  # noqa: N802
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                key = self.headers.get("Idempotency-Key")
                self._reply(lambda: fake.post(urlsplit(self.path).path, form, key))

            def _reply(self, answer: Any) -> None:
                fake.requests.append((self.command, urlsplit(self.path).path))
                if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                    status, body = 401, {"error": {"type": "invalid_request_error", "message": "No API key"}}
                else:
                    status, body = answer()
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self._send(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout)
                    pass

            def _send(self, data: bytes) -> None:
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
