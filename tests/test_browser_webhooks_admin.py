"""The owner's webhooks page in a real Chromium, at a phone's 390 px and a desktop's 1280 px: adding an endpoint
(its secret shown once), a test, a pause, a delete after asking, with no sideways scroll and long URLs wrapped.
Screenshots: artifacts/screenshots/admin-webhooks-*.png.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from journeykit.core import migrate

from .browser_site import ADMIN, screenshot, serve
from .conftest import make_shop
from .hook_receiver import receiver  # noqa: F401 - the fixture

PAGE = "/journeykit/admin/webhooks"


@pytest.fixture
def shop_url(tmp_path: pathlib.Path) -> Iterator[str]:
    app, db, _ = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3")
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    url, server = serve(app)
    yield url
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_adds_tests_pauses_and_deletes_an_endpoint(page, shop_url, receiver, width):
    long_url = receiver.url + "/" + "a-rather-long-path-segment-" * 6 + "?source=journeykit&shop=main"
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop_url + PAGE)
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    _fits(page, width)

    page.get_by_label("Endpoint URL").fill(long_url)
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_label("Only these:").check()
    page.get_by_label("A paid order").check()
    page.get_by_label("A review published").check()
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.get_by_role("status")).to_have_text(
        "Endpoint added. Copy its signing secret now: it is not shown again.")
    secret = page.locator(".secret-value")
    expect(secret).to_contain_text("jkwh_")
    expect(page.locator("dl.facts")).to_contain_text("purchase.recorded, review.published")
    _fits(page, width)
    screenshot(page, f"admin-webhooks-added-{width}.png")

    page.get_by_role("button", name="Send a test event to").click()
    expect(page.get_by_role("status")).to_have_text("The test event was delivered: the endpoint answered HTTP 200.")
    assert [hook.json["type"] for hook in receiver.received] == ["ping"]
    expect(page.locator(".secret-value")).to_have_count(0)  # shown once
    page.get_by_role("button", name=f"Pause {long_url}").click()
    expect(page.locator("dl.facts .state")).to_have_text("Paused")

    page.goto(shop_url + PAGE)
    row = page.locator('tr[data-status="delivered"]')
    expect(row).to_contain_text("ping")
    expect(page.locator("article.endpoint .state")).to_have_text("Paused")
    _fits(page, width)
    url_box = page.locator("article.endpoint h3.url").bounding_box()
    assert url_box is not None and url_box["x"] + url_box["width"] <= width  # the long URL wraps inside the page
    screenshot(page, f"admin-webhooks-{width}.png")

    page.get_by_role("link", name=f"Delete {long_url}…").click()
    expect(page.get_by_role("heading", name="Delete this endpoint?")).to_be_visible()
    _fits(page, width)
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.get_by_role("status")).to_have_text("Endpoint deleted, with its deliveries.")
    expect(page.locator("article.endpoint")).to_have_count(0)


def test_a_bad_url_is_explained_beside_the_field(page, shop_url):
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(shop_url + PAGE)
    page.get_by_label("Endpoint URL").fill("ftp://files.example/hook")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#url-error")).to_have_text("Use an http:// or https:// URL with a host name.")
    expect(page.get_by_label("Endpoint URL")).to_have_value("ftp://files.example/hook")
    expect(page.get_by_label("Endpoint URL")).to_have_attribute("aria-invalid", "true")
    _fits(page, 390)
    screenshot(page, "admin-webhooks-bad-url-390.png")
