"""The owner's moderation inbox in a real Chromium, on a phone and a desktop (artifacts/screenshots/moderation-*.png).

Reviews with a very long word, title and product id must not make the page
scroll sideways; decisions made with the keyboard, the bulk bar and the inline
reply change the counts per status and the reviews in place, without a reload.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from journeykit.core import migrate
from journeykit.testing import StripeEvents, deliver

from .browser_site import ADMIN, API, screenshot, serve
from .conftest import make_shop

#: A product id as long as the column holds, that the shop's loader gives no name.
LONG_ID = "sku-" + "x" * 251
PRODUCTS = {"sku-1": {"name": "Cast-iron skillet", "url": "/products/sku-1"}, LONG_ID: {}}
LONG_WORD = "Unbelievably" * 120


def _writer(app: Any, journey: Any) -> Any:
    """``write(customer, product="sku-1", **review)``: a review through the API; returns its id."""
    client = app.test_client()

    def write(customer: str, product: str = "sku-1", **review: Any) -> int:
        with app.test_request_context():
            token = journey.customer_token(customer, email=f"{customer}@example.com", name=customer.title())
        answer = client.post(f"{API}/products/{product}/reviews", json=review, headers={"X-JourneyKit-Customer": token})
        assert answer.status_code == 201, answer.json
        return answer.json["id"]

    return write


def _seed(app: Any, journey: Any) -> dict[str, int]:
    """A verified buyer's 3 stars, three more waiting (one with a huge word, one on LONG_ID), one published."""
    client, write = app.test_client(), _writer(app, journey)
    event = StripeEvents().checkout_completed(customer_id="bea", email="bea@example.com", products=["sku-1"])
    assert deliver(client, event, secret=app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"]).status_code == 200
    made = {
        "bea": write("bea", "sku-1", rating=3, title="Good, heavy", body="Heats evenly.\nA little heavy to lift."),
        "cara": write("cara", "sku-1", rating=1, title="T" * 150, body=f"{LONG_WORD} and more."),
        "dan": write("dan", LONG_ID, rating=2, body="The handle gets hot."),
        "eve": write("eve", "sku-1", rating=5, body="Lovely pan."),
        "fay": write("fay", "sku-1", rating=4, body="Does the job."),
    }
    assert client.post(f"{API}/admin/reviews/{made['fay']}/publish", headers=ADMIN).status_code == 200
    return made


@pytest.fixture
def inbox(tmp_path: pathlib.Path) -> Iterator[dict[str, Any]]:
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3")
    journey.product_loader(PRODUCTS.get)
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    made = _seed(app, journey)
    url, server = serve(app)
    yield {"url": url + "/journeykit/admin/reviews", "made": made, "write": _writer(app, journey)}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def _counts(page: Any) -> dict[str, str]:
    return {status: page.locator(f'.tabs [data-count="{status}"]').inner_text()
            for status in ("pending", "published", "rejected", "all")}


@pytest.mark.parametrize("width", [390, 1280])
def test_the_owner_moderates_from_the_keyboard_and_the_counts_follow(page, inbox, width):
    made = inbox["made"]
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(inbox["url"])
    page.evaluate("window.notReloaded = true")
    assert _counts(page) == {"pending": "4", "published": "1", "rejected": "0", "all": "5"}
    cards = page.locator("#inbox li.review")
    expect(cards).to_have_count(4)
    expect(page.locator(f"#review-{made['bea']}")).to_contain_text("Verified buyer")
    expect(page.locator(f"#review-{made['bea']}").get_by_role("link", name="Cast-iron skillet")).to_be_visible()
    expect(page.locator(f"#review-{made['dan']}")).to_contain_text(LONG_ID)
    _no_sideways_scroll(page)
    page.screenshot(path=str(pathlib.Path("/tmp") / "unused.png"))  # a layout pass before the full-page shot
    screenshot(page, f"moderation-{width}.png")

    page.keyboard.press("j")  # the first (oldest) waiting review: bea's
    expect(page.locator(f"#review-{made['bea']}")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("a")
    expect(page.locator("#notice")).to_have_text(f"Review {made['bea']} published. Undo")
    assert _counts(page) == {"pending": "3", "published": "2", "rejected": "0", "all": "5"}
    expect(page.locator(f"#review-{made['bea']}")).to_have_class(re.compile(r"\bmoved\b"))
    expect(page.locator(f"#review-{made['cara']}")).to_be_focused()  # the next one is current
    page.keyboard.press("u")
    expect(page.locator("#notice")).to_have_text(f"Undone: review {made['bea']} is back as it was.")
    assert _counts(page)["pending"] == "4"
    expect(page.locator(f"#review-{made['bea']}")).not_to_have_class(re.compile(r"\bmoved\b"))

    cara = page.locator(f"#review-{made['cara']}")  # reject: no default reason, then one chosen
    cara.get_by_role("button", name="Reject").click()
    assert _counts(page)["rejected"] == "0" and cara.locator("select").evaluate("node => !node.validity.valid")
    cara.get_by_role("combobox", name=f"Reason to reject review {made['cara']}").select_option("spam")
    cara.get_by_role("button", name="Reject").click()
    expect(page.locator("#notice")).to_contain_text(f"Review {made['cara']} rejected: Spam.")
    assert _counts(page) == {"pending": "3", "published": "1", "rejected": "1", "all": "5"}

    eve = page.locator(f"#review-{made['eve']}")  # an inline reply
    eve.get_by_text("Reply", exact=True).click()
    eve.get_by_label("Your public reply").fill("Thank you, Eve!")
    eve.get_by_role("button", name="Save reply").click()
    expect(eve.locator("blockquote.reply")).to_contain_text("Thank you, Eve!")
    expect(page.locator("#notice")).to_contain_text("Your reply to review")

    page.locator(f'#review-{made["dan"]} input[name="ids"]').check()  # the bulk bar
    page.locator(f'#review-{made["eve"]} input[name="ids"]').check()
    expect(page.locator("#selected-count")).to_have_text("2 selected:")
    page.get_by_role("button", name="Publish selected").click()
    expect(page.locator("#notice")).to_contain_text("2 reviews published.")
    assert _counts(page) == {"pending": "1", "published": "3", "rejected": "1", "all": "5"}
    assert page.evaluate("window.notReloaded") is True
    _no_sideways_scroll(page)
    screenshot(page, f"moderation-after-{width}.png")

    inbox["write"]("gil", rating=2, body="Arrived late.")  # a new review while the page is open
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the owner comes back to the tab
    expect(page.locator('.tabs [data-count="pending"]')).to_have_text("2")
    screenshot(page, f"moderation-after-{width}.png")


def test_the_keyboard_shortcuts_are_listed(page, inbox):
    page.set_extra_http_headers(ADMIN)
    page.goto(inbox["url"])
    page.keyboard.press("?")
    keys = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keys).to_be_visible()
    expect(keys).to_contain_text("Reject it")
    page.keyboard.press("Escape")
    expect(keys).to_be_hidden()
    page.get_by_label("Search").fill("unbelievably")
    page.keyboard.press("j")  # typing in a field is no shortcut
    expect(page.get_by_label("Search")).to_have_value("unbelievablyj")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    expect(page.locator("#inbox li.review")).to_have_count(1)
    assert page.locator('.tabs [data-count="pending"]').inner_text() == "1"  # the counts follow the filters


def test_a_published_review_goes_to_the_testimonials_page_which_fits_a_phone(page, inbox):
    fay = inbox["made"]["fay"]
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(inbox["url"] + "?status=published")
    page.locator(f"#review-{fay}").get_by_role("button", name="Add to testimonials").click()
    expect(page.get_by_role("heading", name="Testimonials", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(f"Review {fay} is now a testimonial on the wall.")
    expect(page.locator('.tabs [data-count="published"]')).to_have_text("1")
    _no_sideways_scroll(page)
    screenshot(page, "testimonials-390.png")


def test_without_javascript_the_forms_post_and_come_back(browser, inbox):
    made = inbox["made"]
    context = browser.new_context(java_script_enabled=False, extra_http_headers=ADMIN, viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(inbox["url"])
    dan = page.locator(f"#review-{made['dan']}")
    dan.get_by_role("button", name="Reject").click()  # no reason chosen: the browser keeps the form
    assert page.locator('.tabs [data-count="rejected"]').inner_text() == "0"
    dan.locator("select").select_option("off_topic")
    dan.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_have_text(f"Review {made['dan']} rejected: Off topic. Undo")
    assert _counts(page) == {"pending": "3", "published": "1", "rejected": "1", "all": "5"}
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_have_text(f"Undone: review {made['dan']} is back as it was.")
    assert _counts(page)["pending"] == "4"
    _no_sideways_scroll(page)
    context.close()
