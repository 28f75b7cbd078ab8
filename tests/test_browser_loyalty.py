"""The loyalty widget in a real Chromium: redeeming points for a code, copying it, at phone and desktop widths.

The shop's own page renders the fragment on the server (embed.js wires it up
in place); a storefront on another origin gets ``<journeykit-loyalty>`` drawn
in a Shadow DOM from the JSON API.  Screenshots: artifacts/screenshots/loyalty-*.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .browser_site import screenshot, shop_page, sites, storefront
from .test_browser_theming import AA, CONTRAST, DARK_HOST
from .test_loyalty_widget import PROGRAM as WIDGET_PROGRAM

__all__ = ["sites"]  # the fixture, imported for these tests

PROGRAM = {**WIDGET_PROGRAM, "JOURNEYKIT_LOYALTY_SIGNUP_URL": "/join"}
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
#: The layout shifts the page has had so far (Chromium's Layout Instability API).
SHIFTS = """new Promise(done => {
    let sum = 0;
    new PerformanceObserver(list => list.getEntries().forEach(e => { sum += e.value; }))
        .observe({type: "layout-shift", buffered: true});
    setTimeout(() => done(sum), 300);
})"""


@pytest.fixture
def program(sites: dict[str, Any]) -> list[str]:
    """The shop's program and its own code maker (no Stripe); the keys the maker was called with."""
    sites["app"].config.update(PROGRAM)
    keys: list[str] = []

    @sites["journey"].loyalty.code_maker
    def make(customer_id: str, reward: dict[str, Any], *, key: str, expires_at: Any) -> str:
        keys.append(key)
        if sites.get("maker_down"):
            sites["maker_down"] = False
            raise RuntimeError("the shop's discount service is down")
        return f"SAVE-{reward['id'].upper()}-{len(keys)}"

    return keys


def _award(sites: dict[str, Any], customer: str, points: int, reason: str = "Welcome to our tasting club") -> None:
    with sites["app"].app_context():
        sites["journey"].loyalty.award(customer, points, reason, key=f"club-{customer}")


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


@pytest.mark.parametrize("width", [390, 1280])
def test_a_shopper_redeems_points_for_a_code_and_copies_it(page, sites, program, width):
    _award(sites, "ana", 250)
    sites["journey"].customer_loader(lambda: ("ana", "ana@example.com", "Ana"))  # the shop's login, on its own page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=sites["shop"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(shop_page(sites, '<main style="max-width:40em">{{ journeykit.loyalty() }}</main>', customer="ana"))
    card = page.get_by_role("region", name="Your points")
    expect(card.locator("[data-jk=balance]")).to_have_text("250 points")
    meter = card.get_by_role("progressbar", name="Progress to Silver")
    expect(meter).to_have_attribute("aria-valuenow", "83")
    expect(meter).to_have_attribute("aria-valuetext", "50 points more to reach Silver")
    for name in ("Rewards", "Your discount codes", "Ways to earn", "Points history"):
        expect(card.get_by_role("region", name=name)).to_be_visible()
    page.wait_for_function("document.querySelector('journeykit-loyalty').journeykit")  # embed.js has wired it up
    assert page.evaluate(SHIFTS) == 0  # the server's layout was final: the script moved nothing
    _no_sideways_scroll(page)

    redeem = card.get_by_role("button", name="Redeem 100 points for 5.00 USD off")
    expect(card.get_by_role("button", name="Redeem 1,000 points for 20.00 USD off")).to_be_disabled()
    for _ in range(10):  # by keyboard: the disabled button is skipped
        page.keyboard.press("Tab")
        if redeem.evaluate("node => node.matches(':focus-visible')"):
            break
    expect(redeem).to_be_focused()
    page.keyboard.press("Enter")
    code = card.locator("[data-jk=new-code] code")
    expect(code).to_have_text("SAVE-5-OFF-1")
    expect(code).to_be_focused()
    expect(code).to_have_accessible_description(re.compile(r"^Enter this code at checkout; it works once, until \d{1,2} \w+ \d{4}\.$"))
    expect(card.get_by_role("status")).to_have_text("Your code for 5.00 USD off is ready.")
    expect(card.locator("[data-jk=balance]")).to_have_text("150 points")
    expect(card.locator("[data-jk=spendable]")).to_have_text("150")
    expect(card.locator("[data-jk=codes] li").first).to_contain_text("SAVE-5-OFF-1 5.00 USD off Ready to use, until")
    expect(card.locator("[data-jk=history] li").first).to_contain_text("−100 Turned into a code for 5.00 USD off")

    card.get_by_role("button", name="Copy code").click()
    expect(card.get_by_role("status")).to_have_text("Code copied.")
    assert page.evaluate("navigator.clipboard.readText()") == "SAVE-5-OFF-1"
    _no_sideways_scroll(page)
    screenshot(page, f"loyalty-redeemed-{width}.png")

    page.reload()  # the server agrees: the code and the balance are real
    expect(card.locator("[data-jk=balance]")).to_have_text("150 points")
    expect(card.locator("[data-jk=codes] li").first).to_contain_text("SAVE-5-OFF-1")
    expect(card.get_by_role("listitem").filter(has_text="Turned into a code for 5.00 USD off")).to_contain_text("−100")


