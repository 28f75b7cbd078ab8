"""The owner's dashboard in a real Chromium, with a month of data, at a phone's, a tablet's and a desktop's width:
nothing scrolls sideways, no label runs into another, every figure's label leads to what it means
(artifacts/screenshots/dashboard-<width>.png)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from itertools import combinations

import pytest
from playwright.sync_api import expect

from journeykit.core import migrate

from .browser_site import screenshot, serve
from .conftest import make_shop
from .dashboard_data import ADMIN, CONFIG, HOSTILE_WIDGET, seed

LONG_WORD = "Unbelievablyexcellentproductthatkeepsgoingwithoutanyspaceswhatsoeverandthensomemoreofit"
#: The shop's names, a long one and one without a space among them: they must wrap, not widen the page.
CATALOGUE = {"sku-1": "Merino wool hiking socks, pack of three, in charcoal grey and forest green",
             "sku-2": LONG_WORD, "sku-3": "Stoneware mug"}


@pytest.fixture
def dashboard_url(tmp_path: pathlib.Path) -> Iterator[str]:
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", CONFIG)
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    seed(app, journey)
    journey.product_loader(lambda product_id: {"name": CATALOGUE[product_id]} if product_id in CATALOGUE else None)
    url, server = serve(app)
    yield url + "/journeykit/admin/"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _boxes(page, selector: str) -> list[dict]:
    """The bounding boxes of the visible elements matching ``selector``, with their text."""
    return page.evaluate("""selector => [...document.querySelectorAll(selector)]
        .map(e => ({text: e.textContent.trim(), box: e.getBoundingClientRect()}))
        .filter(({box}) => box.width > 0 && box.height > 0)
        .map(({text, box}) => ({text, left: box.left, right: box.right, top: box.top, bottom: box.bottom}))""", selector)


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for a, b in combinations(boxes, 2)
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


def test_the_owner_sees_the_funnel_and_what_the_widgets_do(page, dashboard_url):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(dashboard_url)
    funnel = page.get_by_role("list", name="Funnel: awareness 55, consideration 22, purchase 19, retention 1, advocacy 2")
    expect(funnel).to_be_visible()
    expect(funnel.get_by_role("listitem").nth(3)).to_contain_text("Retention 1 ↳ 5.3% of purchase")
    expect(page.get_by_role("link", name="30 days")).to_have_attribute("aria-current", "page")
    lift = page.locator("#lift")
    expect(lift.get_by_role("row", name="reviews")).to_contain_text("Lifts conversion")
    expect(lift.get_by_role("row", name=HOSTILE_WIDGET)).to_contain_text("Not enough data yet")
    expect(lift.get_by_role("img", name="Lift per widget in percentage points:")).to_be_visible()
    expect(page.locator("#sales")).to_contain_text("460.00 USD")
    expect(page.locator('#loyalty [data-figure="outstanding"] b')).to_have_text("5,460")
    expect(page.locator("#products")).to_contain_text(CATALOGUE["sku-1"])  # the shop's names, not the ids
    assert dialogs == [] and page.locator("main script, main img").count() == 0  # the shoppers' markup stayed text

    page.get_by_role("link", name="365 days").click()
    expect(page.get_by_role("img", name="People reaching each stage per week", exact=False)).to_be_visible()


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_nothing_scrolls_sideways_and_no_label_runs_into_another(page, dashboard_url, width):
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(dashboard_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"the page is {page.evaluate('document.documentElement.scrollWidth')} px wide at {width} px")
    labels = _boxes(page, ".funnel-label")
    assert len(labels) == 5 and _overlapping(labels) == []
    card = page.locator("#funnel").bounding_box()
    assert all(card["x"] <= label["left"] and label["right"] <= card["x"] + card["width"] for label in labels)
    for chart in ("#over-time svg text", "#lift svg text"):
        assert _overlapping(_boxes(page, chart)) == [], chart
    # the shop's long names wrap inside their cards
    expect(page.locator("#orders")).to_contain_text(LONG_WORD)
    if width == 390:  # the cohorts scroll in their own box, and say so; the other tables stack
        heat = page.locator("#cohorts .scroll-box")
        assert heat.evaluate("box => box.scrollWidth > box.clientWidth")
        expect(page.get_by_text("Scroll the table sideways for the later weeks")).to_be_visible()
        expect(page.locator("#times thead")).to_have_css("clip-path", "inset(50%)")
    screenshot(page, f"dashboard-{width}.png")


def test_a_figures_label_leads_to_what_it_means_and_back(page, dashboard_url):
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(dashboard_url)
    page.locator("#funnel").get_by_role("link", name="Retention").first.click()
    assert page.url.endswith("#define-retention")
    entry = page.locator("#define-retention")
    expect(entry).to_be_in_viewport()
    expect(page.locator("#define-retention + dd")).to_contain_text("Its share is of purchase")
    page.locator("#define-retention + dd").get_by_role("link", name="Back to Funnel ↑").click()
    expect(page.locator("#funnel-title")).to_be_in_viewport()

    page.locator("#pending li a").first.click()  # a review waiting opens in the moderation inbox, at its card
    page.wait_for_url("**/journeykit/admin/reviews?status=pending&product=sku-1#review-*")
    expect(page.locator(f"#{page.url.rpartition('#')[2]}")).to_be_visible()
