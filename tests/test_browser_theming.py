"""Widgets stay readable on any host page, and a shop restyles them through the documented properties.

Measured in Debian's Chromium: the WCAG contrast of the widgets' text against
the colour actually behind it (the nearest painted background, crossing
Shadow DOM), for the widgets embed.js draws on another origin and for the
fragments the shop renders itself.
"""

from __future__ import annotations

import pytest

from .browser_site import publish_review, publish_testimonial, screenshot, shop_page, sites, storefront

__all__ = ["sites"]  # the fixture, imported for these tests

#: The WCAG 2 AA minimum for body text.
AA = 4.5
#: A dark hero with white text, and in it a white card: inherited colours would be white on white.
DARK_HOST = ('<style>body{{background:#14161a;color:#f4f4f4;margin:0}}</style>'
             '<section style="padding:2em"><div style="background:#fff;padding:1em">{}</div></section>')
WIDGETS = ('<journeykit-rating product="sku-1"></journeykit-rating>'
           '<journeykit-reviews product="sku-1"></journeykit-reviews>'
           '<journeykit-testimonials></journeykit-testimonials>')
FRAGMENTS = '{{ journeykit.rating("sku-1") }}{{ journeykit.reviews("sku-1") }}{{ journeykit.testimonials() }}'
TEXTS = {
    "review": "journeykit-reviews .journeykit-review-body",
    "review meta": "journeykit-reviews .journeykit-review-meta",
    "heading": "journeykit-reviews h2",
    "rating": "journeykit-rating .journeykit-rating-text",
    "testimonial": "journeykit-testimonials blockquote",
}
#: The shop's own theme: a dark card, its serif and its accent.
THEME = {
    "--journeykit-text-color": "#f2efe9", "--journeykit-background": "#23201d", "--journeykit-muted-color": "#d3cabe",
    "--journeykit-border-color": "#4a433c", "--journeykit-star-color": "#f0b429", "--journeykit-accent-color": "#f0b429",
    "--journeykit-radius": "14px", "--journeykit-font": "Georgia, serif",
}

#: The WCAG contrast ratio of an element's text against the nearest painted background behind it.
CONTRAST = """element => {
  const rgba = value => value.match(/[\\d.]+/g).map(Number);
  const channel = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let node = element, behind = [255, 255, 255];
  while (node) {
    if (node.nodeType === 1) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) { behind = colour; break; }
    }
    node = node.parentNode && node.parentNode.nodeType === 11 ? node.parentNode.host : node.parentNode;
  }
  const [light, dark] = [luminance(rgba(getComputedStyle(element).color)), luminance(behind)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


def _publish(sites) -> None:
    publish_review(sites, "ana", rating=4, title="Warm all winter", body="Keeps tea hot for hours.", name="Ana")
    publish_testimonial(sites, "Ruth", "Lovely shop, fast delivery.")


def _contrasts(page) -> dict[str, float]:
    for selector in TEXTS.values():
        page.locator(selector).first.wait_for()
    return {name: page.locator(selector).first.evaluate(CONTRAST) for name, selector in TEXTS.items()}


@pytest.mark.parametrize("where", ["storefront", "shop page"])
def test_widgets_keep_readable_colours_on_a_page_with_white_text(page, sites, where):
    _publish(sites)
    url = (storefront(sites, DARK_HOST.format(WIDGETS)) if where == "storefront"
           else shop_page(sites, DARK_HOST.format(FRAGMENTS)))
    page.goto(url)
    contrasts = _contrasts(page)
    assert all(ratio >= AA for ratio in contrasts.values()), contrasts
    screenshot(page, f"widgets-on-a-dark-page-{where.replace(' ', '-')}.png")


def test_a_shop_restyles_every_widget_through_the_documented_properties(page, sites):
    _publish(sites)
    theme = ";".join(f"{name}:{value}" for name, value in THEME.items())
    page.set_viewport_size({"width": 760, "height": 900})
    page.goto(storefront(sites, f"<style>body{{background:#14161a;margin:0;padding:1.5em}}"
                                f"journeykit-rating,journeykit-reviews,journeykit-testimonials{{{theme};margin-bottom:1em}}"
                                f"</style>{WIDGETS}"))
    contrasts = _contrasts(page)
    assert all(ratio >= AA for ratio in contrasts.values()), contrasts
    body = page.locator(TEXTS["review"]).first
    styles = body.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).fontFamily]")
    assert styles == ["rgb(242, 239, 233)", "Georgia, serif"]
    card = page.locator("journeykit-reviews .journeykit").first
    assert card.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopLeftRadius]") == [
        "rgb(35, 32, 29)", "14px"]
    screenshot(page, "themed-widgets.png")  # docs/images/themed-widgets.png, in the README, is this picture
