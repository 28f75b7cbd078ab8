"""The embed script in a real browser (Debian's Chromium driven by Playwright).

A storefront on one local origin embeds the widgets from JourneyKit on
another, as a shop on a separate site would.  Screenshots are kept in
artifacts/screenshots/ (CI keeps that folder).
"""

from __future__ import annotations

import pathlib
import threading

import pytest
from werkzeug.serving import make_server

from journeykit import migrate

from .conftest import make_shop

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def _serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture
def sites(tmp_path):
    """JourneyKit's shop on one origin, a bare storefront page on another."""
    from flask import Flask

    storefront = Flask("storefront")
    page = {"html": ""}
    storefront.add_url_rule("/", "home", lambda: page["html"])
    front_url, front_server = _serve(storefront)
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_ALLOWED_ORIGINS": [front_url]})
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    shop_url, shop_server = _serve(app)
    yield {"app": app, "journey": journey, "shop": shop_url, "front": front_url, "page": page}
    for server in (front_server, shop_server):
        server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _storefront(sites, body: str, *, customer: str | None = None, lang: str = "en") -> str:
    token = ""
    if customer:
        with sites["app"].test_request_context():
            token = f' data-customer-token="{sites["journey"].customer_token(customer, name=customer.title())}"'
    sites["page"]["html"] = (
        f'<!doctype html><html lang="{lang}"><head><title>Storefront</title>'
        f'<style>body{{font-family:sans-serif;--journeykit-star-color:#c2410c}}</style></head><body>'
        f'<h1>Storefront</h1>{body}<script src="{sites["shop"]}/journeykit/embed.js" async{token}></script></body></html>'
    )
    return sites["front"] + "/"


def _publish(sites, customer: str, **review) -> None:
    client = sites["app"].test_client()
    with sites["app"].test_request_context():
        headers = {"X-JourneyKit-Customer": sites["journey"].customer_token(customer, name=review.pop("name", customer))}
    created = client.post("/journeykit/api/v1/products/sku-1/reviews", json=review, headers=headers).json
    client.post(f"/journeykit/api/v1/admin/reviews/{created['id']}/publish",
                headers={"Authorization": "Bearer test-admin-key-0123456789"})


def test_reviews_render_cross_origin_and_a_shopper_submits_one(page, sites):
    _publish(sites, "ana", rating=5, title="Lovely mug", body="Keeps tea hot.", name="Ana")
    page.goto(_storefront(sites, '<journeykit-rating product="sku-1"></journeykit-rating>'
                                 '<journeykit-reviews product="sku-1"></journeykit-reviews>', customer="bo"))
    reviews = page.locator("journeykit-reviews")
    reviews.locator("text=Keeps tea hot.").wait_for()
    badge = page.locator("journeykit-rating span").first
    badge.wait_for()
    assert "5 · 1 review" in badge.inner_text()
    reviews.locator("input[name=rating][value='4']").check()
    reviews.locator("textarea[name=body]").fill("Solid and well made.")
    reviews.locator("button[type=submit]").click()
    reviews.locator("[role=status]").filter(has_text="Thank you").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reviews-cross-origin.png"), full_page=True)
    with sites["app"].test_request_context():
        pending = sites["app"].test_client().get("/journeykit/api/v1/admin/reviews?status=pending",
                                                  headers={"Authorization": "Bearer test-admin-key-0123456789"}).json
    assert [item["body"] for item in pending["items"]] == ["Solid and well made."]


def test_a_hostile_review_stays_inert_text(page, sites):
    _publish(sites, "eve", rating=1, title=HOSTILE, body=HOSTILE, name=HOSTILE)
    page.goto(_storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    body = page.locator("journeykit-reviews li p").nth(1)
    body.wait_for()
    assert body.inner_text() == HOSTILE
    assert page.evaluate("window.pwned") is None
    assert page.locator("journeykit-reviews img").count() == 0


def test_an_element_added_after_load_renders_in_the_pages_language(page, sites):
    _publish(sites, "ana", rating=4, title="Bien", body="Très bien.", name="Ana")
    page.goto(_storefront(sites, '<div id="later"></div>', lang="fr"))
    page.wait_for_function("customElements.get('journeykit-reviews') !== undefined")
    page.evaluate("document.getElementById('later').innerHTML = '<journeykit-reviews product=\"sku-1\"></journeykit-reviews>'")
    reviews = page.locator("journeykit-reviews")
    reviews.locator("text=Très bien.").wait_for()
    assert reviews.locator("h2").inner_text() == "Avis clients"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "reviews-late-added-fr.png"), full_page=True)


def test_other_origins_get_no_data(page, sites):
    sites["app"].config["JOURNEYKIT_ALLOWED_ORIGINS"] = []
    _publish(sites, "ana", rating=5, title="Hidden", body="Not for other sites.", name="Ana")
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(_storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    page.wait_for_timeout(1500)
    assert page.locator("journeykit-reviews section").inner_text() == "Customer reviews"
    assert any("CORS" in text for text in messages)
