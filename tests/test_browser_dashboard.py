"""The owner's dashboard in a real Chromium, with a month of data (artifacts/screenshots/dashboard.png)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from journeykit.core import migrate

from .browser_site import screenshot, serve
from .conftest import make_shop
from .dashboard_data import ADMIN, CONFIG, HOSTILE_WIDGET, seed


@pytest.fixture
def dashboard_url(tmp_path: pathlib.Path) -> Iterator[str]:
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", CONFIG)
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    seed(app, journey)
    url, server = serve(app)
    yield url + "/journeykit/admin/"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_the_owner_sees_the_funnel_and_what_the_widgets_do(page, dashboard_url):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(dashboard_url)
    funnel = page.get_by_role("img", name="Funnel: awareness 55, consideration 22, purchase 19, retention 1, advocacy 2")
    expect(funnel).to_be_visible()
    expect(page.get_by_role("link", name="30 days")).to_have_attribute("aria-current", "page")
    lift = page.locator("#lift")
    expect(lift.get_by_role("row", name="reviews")).to_contain_text("Lifts conversion")
    expect(lift.get_by_role("row", name=HOSTILE_WIDGET)).to_contain_text("Not enough data yet")
    expect(lift.get_by_role("img", name="Lift per widget in percentage points:")).to_be_visible()
    expect(page.locator("#sales")).to_contain_text("460.00 USD")
    expect(page.locator('#loyalty [data-figure="outstanding"] b')).to_have_text("5,460")
    assert dialogs == [] and page.locator("main script, main img").count() == 0  # the shoppers' markup stayed text
    screenshot(page, "dashboard.png")

    page.get_by_role("link", name="365 days").click()
    expect(page.get_by_role("img", name="People reaching each stage per week", exact=False)).to_be_visible()
