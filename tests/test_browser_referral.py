"""The referral widget and the friend's banner in a real Chromium: copying the link, the share links, phone and desktop.

The shop's own page renders the fragment on the server (embed.js wires up the
Copy button in place); a storefront on another origin gets
``<journeykit-referral>`` drawn in a Shadow DOM from the JSON API.
Screenshots: artifacts/screenshots/referral-*.png.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from .browser_site import screenshot, shop_page, sites, storefront
from .test_browser_loyalty import SHIFTS
from .test_referral_widget import OFFER

__all__ = ["sites"]  # the fixture, imported for these tests

SENTENCE = "Give your friends 5.00 USD off their first order, and get 100 points for each friend who buys."
NETWORKS = {"Share by e-mail": "mailto:", "Share on WhatsApp": "https://wa.me/",
            "Share on X": "https://twitter.com/intent/tweet", "Share on Facebook": "https://www.facebook.com/sharer/sharer.php"}


@pytest.fixture
def offer(sites: dict[str, Any]) -> None:
    sites["app"].config.update({**OFFER, "JOURNEYKIT_LOYALTY_SIGNUP_URL": "/join", "JOURNEYKIT_REFERRAL_LANDING_PATH": "/page",
                                # Headless Chromium calls itself "HeadlessChrome", whose link clicks the bot filter drops.
                                "JOURNEYKIT_TRACK_USER_AGENTS": ["HeadlessChrome"]})


def _code(sites: dict[str, Any], customer: str) -> str:
    with sites["app"].app_context():
        return sites["journey"].referrals.code_for(customer)


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def _check_shares(card: Any, link: str) -> None:
    """Each network's link: a plain URL to its own share page, carrying the shopper's link."""
    shares = card.get_by_role("list", name="Share your link").get_by_role("link")
    expect(shares).to_have_count(4)
    for name, start in NETWORKS.items():
        href = card.get_by_role("link", name=name).get_attribute("href")
        assert href.startswith(start), href
        values = [value for values in parse_qs(urlsplit(href).query).values() for value in values]
        assert any(link in value for value in values), href


@pytest.mark.parametrize("width", [390, 1280])
def test_a_shopper_copies_their_link_and_finds_the_share_links(page, sites, offer, width):
    sites["journey"].customer_loader(lambda: ("ana", "ana@example.com", "Ana"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sites["shop"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop_page(sites, '<main style="max-width:40em">{{ journeykit.referral() }}</main>', customer="ana"))
    link = f"{sites['shop']}/journeykit/r/{_code(sites, 'ana')}"
    card = page.get_by_role("region", name="Refer a friend")
    expect(card.get_by_role("textbox", name="Your link")).to_have_value(link)
    expect(card).to_contain_text(SENTENCE)
    expect(card.get_by_role("term")).to_have_text(["Clicks", "Friends who bought", "Rewards earned", "Rewards pending"])
    page.wait_for_function("document.querySelector('journeykit-referral').journeykit")  # embed.js has wired it up
    assert page.evaluate(SHIFTS) == 0  # the server's layout was final
    _no_sideways_scroll(page)

    copy = card.get_by_role("button", name="Copy link")
    for _ in range(10):  # by keyboard, with a visible focus
        page.keyboard.press("Tab")
        if copy.evaluate("node => node.matches(':focus-visible')"):
            break
    expect(copy).to_be_focused()
    assert copy.evaluate("node => getComputedStyle(node).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(card.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    _check_shares(card, link)
    _no_sideways_scroll(page)
    screenshot(page, f"referral-{width}.png")


def test_without_a_clipboard_the_link_is_selected_for_the_shopper(page, sites, offer):
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    sites["journey"].customer_loader(lambda: ("bo", "bo@example.com"))
    page.goto(shop_page(sites, "{{ journeykit.referral() }}", customer="bo"))
    page.wait_for_function("document.querySelector('journeykit-referral').journeykit")
    card = page.get_by_role("region", name="Refer a friend")
    card.get_by_role("button", name="Copy link").click()
    expect(card.get_by_role("status")).to_have_text("Link selected: press Ctrl+C (⌘C on a Mac) to copy it.")
    box = card.get_by_role("textbox", name="Your link")
    expect(box).to_be_focused()
    assert box.evaluate("node => node.selectionStart === 0 && node.selectionEnd === node.value.length")


def test_on_another_site_the_widget_is_drawn_from_the_json_api(page, sites, offer):
    code = _code(sites, "cy")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sites["front"])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(storefront(sites, "<journeykit-referral></journeykit-referral>", customer="cy"))
    card = page.locator("journeykit-referral").get_by_role("region", name="Refer a friend")
    link = f"{sites['shop']}/journeykit/r/{code}"
    expect(card.get_by_role("textbox", name="Your link")).to_have_value(link)
    expect(card).to_contain_text(SENTENCE)  # the friend's discount too, not only the referrer's points
    card.get_by_role("button", name="Copy link").click()
    expect(card.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    _check_shares(card, link)
    expect(card.get_by_role("definition")).to_have_count(4)
    _no_sideways_scroll(page)
    screenshot(page, "referral-shadow-dom-390.png")


def test_the_drawn_widget_follows_the_pages_language(page, sites, offer):
    code = _code(sites, "eve")
    page.goto(storefront(sites, "<journeykit-referral></journeykit-referral>", customer="eve", lang="fr"))
    card = page.locator("journeykit-referral").get_by_role("region", name="Parrainez un ami")
    expect(card.get_by_role("textbox", name="Votre lien")).to_have_value(f"{sites['shop']}/journeykit/r/{code}")
    shares = card.get_by_role("list", name="Partagez votre lien")
    expect(shares.get_by_role("link", name="Partager sur WhatsApp")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/\?text=Une%20boutique%20qui%20devrait%20vous%20plaire%3A%20http"))
    expect(card.get_by_role("term")).to_have_text(["Clics", "Amis qui ont acheté", "Récompenses reçues", "Récompenses en attente"])
    card.get_by_role("button", name="Copier le lien").click()
    expect(card.get_by_role("status")).to_have_text(re.compile(r"^Lien (copié|sélectionné)"))


def test_an_anonymous_visitor_is_asked_to_join(page, sites, offer):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(storefront(sites, "<journeykit-referral></journeykit-referral>"))
    card = page.locator("journeykit-referral").get_by_role("region", name="Refer a friend")
    expect(card.get_by_role("link", name="Join to get your link")).to_have_attribute("href", sites["shop"] + "/join")
    expect(card).to_contain_text(SENTENCE)
    assert card.get_by_role("button").count() == 0 and card.get_by_role("textbox").count() == 0

    page.goto(shop_page(sites, "{{ journeykit.referral() }}"))
    server = page.get_by_role("region", name="Refer a friend")
    expect(server.get_by_role("link", name="Join to get your link")).to_have_attribute("href", "/join")
    _no_sideways_scroll(page)
    screenshot(page, "referral-anonymous-390.png")


def test_a_friend_who_follows_the_link_sees_the_banner(page, sites, offer):
    code = _code(sites, "di")
    shop_page(sites, "{{ journeykit.referral_banner() }}<p>Our goods</p>")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{sites['shop']}/journeykit/r/{code.lower()}")
    assert urlsplit(page.url).path == "/page" and parse_qs(urlsplit(page.url).query) == {"ref": [code]}
    banner = page.get_by_role("complementary", name="Your friend's offer")
    expect(banner).to_have_text("Welcome, friend! You get 5.00 USD off your first order: it comes off at checkout.")
    _no_sideways_scroll(page)
    screenshot(page, "referral-banner-390.png")
    page.goto(f"{sites['shop']}/page")  # later pages too, while the visit is attributed
    expect(banner).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{sites['shop']}/page?ref=NOT-A-CODE")
    expect(page.get_by_text("Our goods")).to_be_visible()
    expect(page.get_by_role("complementary")).to_have_count(0)
