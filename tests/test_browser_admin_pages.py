"""Every owner page, at a phone's width and a desktop's, with long names and ids: nothing scrolls sideways.

The pages are read from the app's URL map, so a page added later is covered
(or this test asks for a sample of its arguments).  Screenshots go to
artifacts/screenshots/admin-<page>-<width>.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from .browser_site import ADMIN, API, publish_review, screenshot, sites

__all__ = ["sites"]  # the fixture, imported for these tests

LONG_ID = "customer-with-a-rather-long-identifier-from-an-old-system-0123456789abcdefghijklmnopqrstuvwxyz"
LONG_WORD = "Unbelievablyexcellentproductthatkeepsgoingwithoutanyspaceswhatsoeverandthensomemoreofit"


@pytest.fixture
def filled(sites: dict[str, Any]) -> dict[str, str]:
    """A shop with something on every page: points, a referral code, a review, a webhook, settings, audits;
    returns a sample for each page argument."""
    app, journey = sites["app"], sites["journey"]
    client = app.test_client()
    app.config.update({"JOURNEYKIT_POINTS_REFERRAL": 100,
                       "JOURNEYKIT_LOYALTY_TIERS": [{"name": "Gold", "points": 500, "bonus_percent": 10}]})
    with app.app_context():
        journey.loyalty.award(LONG_ID, 250, reason=f"Welcome back {LONG_WORD}", key="welcome")
        journey.referrals.code_for(LONG_ID)
    publish_review(sites, LONG_ID, product=f"sku-{LONG_WORD}", rating=5, title=LONG_WORD, body=LONG_WORD * 3)
    endpoint = client.post(f"{API}/admin/webhooks", headers=ADMIN, json={
        "url": f"https://hooks.example.com/{LONG_WORD}/{LONG_WORD}", "description": LONG_WORD}).json
    assert client.put(f"{API}/admin/settings", headers=ADMIN, json={"holdout_share": 0.1}).status_code == 200
    return {"customer_id": LONG_ID, "endpoint_id": str(endpoint["id"]), "action": ""}


def _pages(app) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET page under the admin blueprint."""
    return sorted((rule.endpoint.rpartition(".")[2], rule.rule) for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("journeykit.admin.") and "GET" in (rule.methods or ()))


@pytest.mark.parametrize("width", [390, 1280])
def test_no_owner_page_scrolls_sideways(page, sites, filled, width):
    page.set_extra_http_headers(ADMIN)
    page.set_viewport_size({"width": width, "height": 900})
    wide = []
    for name, rule in _pages(sites["app"]):
        path = rule
        for argument, sample in filled.items():
            path = path.replace(f"<path:{argument}>", sample).replace(f"<int:{argument}>", sample)
        assert "<" not in path, f"{rule}: give this test a sample of its arguments"
        response = page.goto(sites["shop"] + path)
        assert response.status == 200, (path, response.status)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            wide.append((path, page.evaluate("document.documentElement.scrollWidth"), _culprits(page)))
        screenshot(page, f"admin-{name.replace('_', '-')}-{width}.png")
    assert wide == [], f"these pages scroll sideways at {width} px: {wide}"


def _culprits(page) -> list:
    return page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
        .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
        .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 60))""")
