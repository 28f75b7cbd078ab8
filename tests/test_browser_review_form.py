"""The review form in a real Chromium: a buyer is asked, sends a review, sees it in place, and edits it.

On the shop's own page (its login, the server-rendered widget), on another site (the embed), without
JavaScript (the plain form), and on an order's thank-you page.  Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from journeykit.testing import StripeEvents, deliver

from .browser_site import admin_get, screenshot, shop_page, sites, storefront

__all__ = ["sites"]  # the fixture, imported for these tests

NAMES = {"sku-1": "Stoneware Mug", "sku-2": "Walnut Tray"}


def _buy(sites: dict[str, Any], customer: str, *products: str, session: str | None = None) -> None:
    """A paid order through JourneyKit's real webhook."""
    event = StripeEvents().checkout_completed(customer_id=customer, products=list(products), amount_total=4200)
    if session:
        event["data"]["object"]["id"] = session
    assert deliver(sites["app"].test_client(), event, secret="whsec_test_secret").status_code == 200


def _named(sites: dict[str, Any]) -> None:
    sites["journey"].product_loader(lambda product_id: {"name": NAMES[product_id]} if product_id in NAMES else None)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


@pytest.mark.parametrize("width", [390, 1280])
def test_a_buyer_is_asked_sends_a_review_sees_it_in_place_and_edits_it(page, sites, width):
    _buy(sites, "ana", "sku-1")
    _named(sites)
    sites["journey"].customer_loader(lambda: ("ana", "ana@example.com", "Ana"))  # the shop's login
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop_page(sites, '<main style="max-width:44em">{{ journeykit.reviews("sku-1") }}</main>', customer="ana"))
    reviews = page.locator("journeykit-reviews")
    # Her next visit to what she bought: the widget opens with the prompt and the verified badge.
    expect(reviews.get_by_text("How was Stoneware Mug?")).to_be_visible()
    expect(reviews.locator(".journeykit-prompt .journeykit-verified")).to_have_text("Verified buyer")
    write = reviews.get_by_role("button", name="Write a review")
    expect(write).to_have_attribute("aria-expanded", "true")
    page.wait_for_function("document.querySelector('journeykit-reviews').journeykit")  # embed.js has wired it up
    screenshot(page, f"review-form-prompt-{width}.png")

    reviews.get_by_role("radio", name="3 stars").check(force=True)  # three stars: the shop moderates it first
    reviews.get_by_label("Title (optional)").fill("Good, not perfect")
    reviews.get_by_role("textbox", name="Your review").fill("Keeps tea warm; the glaze chipped.")
    reviews.get_by_role("button", name="Send review").click()
    expect(reviews.get_by_role("status")).to_have_text("Thanks — your review is waiting for approval.")
    own = reviews.locator(".journeykit-own .journeykit-review")
    expect(own).to_contain_text("Keeps tea warm; the glaze chipped.")
    expect(own).to_contain_text("Waiting for approval")
    expect(own).to_contain_text("Verified buyer")
    expect(reviews.get_by_role("textbox", name="Your review")).to_be_hidden()  # the form closed
    edit = reviews.get_by_role("button", name="Edit your review")
    expect(edit).to_be_focused()
    expect(reviews.get_by_text("How was Stoneware Mug?")).to_have_count(0)
    _no_sideways_scroll(page)
    screenshot(page, f"review-form-sent-pending-{width}.png")

    edit.click()
    body = reviews.get_by_role("textbox", name="Your review")
    expect(body).to_have_value("Keeps tea warm; the glaze chipped.")
    expect(reviews.get_by_role("radio", name="3 stars")).to_be_checked()
    body.fill("Keeps tea warm; the chip was my fault.")
    reviews.get_by_role("radio", name="4 stars").check(force=True)
    reviews.get_by_role("button", name="Send review").click()
    # Four stars from a verified buyer publish at once: the edit is in the list, shown as edited.
    expect(reviews.get_by_role("status")).to_have_text("Thank you! Your edited review is published.")
    mine = reviews.locator(".journeykit-review", has_text="the chip was my fault")
    expect(mine).to_contain_text("Edited")
    expect(mine).to_contain_text("Your review")
    expect(reviews.locator(".journeykit-own")).to_have_count(0)
    review_id = admin_get(sites, "/admin/reviews?status=all")["items"][0]["id"]
    expect(mine).to_have_attribute("id", f"journeykit-review-{review_id}")  # the Google feed's anchor
    assert [(r["rating"], r["body"]) for r in admin_get(sites, "/admin/reviews?status=all")["items"]] == [
        (4, "Keeps tea warm; the chip was my fault.")]  # one review, edited: not two
    _no_sideways_scroll(page)
    screenshot(page, f"review-form-edited-{width}.png")


