"""The widgets by keyboard and through the accessibility tree, in a real Chromium.

``get_by_role`` queries the browser's accessibility tree, so these tests see
the names a screen reader announces.
"""

from __future__ import annotations

from playwright.sync_api import expect

from .browser_site import admin_get, publish_review, publish_testimonial, screenshot, shop_page, sites, storefront

__all__ = ["sites"]  # the fixture, imported for these tests

FOCUS_COLOR = "rgb(255, 0, 170)"


def _tab_to(page, locator, most: int = 15) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if locator.evaluate("node => node.matches(':focus')"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_a_shopper_writes_a_review_with_the_keyboard_alone(page, sites):
    publish_review(sites, "ana", rating=5, title="Lovely", body="Keeps tea hot.", name="Ana")
    page.goto(storefront(sites, f'<style>body{{--journeykit-focus-color:{FOCUS_COLOR}}}</style>'
                                '<journeykit-reviews product="sku-1"></journeykit-reviews>', customer="bo"))
    reviews = page.locator("journeykit-reviews")
    write = reviews.get_by_role("button", name="Write a review")
    write.wait_for()
    _tab_to(page, write)
    assert write.evaluate("node => getComputedStyle(node).outlineColor") == FOCUS_COLOR  # :focus-visible, themed
    page.keyboard.press("Enter")
    expect(write).to_have_attribute("aria-expanded", "true")
    expect(reviews.get_by_role("radio", name="1 star")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(reviews.get_by_role("radio", name="4 stars")).to_be_checked()
    expect(reviews.get_by_role("radio", name="4 stars")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("Sturdy")
    page.keyboard.press("Tab")
    page.keyboard.type("See https://a.example https://b.example https://c.example")
    page.keyboard.press("Tab")
    expect(reviews.get_by_role("button", name="Send review")).to_be_focused()
    page.keyboard.press("Enter")

    # The API's field errors land next to their field, and focus goes there.
    status = reviews.get_by_role("status")
    expect(status).to_have_text("Please correct the marked fields.")
    body = reviews.get_by_role("textbox", name="Your review")
    expect(body).to_be_focused()
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description("Too many links.")
    screenshot(page, "review-form-field-error.png")

    page.keyboard.press("Control+A")
    page.keyboard.type("Sturdy and warm.")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(status).to_have_text("Thanks — your review is waiting for approval.")
    # Sent: the form closes, the review shows in place, and focus goes to the button that reopens it; opened
    # again, the form holds the review and the old error is gone.
    body = reviews.get_by_role("textbox", name="Your review")
    expect(body).to_be_hidden()
    expect(reviews.get_by_role("button", name="Edit your review")).to_be_focused()
    page.keyboard.press("Enter")
    expect(body).to_have_value("Sturdy and warm.")
    expect(body).not_to_have_attribute("aria-invalid", "true")
    pending = admin_get(sites, "/admin/reviews?status=pending")["items"]
    assert [(r["rating"], r["title"], r["body"]) for r in pending] == [(4, "Sturdy", "Sturdy and warm.")]


def test_the_carousel_moves_only_when_asked_and_by_keyboard(page, sites):
    for name in ("Ana", "Ben", "Cy"):
        publish_testimonial(sites, name, f"Words from {name}.")
    page.clock.install()
    page.goto(storefront(sites, '<journeykit-testimonials layout="carousel"></journeykit-testimonials>'))
    carousel = page.get_by_role("region", name="What our customers say")
    expect(carousel).to_have_attribute("aria-roledescription", "carousel")  # once its testimonials have loaded
    first = carousel.get_by_role("group", name="1 of 3")
    expect(first).to_be_visible()
    page.clock.run_for(30_000)  # no autoplay attribute: nothing moves by itself
    expect(first).to_be_visible()

    following = carousel.get_by_role("button", name="Next testimonial")
    _tab_to(page, following)
    page.keyboard.press("Enter")
    expect(carousel.get_by_role("group", name="2 of 3")).to_be_visible()
    expect(first).to_be_hidden()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(first).to_be_visible()  # wraps around
    page.keyboard.press("Shift+Tab")
    expect(carousel.get_by_role("button", name="Previous testimonial")).to_be_focused()
    page.keyboard.press("Enter")
    expect(carousel.get_by_role("group", name="3 of 3")).to_be_visible()
    assert carousel.locator(".journeykit-slides").get_attribute("aria-live") == "polite"
    screenshot(page, "testimonials-carousel.png")


def test_autoplay_pauses_on_hover_and_focus_and_never_under_reduced_motion(page, sites):
    for name in ("Ana", "Ben", "Cy"):
        publish_testimonial(sites, name, f"Words from {name}.")
    page.clock.install()
    page.goto(storefront(sites, '<p><a href="#">before</a></p>'
                                '<journeykit-testimonials layout="carousel" autoplay="5"></journeykit-testimonials>'))
    carousel = page.get_by_role("region", name="What our customers say")
    carousel.wait_for()
    expect(carousel.get_by_role("group", name="1 of 3")).to_be_visible()
    assert carousel.locator(".journeykit-slides").get_attribute("aria-live") == "off"
    page.clock.run_for(5_100)
    expect(carousel.get_by_role("group", name="2 of 3")).to_be_visible()
    carousel.hover()
    page.clock.run_for(20_000)
    expect(carousel.get_by_role("group", name="2 of 3")).to_be_visible()
    page.mouse.move(0, 0)
    stop = carousel.get_by_role("button", name="Stop rotating")
    stop.focus()  # focus inside pauses too
    page.clock.run_for(20_000)
    expect(carousel.get_by_role("group", name="2 of 3")).to_be_visible()
    page.keyboard.press("Enter")
    expect(carousel.get_by_role("button", name="Start rotating")).to_be_visible()
    page.get_by_role("link", name="before").focus()
    page.clock.run_for(20_000)
    expect(carousel.get_by_role("group", name="2 of 3")).to_be_visible()  # stopped stays stopped

    page.emulate_media(reduced_motion="reduce")
    page.reload()
    carousel.wait_for()
    page.clock.run_for(30_000)
    expect(carousel.get_by_role("group", name="1 of 3")).to_be_visible()
    assert carousel.get_by_role("button", name="Stop rotating").count() == 0


def test_a_server_rendered_carousel_gets_its_controls(page, sites):
    for name in ("Ana", "Ben"):
        publish_testimonial(sites, name, f"Words from {name}.")
    page.goto(shop_page(sites, '{{ journeykit.testimonials(layout="carousel") }}'))
    carousel = page.get_by_role("region", name="What our customers say")
    carousel.get_by_role("button", name="Next testimonial").click()
    expect(carousel.get_by_role("group", name="2 of 2")).to_be_visible()
    expect(carousel.get_by_role("group", name="1 of 2")).to_be_hidden()
