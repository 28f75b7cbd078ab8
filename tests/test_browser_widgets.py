"""The embed script in a real browser (Debian's Chromium driven by Playwright).

A storefront on one local origin embeds the widgets from JourneyKit on
another, as a shop on a separate site would; the shop's own pages render the
fragments on the server and the script enhances them in place.  Screenshots
are kept in artifacts/screenshots/ (CI keeps that folder).
"""

from __future__ import annotations

import json

from playwright.sync_api import expect

from .browser_site import (
    add_photo, admin_get, publish_review, publish_testimonial, screenshot, shop_page, sites, storefront, token_for,
)

__all__ = ["sites"]  # the fixture, imported for these tests

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def test_reviews_render_cross_origin_and_a_shopper_submits_one(page, sites):
    publish_review(sites, "ana", rating=5, title="Lovely mug", body="Keeps tea hot.", name="Ana")
    page.goto(storefront(sites, '<journeykit-rating product="sku-1"></journeykit-rating>'
                                '<journeykit-reviews product="sku-1"></journeykit-reviews>', customer="bo"))
    reviews = page.locator("journeykit-reviews")
    reviews.locator("text=Keeps tea hot.").wait_for()
    assert page.locator("journeykit-rating").get_by_role("img", name="Rated 5 out of 5, 1 review").is_visible()
    assert page.locator("journeykit-rating .journeykit-rating-text").inner_text() == "5 · 1 review"
    page.get_by_role("button", name="Write a review").click()
    page.get_by_role("radio", name="4 stars").check(force=True)
    reviews.get_by_label("Your review").fill("Solid and well made.")
    reviews.get_by_role("button", name="Send review").click()
    reviews.get_by_role("status").filter(has_text="Thanks — your review is waiting for approval.").wait_for()
    screenshot(page, "reviews-cross-origin.png")
    pending = admin_get(sites, "/admin/reviews?status=pending")
    assert [(item["rating"], item["body"]) for item in pending["items"]] == [(4, "Solid and well made.")]