def test_on_another_site_the_form_is_sent_and_the_review_shows_in_place(page, sites):
    _named(sites)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>', customer="bo"))
    reviews = page.locator("journeykit-reviews")
    reviews.get_by_role("button", name="Write a review").click()
    expect(reviews.get_by_text("How was")).to_have_count(0)  # bo never bought it
    reviews.get_by_role("radio", name="5 stars").check(force=True)
    reviews.get_by_role("textbox", name="Your review").fill("Lovely shape.")
    reviews.get_by_role("button", name="Send review").click()
    expect(reviews.get_by_role("status")).to_have_text("Thanks — your review is waiting for approval.")
    expect(reviews.locator(".journeykit-own")).to_contain_text("Lovely shape.")
    expect(reviews.get_by_role("button", name="Edit your review")).to_be_focused()
    screenshot(page, "review-form-shadow-dom-390.png")
    page.reload()  # a later visit: still shown to bo alone, with the form to edit it
    expect(reviews.locator(".journeykit-own")).to_contain_text("Waiting for approval")
    page.goto(storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    expect(reviews.get_by_text("No reviews yet.")).to_be_visible()
    expect(reviews.get_by_text("Lovely shape.")).to_have_count(0)


def test_without_javascript_the_form_posts_and_the_page_returns_at_the_review(browser, sites):
    sites["journey"].customer_loader(lambda: ("cy", "cy@example.com", "Cy"))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(shop_page(sites, '{{ journeykit.reviews("sku-1", name="Stoneware Mug") }}'))
    reviews = page.locator("journeykit-reviews")
    expect(reviews.get_by_role("button", name="Write a review")).to_be_hidden()  # it needs the script: the form shows
    reviews.get_by_role("radio", name="2 stars").check(force=True)
    reviews.get_by_role("textbox", name="Your review").fill("Too small for me.")
    reviews.get_by_role("button", name="Send review").click()
    review_id = admin_get(sites, "/admin/reviews?status=all")["items"][0]["id"]
    assert page.url == f"{sites['shop']}/page#journeykit-review-{review_id}"
    expect(page.locator(f"#journeykit-review-{review_id}")).to_contain_text("Waiting for approval")
    screenshot(page, "review-form-no-javascript-390.png")
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_thank_you_page_asks_about_each_product_bought(page, sites, width):
    _buy(sites, "dee", "sku-1", "sku-2", session="cs_test_thank_you")
    _named(sites)
    page.set_viewport_size({"width": width, "height": 900})
    thanks = shop_page(sites, '<main style="max-width:44em"><h2>Thank you for your order!</h2>'
                              '{{ journeykit.review_prompt("cs_test_thank_you") }}</main>')
    page.goto(thanks)
    prompt = page.get_by_role("complementary", name="Tell us about your order")
    expect(prompt.get_by_text("How was Stoneware Mug?")).to_be_visible()
    expect(prompt.get_by_text("How was Walnut Tray?")).to_be_visible()
    expect(prompt.get_by_text("Verified buyer")).to_have_count(2)
    _no_sideways_scroll(page)
    screenshot(page, f"review-prompt-thank-you-{width}.png")

    prompt.get_by_role("listitem").filter(has_text="Walnut Tray").get_by_role("link", name="Write a review").click()
    assert page.url.endswith("#review-sku-2")  # the order's signed review form, at the tray
    tray = page.locator("#review-sku-2")
    tray.get_by_role("radio", name="5★").check()
    tray.get_by_label("Your review").fill("Beautiful grain.")
    page.get_by_role("button", name="Send my reviews").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    page.goto(thanks)
    expect(prompt.get_by_text("How was Walnut Tray?")).to_have_count(0)  # reviewed: no longer asked
    expect(prompt.get_by_text("How was Stoneware Mug?")).to_be_visible()
