"""The JSON API does what GET /api/v1/openapi.json says, for any input: Schemathesis fuzzes every operation.

Every answer must have a documented status, content type, headers and
body; input outside the description must be refused; nothing may answer
a 5xx. Settings shared with ``schemathesis run`` are in schemathesis.toml.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from journeykit.core import migrate as jk_migrate
from journeykit.testing import StripeEvents, deliver

from .conftest import ADMIN_KEY, BACKENDS, any_database, make_shop

#: Generated requests per operation and database (about 1,000 per database in all).
EXAMPLES = 20
#: Limits out of the fuzzer's way (the limits themselves are tested elsewhere).
UNLIMITED = {f"JOURNEYKIT_{name}_RATE_LIMIT": "1000000 per hour"
             for name in ("REVIEWS", "TESTIMONIALS", "EVENTS", "REDEMPTIONS")}
#: A reward to redeem (with the shop's own codes: the fuzzer reaches no Stripe).
REWARDS = [{"id": "5-off", "points": 50, "amount_off": 500, "currency": "usd"}]


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed_shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with any_database(request, request.param, tmp_path_factory.mktemp("fuzz"), "fuzz") as url:
        yield from _fuzzed(url)


def _fuzzed(url: str) -> Iterator[Flask]:
    app, db, journey = make_shop(url, {"TESTING": False, "JOURNEYKIT_LOYALTY_REWARDS": REWARDS, **UNLIMITED})
    journey.loyalty.code_maker(lambda customer_id, reward, *, key, expires_at: f"FUZZ-{abs(hash(key)):x}")
    with app.app_context():
        db.create_all()
        jk_migrate.upgrade()
    with app.test_request_context():
        app.config["FUZZ_HEADERS"] = {
            "Authorization": f"Bearer {ADMIN_KEY}",
            "X-JourneyKit-Customer": journey.customer_token("c-fuzz", email="fuzz@example.com", name="Fuzz"),
        }
    _seed(app, journey)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _seed(app: Flask, journey) -> None:
    """Some of everything, in every state, with every optional field left empty somewhere, so answers are checked."""
    client, admin = app.test_client(), {"Authorization": f"Bearer {ADMIN_KEY}"}
    stripe = StripeEvents()
    guest = stripe.checkout_completed(customer_id=None, email="guest@example.com", products=["sku-1"])
    guest["data"]["object"]["customer_details"]["name"] = None
    for event in (guest, stripe.charge_refunded(guest, amount_refunded=100),
                  stripe.charge_refunded(stripe.checkout_completed(customer_id="c-later"), amount_refunded=5)):
        assert deliver(client, event, secret="whsec_test_secret").status_code == 200
    with app.test_request_context():
        writers = [{"X-JourneyKit-Customer": journey.customer_token(f"c-{n}")} for n in range(3)]
    reviews = [client.post("/journeykit/api/v1/products/sku-1/reviews", json={"rating": 3, "body": "Fine."},
                           headers=writer).json["id"] for writer in writers]
    client.post(f"/journeykit/api/v1/admin/reviews/{reviews[0]}/publish", headers=admin)
    client.post(f"/journeykit/api/v1/admin/reviews/{reviews[1]}/reject", json={"reason": "spam"}, headers=admin)
    for name in ("Ann", "Bob"):
        created = client.post("/journeykit/api/v1/testimonials", json={"name": name, "body": "Lovely.", "consent": True})
        if name == "Ann":
            client.post(f"/journeykit/api/v1/admin/testimonials/{created.json['id']}/publish", headers=admin)
    client.post("/journeykit/api/v1/admin/webhooks", json={"url": "http://localhost:9/hooks"}, headers=admin)
    with app.app_context():
        journey.loyalty.award("c-fuzz", 200, "Fuzzing", key="fuzz")  # some codes bought, then 409s


def _fuzz(operation, headers: dict[str, str]) -> str | None:
    """Up to :data:`EXAMPLES` generated requests to one operation; what failed, if anything."""

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def requests(case) -> None:
        case.call_and_validate(headers=headers)

    try:
        requests()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as failure:  # noqa: BLE001 - Schemathesis raises a group: report each operation's, then all
        return f"{operation.method.upper()} {operation.path}: {failure}"
    return None


def test_every_operation_keeps_to_its_description(fuzzed_shop):
    schema = schemathesis.openapi.from_wsgi("/journeykit/api/v1/openapi.json", fuzzed_shop)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    failures = [failure for operation in operations if (failure := _fuzz(operation, fuzzed_shop.config["FUZZ_HEADERS"]))]
    assert not failures, "\n\n".join(failures)