def test_a_hostile_review_stays_inert_text(page, sites):
    publish_review(sites, "eve", rating=1, title=HOSTILE, body=HOSTILE, name=HOSTILE)
    page.goto(storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    body = page.locator("journeykit-reviews .journeykit-review-body")
    body.wait_for()
    assert body.inner_text() == HOSTILE
    assert page.get_by_role("heading", name=HOSTILE).is_visible()
    assert page.evaluate("window.pwned") is None
    assert page.locator("journeykit-reviews img").count() == 0


def test_an_element_added_after_load_renders_in_the_pages_language(page, sites):
    publish_review(sites, "ana", rating=4, title="Bien", body="Très bien.", name="Ana")
    publish_review(sites, "ben", rating=5, title="Parfait", body="Superbe.", name="Ben")
    page.goto(storefront(sites, '<div id="later"></div>', lang="fr", customer="cy"))
    page.wait_for_function("customElements.get('journeykit-reviews') !== undefined")
    page.evaluate("document.getElementById('later').innerHTML = "
                  "'<journeykit-rating product=\"sku-1\"></journeykit-rating><journeykit-reviews product=\"sku-1\"></journeykit-reviews>'")
    reviews = page.locator("journeykit-reviews")
    reviews.locator("text=Très bien.").wait_for()
    assert reviews.get_by_role("heading", level=2).inner_text() == "Avis clients"
    assert page.locator("journeykit-rating").get_by_role("img", name="Noté 4,5 sur 5, 2 avis").is_visible()
    assert reviews.get_by_role("img", name="Noté 4 sur 5").is_visible()
    assert reviews.get_by_role("button", name="Utile (0)").count() == 2
    page.get_by_role("button", name="Donner votre avis").click()
    assert reviews.get_by_role("group", name="Votre note").is_visible()
    assert reviews.get_by_role("radio", name="1 étoile").count() == reviews.get_by_role("radio", name="5 étoiles").count() == 1
    reviews.get_by_role("button", name="Envoyer l'avis").click()
    reviews.get_by_role("status").filter(has_text="Veuillez corriger les champs signalés.").wait_for()
    assert reviews.locator(".journeykit-error:not([hidden])").all_inner_texts() == [
        "Choisissez une note de 1 à 5 étoiles.", "Écrivez quelques mots sur le produit."]
    body = reviews.get_by_role("textbox", name="Votre avis")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description("Écrivez quelques mots sur le produit.")
    expect(reviews.get_by_role("radio", name="1 étoile")).to_be_focused()  # the first field to correct
    screenshot(page, "reviews-late-added-fr.png")


def test_other_origins_get_no_data(page, sites):
    sites["app"].config["JOURNEYKIT_ALLOWED_ORIGINS"] = []
    publish_review(sites, "ana", rating=5, title="Hidden", body="Not for other sites.", name="Ana")
    with page.expect_console_message(lambda message: "CORS" in message.text):
        page.goto(storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    assert "Not for other sites." not in page.locator("journeykit-reviews").inner_text()


def test_a_server_rendered_fragment_is_enhanced_in_place(page, sites):
    for n in range(7):
        publish_review(sites, f"c{n}", rating=5 - n % 3, title=f"Review {n}", body=f"Body number {n}.", name=f"Buyer {n}")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(shop_page(sites, '{{ journeykit.reviews("sku-1", name="Mug") }}', customer="zoe"))
    reviews = page.locator("journeykit-reviews")
    write = page.get_by_role("button", name="Write a review")
    write.wait_for()
    # The server's first page and JSON-LD stay where crawlers read them: in the light DOM.
    assert page.evaluate("document.querySelector('journeykit-reviews').shadowRoot") is None
    data = json.loads(page.locator("journeykit-reviews script[type='application/ld+json']").text_content())
    assert data["aggregateRating"]["reviewCount"] == 7 and len(data["review"]) == 5
    assert reviews.locator(".journeykit-review").count() == 5
    assert not [url for url in requests if "/api/v1/products/" in url]  # the first page is not fetched again

    reviews.get_by_role("button", name="More reviews").click()
    reviews.get_by_role("status").filter(has_text="2 more reviews shown.").wait_for()
    assert reviews.locator(".journeykit-review-body").all_inner_texts() == [f"Body number {n}." for n in range(6, -1, -1)]
    assert reviews.get_by_role("button", name="More reviews").is_hidden()
    assert len([url for url in requests if "/journeykit/widgets/reviews?" in url and "cursor=" in url]) == 1  # one page on

    reviews.get_by_role("button", name="Helpful (0)").first.click()
    reviews.get_by_role("status").filter(has_text="Thank you for your vote.").wait_for()
    assert reviews.get_by_role("button", name="Helpful (1)").get_attribute("aria-pressed") == "true"
    write.click()
    assert reviews.get_by_role("radio", name="3 stars").is_enabled()
    screenshot(page, "reviews-server-rendered-enhanced.png")


def test_testimonials_filtered_by_tag_in_a_grid(page, sites):
    publish_testimonial(sites, "Ana", "Great for our team.", tags=["b2b"])
    publish_testimonial(sites, "Ben", "Lovely gifts.", tags=["gifts"])
    page.goto(storefront(sites, '<journeykit-testimonials tag="b2b"></journeykit-testimonials>'))
    wall = page.locator("journeykit-testimonials")
    wall.locator("text=Great for our team.").wait_for()
    assert wall.get_by_role("list").get_by_role("listitem").all_inner_texts() == ["Great for our team.\n\nAna"]
    assert wall.get_by_role("heading", name="What our customers say").is_visible()


def test_review_photos_show_as_lazy_images_with_alt_text(page, sites):
    first = publish_review(sites, "ana", rating=5, title="With photos", body="Look at it.", name="Ana")
    add_photo(sites, "ana", first, (120, 80), "orange")
    add_photo(sites, "ana", first, (60, 90), "teal")
    publish_review(sites, "ben", rating=4, title="No photo", body="Plain.", name="Ben")
    page.goto(storefront(sites, '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    photos = page.locator("journeykit-reviews").get_by_role("img", name="Photo from Ana's review")
    expect(photos).to_have_count(2)
    page.wait_for_function("[...document.querySelector('journeykit-reviews').shadowRoot.querySelectorAll('img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    assert [photos.nth(n).get_attribute("loading") for n in range(2)] == ["lazy", "lazy"]
    assert photos.first.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [120, 80]
    assert photos.first.get_attribute("src").startswith(sites["shop"] + "/journeykit/photos/")
    screenshot(page, "reviews-with-photos.png")

    page.goto(shop_page(sites, '{{ journeykit.reviews("sku-1") }}'))  # the server draws them too
    expect(page.get_by_role("img", name="Photo from Ana's review")).to_have_count(2)


def test_a_fragment_parsed_after_the_script_is_enhanced_once_whole(page, sites):
    """The script loaded before the fragment (synchronously here; async scripts can do the same when
    cached): the element connects before its children are parsed, so enhancing waits for them."""
    publish_review(sites, "ana", rating=4, title="Early", body="Parsed late.", name="Ana")
    token = token_for(sites, "bo")
    sites["shop_page"]["template"] = (
        f'<!doctype html><html lang="en"><head><script src="/journeykit/embed.js" data-customer-token="{token}"></script>'
        '</head><body>{{ journeykit.reviews("sku-1") }}</body></html>')
    page.goto(sites["shop"] + "/page")
    reviews = page.locator("journeykit-reviews")
    expect(reviews.get_by_role("button", name="Write a review")).to_be_visible()
    expect(reviews.get_by_role("button", name="Helpful (0)")).to_have_count(1)
