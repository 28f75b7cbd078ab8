"""The demo shop in a real Chromium: every widget on its pages, enhanced by embed.js.

The screenshots (artifacts/screenshots/demo-*.png) show what a shop gets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect

from examples.demoshop import create_app
from examples.demoshop import models as shop
from examples.demoshop.catalog import REFERRAL_CODES
from journeykit.core.db import metadata as journeykit_metadata

from .browser_site import SHOTS, screenshot, serve


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    journeykit_metadata.info.pop("bind_key", None)  # another test's shop may have set a bind
    folder = tmp_path_factory.mktemp("demoshop-browser")
    app: Flask = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite3",
                             "JOURNEYKIT_REVIEW_PHOTOS_DIR": str(folder / "photos")})
    url, server = serve(app)
    yield url
    server.shutdown()
    with app.app_context():
        shop.db.session.remove()
        shop.db.engine.dispose()


def test_the_demo_shop_shows_every_widget(page, demo_url):
    page.goto(demo_url + "/")
    badges = page.locator(".card").get_by_role("img", name=re.compile(r"^Rated \d(\.\d+)? out of 5, \d+ reviews?$"))
    expect(badges.first).to_be_visible()
    expect(page.get_by_role("heading", name="What our customers say")).to_be_visible()
    assert page.locator(".journeykit-testimonial-grid > li").count() >= 3
    join = page.get_by_role("region", name="Rewards for our customers")  # the loyalty program, for visitors
    expect(join.get_by_role("link", name="Join and start earning")).to_have_attribute("href", "/signin")
    expect(join.get_by_role("region", name="Tiers")).to_contain_text("Hearth")
    screenshot(page, "demo-home.png")

    page.goto(demo_url + "/signin?next=/products/mug-stoneware")
    page.get_by_role("button", name="Amara Okafor").click()
    page.wait_for_url("**/products/mug-stoneware")
    reviews = page.locator("journeykit-reviews")
    expect(reviews.get_by_role("img", name="'s review").first).to_be_visible()  # the seeded review photo
    reviews.get_by_role("button", name="Write a review").click()
    expect(reviews.get_by_role("radio", name="5 stars")).to_have_count(1)
    carousel = page.get_by_role("region", name="What our customers say")
    carousel.get_by_role("button", name="Next testimonial").click()
    expect(carousel.get_by_role("group", name=re.compile(r"^2 of \d$"))).to_be_visible()
    screenshot(page, "demo-product.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(demo_url + "/account")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the account page scrolls sideways"
    expect(page.locator("journeykit-referral")).to_be_visible()
    points = page.get_by_role("region", name="Your points")  # her points from the seeded orders
    expect(points.locator("[data-jk=balance]")).to_have_text(re.compile(r"^\d[\d,]* points$"))
    expect(points.get_by_role("progressbar")).to_have_attribute("aria-valuenow", re.compile(r"^\d+$"))
    points.get_by_role("button", name="Redeem 100 points for 5.00 USD off").click()
    expect(points.locator("[data-jk=new-code] code")).to_have_text(re.compile(r"^HEARTH-5-[0-9A-F]{8}$"))  # offline: the shop's code
    screenshot(page, "demo-account-loyalty.png")
    referral = page.get_by_role("region", name="Refer a friend")  # her own link, with her vanity code
    expect(referral.get_by_role("textbox", name="Your link")).to_have_value(demo_url + "/journeykit/r/AMARA-FRIENDS")
    expect(referral.get_by_role("link", name="Share on WhatsApp")).to_have_attribute("href", re.compile(r"^https://wa\.me/\?text="))
    referral.get_by_role("button", name="Copy link").click()
    expect(referral.get_by_role("status")).to_have_text(re.compile(r"^Link (copied|selected)"))
    referral.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "demo-account-referral.png"), clip=referral.bounding_box())


def test_a_friend_who_follows_a_referral_link_sees_the_offer(page, demo_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(demo_url + "/journeykit/r/hiroshi-hikes")
    page.wait_for_url("**/?ref=HIROSHI-HIKES")
    banner = page.get_by_role("complementary", name="Your friend's offer")
    expect(banner).to_contain_text("You get 5.00 USD off your first order")
    offer = page.get_by_role("region", name="Refer a friend")  # the referral box, for visitors: the offer and a call to join
    expect(offer.get_by_role("link", name="Join to get your link")).to_have_attribute("href", "/signin")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    screenshot(page, "demo-referred-friend-390.png")


def test_the_owner_sees_six_weeks_of_the_demo_on_the_dashboard(page, demo_url):
    page.goto(demo_url + "/signin?next=/journeykit/admin/?days=90")
    page.get_by_role("button", name="Morgan Ellis").click()
    page.wait_for_url("**/journeykit/admin/**")
    expect(page.get_by_role("heading", name="Funnel")).to_be_visible()
    expect(page.get_by_role("heading", name="Widget lift")).to_be_visible()
    expect(page.locator('#lift tr[data-widget="reviews"]')).to_contain_text("Lifts conversion")
    assert page.locator("#cohorts tbody tr").count() >= 6  # people first seen week after week
    expect(page.locator("#referrals tbody tr")).to_have_count(len(REFERRAL_CODES) + 1)  # and those who came without
    screenshot(page, "demo-dashboard.png")
