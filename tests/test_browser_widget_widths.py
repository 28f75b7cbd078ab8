"""Every widget, drawn by the server on the shop and by embed.js on another site, at a phone's width and a
desktop's, for a signed-in shopper with long words: nothing scrolls sideways.  Screenshots in
artifacts/screenshots/widgets-<where>-<width>.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .browser_site import publish_review, publish_testimonial, screenshot, shop_page, sites, storefront

__all__ = ["sites"]  # the fixture, imported for these tests

LONG_WORD = "Wonderfullyunbreakablewordthatgoesonandonwithoutanyspaceatalltotestwrapping"
SERVER = ('<main style="max-width:60em">{{ journeykit.rating("sku-1") }}{{ journeykit.reviews("sku-1", name="Mug") }}'
          "{{ journeykit.testimonials() }}{{ journeykit.loyalty() }}{{ journeykit.referral() }}</main>")
ELEMENTS = ('<journeykit-rating product="sku-1"></journeykit-rating><journeykit-reviews product="sku-1"></journeykit-reviews>'
            "<journeykit-testimonials></journeykit-testimonials><journeykit-loyalty></journeykit-loyalty>"
            "<journeykit-referral></journeykit-referral>")
NAMES = ("Reviews", "Refer a friend")


@pytest.fixture
def filled(sites: dict[str, Any]) -> None:
    sites["app"].config.update({"JOURNEYKIT_POINTS_REFERRAL": 100, "JOURNEYKIT_POINTS_SIGNUP": 50,
                                "JOURNEYKIT_REFERRAL_FRIEND_REWARD": {"amount_off": 500, "currency": "usd"},
                                "JOURNEYKIT_LOYALTY_REWARDS": [{"id": "5-off", "points": 500, "amount_off": 500,
                                                                "currency": "usd"}]})
    publish_review(sites, "ann", rating=4, title=LONG_WORD, body=f"{LONG_WORD} {LONG_WORD}")
    publish_testimonial(sites, "Bo", f"{LONG_WORD} and more.")


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("where", ["shop", "other-site"])
def test_no_widget_scrolls_sideways(page, sites, filled, width, where):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop_page(sites, SERVER, customer="zoe") if where == "shop"
              else storefront(sites, ELEMENTS, customer="zoe"))
    for name in NAMES:
        expect(page.get_by_role("region", name=name).first).to_be_visible()
    expect(page.get_by_text(LONG_WORD).first).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"widgets-{where}-{width}.png")
    assert wide <= width, f"the page is {wide} px wide at {width} px"
