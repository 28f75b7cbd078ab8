"""embed.js reports widget views and interactions by itself, as the server stores them.

The page's clock is frozen (``page.clock.install()``), so the script's delayed
send never fires: what reaches the server went by beacon when the page was
hidden, or because a batch filled up.
"""

from __future__ import annotations

import sqlalchemy as sa

from journeykit.metrics import holdout
from journeykit.models import Customer, JourneyEvent

import pytest

from .browser_site import events, publish_review, publish_testimonial, sites, storefront, wait_until

__all__ = ["sites"]  # the fixture, imported for these tests


@pytest.fixture(autouse=True)
def count_headless_chrome(sites):
    """Headless Chromium calls itself "HeadlessChrome", which the bot filter rightly drops; a
    context's user-agent override does not reach beacons sent while the page unloads."""
    sites["app"].config["JOURNEYKIT_TRACK_BOTS"] = True

SPACER = '<div style="height:3000px">Scroll down</div>'


def _widgets_page(sites, **kwargs) -> str:
    return storefront(sites, '<journeykit-rating product="sku-1"></journeykit-rating>'
                             '<journeykit-reviews product="sku-1"></journeykit-reviews>' + SPACER +
                             '<journeykit-testimonials layout="carousel"></journeykit-testimonials>', **kwargs)


def test_views_and_interactions_reach_the_server_when_the_page_is_hidden(page, sites):
    for n in range(6):
        publish_review(sites, f"c{n}", rating=5, title=f"T{n}", body=f"Body {n}.", name=f"N{n}")
    for name in ("Ana", "Ben"):
        publish_testimonial(sites, name, f"Words from {name}.")
    page.clock.install()
    page.goto(_widgets_page(sites, customer="bo"))
    reviews = page.locator("journeykit-reviews")
    reviews.get_by_role("button", name="More reviews").click()
    reviews.get_by_text("Body 0.").wait_for()
    reviews.get_by_role("button", name="Helpful (0)").first.click()
    reviews.get_by_role("status").filter(has_text="Thank you for your vote.").wait_for()
    reviews.get_by_role("button", name="Write a review").click()
    page.wait_for_timeout(300)
    assert events(sites) == []  # nothing sent while the page is in use
    page.locator("journeykit-testimonials").scroll_into_view_if_needed()
    page.get_by_role("button", name="Next testimonial").click()
    page.wait_for_timeout(300)

    visitor = page.evaluate("localStorage.getItem('journeykit_visitor')")
    page.goto("about:blank")  # visibilitychange → hidden, pagehide: the beacon
    received = wait_until(lambda: len(events(sites)) >= 7 and events(sites)) or events(sites)
    views = sorted((props["widget"], product) for name, product, props in received if name == "widget_viewed")
    assert views == [("rating", "sku-1"), ("reviews", "sku-1"), ("testimonials", None)]
    actions = [(product, props) for name, product, props in received if name == "widget_interaction"]
    assert actions == [
        ("sku-1", {"widget": "reviews", "action": "more_reviews"}),
        ("sku-1", {"widget": "reviews", "action": "helpful_vote"}),
        ("sku-1", {"widget": "reviews", "action": "form_opened"}),
        (None, {"widget": "testimonials", "action": "carousel_next"}),
    ]
    with sites["app"].app_context():
        stored = sites["app"].extensions["sqlalchemy"].session.execute(
            sa.select(Customer.shop_customer_id, JourneyEvent.visitor_id)
            .join(Customer, JourneyEvent.customer_id == Customer.id, isouter=True)
            .where(JourneyEvent.source == "browser")).all()
    assert set(stored) == {("bo", visitor)}  # named in the body: a beacon cannot send headers


def test_a_full_batch_is_sent_at_once_and_data_track_off_sends_nothing(page, sites):
    for name in ("Ana", "Ben", "Cy"):
        publish_testimonial(sites, name, f"Words from {name}.")
    page.clock.install()
    page.goto(storefront(sites, '<journeykit-testimonials layout="carousel"></journeykit-testimonials>'))
    following = page.get_by_role("button", name="Next testimonial")
    following.wait_for()
    following.evaluate("button => { for (let i = 0; i < 19; i++) button.click(); }")  # with the view: 20 events
    received = wait_until(lambda: len(events(sites)) >= 20 and events(sites))
    assert len(received) == 20 and received[0][0] == "widget_viewed"

    page.goto(storefront(sites, '<journeykit-testimonials layout="carousel"></journeykit-testimonials>',
                         script_attrs=' data-track="off"'))
    following.wait_for()
    following.evaluate("button => { for (let i = 0; i < 25; i++) button.click(); }")
    page.goto("about:blank")
    page.wait_for_timeout(500)
    assert len(events(sites)) == 20


def test_a_held_out_visitor_is_not_shown_the_widget_and_is_counted(page, sites):
    """The script's split (FNV-1a of "<widget>:<visitor id>") is the server's: pick a visitor it holds out of reviews only."""
    sites["app"].config.update(JOURNEYKIT_HOLDOUT_SHARE=0.5, JOURNEYKIT_HOLDOUT_WIDGETS=["reviews", "rating"])
    visitor = next(v for v in (f"visitor-{n:010d}" for n in range(100))
                   if holdout.bucket(v, "reviews") < 5000 <= holdout.bucket(v, "rating"))
    publish_review(sites, "ana", rating=5, title="Fine", body="Shown to some.", name="Ana")
    page.add_init_script(f"localStorage.setItem('journeykit_visitor', '{visitor}')")
    page.goto(storefront(sites, '<journeykit-rating product="sku-1"></journeykit-rating>'
                                '<journeykit-reviews product="sku-1"></journeykit-reviews>'))
    page.get_by_role("img", name="Rated 5 out of 5, 1 review").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('journeykit-reviews').shadowRoot") is None
    page.goto("about:blank")
    received = wait_until(lambda: len(events(sites)) >= 2 and events(sites)) or events(sites)
    assert sorted((name, props["widget"]) for name, _, props in received) == [
        ("widget_held_out", "reviews"), ("widget_viewed", "rating")]


def test_the_shops_visitor_id_is_the_one_embed_js_reports(page, sites):
    """A shop that knows its visitor (a cookie of its own) hands the id to the script: one person, not two."""
    publish_review(sites, "c1", rating=4, title="Fine", body="Does the job.")
    page.clock.install()
    page.goto(storefront(sites, '<journeykit-rating product="sku-1"></journeykit-rating>',
                         script_attrs=' data-visitor-id="v-shop-0123456789abcdef"'))
    page.locator("journeykit-rating").get_by_role("img").wait_for()
    assert page.evaluate("localStorage.getItem('journeykit_visitor')") == "v-shop-0123456789abcdef"
    page.goto("about:blank")
    wait_until(lambda: events(sites))
    with sites["app"].app_context():
        visitors = sites["app"].extensions["sqlalchemy"].session.scalars(
            sa.select(JourneyEvent.visitor_id).where(JourneyEvent.source == "browser")).all()
    assert set(visitors) == {"v-shop-0123456789abcdef"}
