"""How the owner's pages name customers and products: the shop's words first, the ids beneath, never a failure."""

from __future__ import annotations

import pytest

from journeykit.core import names, products


@pytest.mark.parametrize(("given", "named"), [
    (("Ann Lee", "ann@example.com", "42"), {"name": "Ann Lee", "detail": "ann@example.com · id 42"}),
    ((None, "ann@example.com", "42"), {"name": "ann@example.com", "detail": "id 42"}),
    (("  ", "", 42), {"name": "42", "detail": None}),  # nothing but the id: the id is the name
    (("Ann Lee", None, None), {"name": "Ann Lee", "detail": None}),
    ((None, "ann@example.com", None), {"name": "ann@example.com", "detail": None}),
    ((None, None, None), {"name": "A guest", "detail": None}),
])
def test_a_customer_is_named_by_name_then_e_mail_then_id(given, named):
    assert names.person(*given) == named


def test_a_customer_row_or_none():
    class Row:
        name, email, shop_customer_id = "Bo", "bo@example.com", "b-7"

    assert names.customer(Row()) == {"name": "Bo", "detail": "bo@example.com · id b-7"}
    assert names.customer(None) == {"name": "A guest", "detail": None}


def test_a_product_is_named_by_the_loader_and_falls_back_to_its_id(app, journey, caplog):
    with app.app_context(), app.test_request_context():  # a request of its own (the products are kept a request)
        assert products.label("sku-1") == {"name": "sku-1", "url": None, "named": False}  # no loader
    journey.product_loader(lambda product_id: {"name": "Skillet", "url": "/p/1"} if product_id == "sku-1" else None)
    with app.app_context(), app.test_request_context():
        assert products.label("sku-1") == {"name": "Skillet", "url": "http://localhost/p/1", "named": True}
        assert products.label("sku-9") == {"name": "sku-9", "url": None, "named": False}
    calls = []

    def broken(product_id: str) -> dict:
        calls.append(product_id)
        raise RuntimeError("catalogue down")

    journey.product_loader(broken)
    with app.app_context(), app.test_request_context():
        assert products.name("sku-1") == "sku-1" and products.name("sku-1") == "sku-1"
        assert calls == ["sku-1"]  # asked once a request, logged once
        with pytest.raises(RuntimeError):  # where the product's existence matters, the failure is not hidden
            products.require("sku-1")
    assert caplog.text.count("the product loader failed for 'sku-1'") == 1
    with app.app_context():  # no request: the same fallback
        assert products.label("sku-2")["name"] == "sku-2"