def test_on_another_site_a_failed_redemption_says_so_and_a_retry_spends_once(page, sites, program):
    _award(sites, "cy", 120)
    sites["maker_down"] = True
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(storefront(sites, "<journeykit-loyalty></journeykit-loyalty>", customer="cy"))
    card = page.locator("journeykit-loyalty").get_by_role("region", name="Your points")
    redeem = card.get_by_role("button", name="Redeem 100 points for 5.00 USD off")
    redeem.click()
    status = card.get_by_role("status")
    expect(status).to_have_text("We could not make your code just now, and no points were spent. Please try again later.")
    expect(card.locator("[data-jk=balance]")).to_have_text("120 points")
    redeem.click()  # the same attempt again: the same key, so it can never spend twice
    expect(card.locator("[data-jk=new-code] code")).to_have_text("SAVE-5-OFF-2")
    expect(card.locator("[data-jk=new-code] code")).to_be_focused()
    expect(card.locator("[data-jk=balance]")).to_have_text("20 points")
    assert len(program) == 2 and program[0] == program[1]
    # Now nothing is affordable: the button says why.
    expect(redeem).to_be_disabled()
    expect(redeem).to_have_accessible_description("You need 80 points more")
    _no_sideways_scroll(page)
    screenshot(page, "loyalty-shadow-dom-390.png")


def test_a_shopper_without_enough_points_sees_why(page, sites, program):
    _award(sites, "bo", 60, reason=HOSTILE)
    page.goto(storefront(sites, DARK_HOST.format("<journeykit-loyalty></journeykit-loyalty>"), customer="bo", lang="fr"))
    card = page.locator("journeykit-loyalty").get_by_role("region", name="Vos points")
    button = card.get_by_role("button", name="Échanger 100 points contre 5.00 USD off")
    expect(button).to_be_disabled()
    expect(button).to_have_accessible_description("Il vous manque 40 points")
    expect(card.get_by_text("Il vous manque 940 points")).to_be_visible()
    expect(card.get_by_role("progressbar", name="Progression vers Silver")).to_have_attribute("aria-valuenow", "20")
    expect(card.get_by_role("listitem").filter(has_text=HOSTILE)).to_contain_text("+60")  # the shop's words, as text
    assert page.evaluate("window.pwned") is None and card.locator("img, script").count() == 0
    for text in ("[data-jk=balance]", ".journeykit-muted", ".journeykit-why", "h3", ".journeykit-delta", "time"):
        contrast = card.locator(text).first.evaluate(CONTRAST)
        assert contrast >= AA, f"{text}: contrast {contrast:.2f} on a dark page"
    screenshot(page, "loyalty-not-enough-fr.png")


def test_an_anonymous_visitor_sees_the_program_and_the_call_to_join(page, sites, program):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(storefront(sites, "<journeykit-loyalty></journeykit-loyalty>"))
    card = page.locator("journeykit-loyalty").get_by_role("region", name="Rewards for our customers")
    expect(card.get_by_role("link", name="Join and start earning")).to_have_attribute("href", sites["shop"] + "/join")
    expect(card.get_by_role("region", name="Ways to earn")).to_contain_text("25 points for each review you write that we publish")
    expect(card.get_by_role("region", name="Tiers")).to_contain_text("Gold from 2,000 points earned, 25% more points on orders")
    assert card.get_by_role("button").count() == 0
    _no_sideways_scroll(page)
    screenshot(page, "loyalty-anonymous-390.png")

    page.goto(shop_page(sites, "{{ journeykit.loyalty() }}"))  # the server draws the same for its own pages
    server = page.get_by_role("region", name="Rewards for our customers")
    expect(server.get_by_role("link", name="Join and start earning")).to_have_attribute("href", "/join")
    expect(server.get_by_role("region", name="Rewards")).to_contain_text("20.00 USD off 1,000 points")


def test_without_javascript_the_server_rendered_widget_is_all_there(browser, sites, program):
    _award(sites, "di", 140)
    sites["journey"].customer_loader(lambda: ("di", "di@example.com"))
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(shop_page(sites, "{{ journeykit.loyalty() }}"))
    card = page.get_by_role("region", name="Your points")
    expect(card.locator("[data-jk=balance]")).to_have_text("140 points")
    expect(card.get_by_role("progressbar", name="Progress to Silver")).to_have_attribute("aria-valuenow", "46")
    # (Playwright turns scripts off after parsing has begun, so Chromium does not draw <noscript> here; it is there.)
    expect(card.locator("noscript")).to_have_count(1)
    expect(card.get_by_role("button", name="Redeem 1,000 points for 20.00 USD off")).to_have_accessible_description(
        "You need 860 points more")
    _no_sideways_scroll(page)
    screenshot(page, "loyalty-no-javascript-390.png")
    context.close()


def test_the_shadow_dom_widget_reads_the_same_as_the_servers(page, sites, program):
    """One layout, two drawers: what a screen reader meets is the same on the shop's page and on another site."""
    _award(sites, "eli", 1200)
    with sites["app"].app_context():
        sites["journey"].loyalty.redeem("eli", "5-off", key="first")
    sites["journey"].customer_loader(lambda: ("eli", "eli@example.com"))
    page.goto(shop_page(sites, "{{ journeykit.loyalty() }}", customer="eli"))
    server = page.get_by_role("region", name="Your points").aria_snapshot()
    page.goto(storefront(sites, "<journeykit-loyalty></journeykit-loyalty>", customer="eli"))
    drawn = page.locator("journeykit-loyalty").get_by_role("region", name="Your points")
    drawn.get_by_role("progressbar").wait_for()
    assert drawn.aria_snapshot() == server
    assert "SAVE-5-OFF-1" in server and 'progressbar "Progress to Gold"' in server
