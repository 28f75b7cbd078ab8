"""The owner's dashboard at /journeykit/admin/: the figures a person reads on it, escaped, self-contained."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from journeykit.metrics import dashboard

from .dashboard_data import ADMIN, CONFIG, HOSTILE_CODE, HOSTILE_WIDGET, seed

PAGE = "/journeykit/admin/"


class _Text(HTMLParser):
    """The visible text of each element with an id (tags dropped, spaces collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in ("br", "meta", "link", "input", "img", "hr", "wbr"):  # void elements have no end tag
            self.open.append((tag, dict(attrs).get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for _, element_id in self.open:
            if element_id:
                self.text.setdefault(element_id, []).append(data)


def sections(html: str) -> dict[str, str]:
    parser = _Text()
    parser.feed(html)
    return {key: " ".join(" ".join(parts).split()) for key, parts in parser.text.items()}


@pytest.fixture
def seeded(shop_factory):
    app, _, journey = shop_factory(CONFIG)
    seed(app, journey)
    return app


def _page(app, query: str = "") -> str:
    response = app.test_client().get(PAGE + query, headers=ADMIN)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_the_dashboard_is_for_the_shop_owner_only(client):
    response = client.get(PAGE)
    assert response.status_code == 401 and "Customer journey" not in response.get_data(as_text=True)
    assert client.get(PAGE, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_owner_reads_the_months_figures(seeded):
    html = _page(seeded)
    text = sections(html)
    assert "<h1>Customer journey</h1>" in html and "Last 30 days" in html
    # buyer-0 bought twice and reviewed, buyer-1 once and reviewed: 1 retained and 2 advocates, each a share of purchase
    assert ("Awareness 55 — Consideration 22 40% of awareness Purchase 19 86% of consideration Retention 1 5.3% of purchase "
            "Advocacy 2 11% of purchase") in text["funnel"]
    assert "Awareness · 55 Consideration · 22 · 40% of awareness" in text["funnel"]
    assert "Retention · 1 · 5% of purchase Advocacy · 2 · 11% of purchase" in text["funnel"]
    lift = text["lift"]
    assert "reviews 16 / 24 2 / 24 +58.3 pts +31.8 to +74.8 Lifts conversion" in lift
    assert f"{HOSTILE_WIDGET} 0 / 1 0 / 1 +0.0 pts -79.3 to +79.3 Not enough data yet" in lift
    sales = text["sales"]
    assert "Net revenue 460.00 USD Gross 460.00 USD Average order 24.21 USD Paid orders 19" in sales
    assert "Net revenue 5,000 JPY Gross 5,000 JPY Average order 5,000 JPY Paid orders 1" in sales
    assert "Repeat-purchase rate 5.3% Review rate 15%" in sales  # 1 of 19 buyers; 3 of 20 products bought
    referrals = text["referrals"]
    assert "Link clicks 3 Referred buyers 1 Clicks that bought 33% Referred per buyer 0.05" in referrals
    assert "Revenue brought 5,000 JPY Rewards paid 1 Waiting for review 0 Codes flagged 0" in referrals
    # HOSTILE_CODE is no referral code: its visitor counts with the people without one (50 + 1)
    assert "FRIEND 4 4 1 25%" in referrals and "No referral code 51 18 18 35%" in referrals
    assert "reviews 24 16 16 67%" in text["first-widget"] and f"{HOSTILE_WIDGET} 1 0 0 0%" in text["first-widget"]
    assert "4.5 sku-1 (2 reviews)" in text["products"]
    assert text["pending-title"] == "Reviews waiting (1)" and "2 ★ Review 2 · sku-1 · Buyer 2" in text["pending"]
    # 460 USD of orders at 1 point per dollar, 5,000 JPY at 1 per yen; 19 buyers, all signed in
    assert ("Points outstanding 5,460 You owe Unknown Members with points 19 Earned this period 19 "
            "Redeemed this period 0 Codes issued · used · returned 0 · 0 · 0") in text["loyalty"]
    assert "Purchase +5,460" in text["loyalty"]


def test_shoppers_text_is_escaped_everywhere(seeded):
    html = _page(seeded)
    for hostile in (HOSTILE_WIDGET, HOSTILE_CODE):
        assert hostile not in html
    assert "&lt;script&gt;alert(&#39;widget&#39;)&lt;/script&gt;" in html
    assert "onerror" not in html  # HOSTILE_CODE is no referral code: the breakdown shows only real ones
    assert "<script>alert" not in html and "<img" not in html


def test_nothing_is_loaded_from_elsewhere(seeded):
    html = _page(seeded)
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?//""", html)
    assert not re.search(r"<script[^>]*\bsrc=", html) and "<link" not in html
    assert html.count("<svg") >= 3 and 'role="img"' in html  # the charts are drawn inline


def test_an_empty_shop_renders_with_plain_words(client):
    page = client.get(PAGE, headers=ADMIN).get_data(as_text=True)
    text = sections(page)
    assert "Awareness 0 — Consideration 0 — Purchase 0" in text["funnel"]
    assert "No one was first seen in this period yet." in text["cohorts"]
    assert "set JOURNEYKIT_HOLDOUT_SHARE" in text["lift"]
    assert "No paid orders in this period." in text["sales"] and "Repeat-purchase rate — Review rate —" in text["sales"]
    assert "Nothing to moderate." in text["pending"] and "No orders yet." in text["orders"]


@pytest.mark.parametrize(("query", "days", "interval"), [
    ("", 30, "day"), ("?days=7", 7, "day"), ("?days=365", 365, "week"), ("?days=12", 30, "day"), ("?days=%F0", 30, "day"),
])
def test_the_period_picker(client, query, days, interval):
    page = client.get(PAGE + query, headers=ADMIN).get_data(as_text=True)
    assert re.search(rf'<a href="/journeykit/admin/\?days={days}" aria-current="page">{days} days</a>', page)
    assert f"People reaching each stage, per {interval}." in page


@pytest.mark.parametrize(("row", "words"), [
    ({"difference": None, "significant": False, "shown": 0, "held_out": 0, "low": None}, "Not enough data yet"),
    ({"difference": 0.3, "significant": True, "shown": 5, "held_out": 5, "low": 0.05}, "Lifts conversion"),
    ({"difference": -0.3, "significant": True, "shown": 50, "held_out": 50, "low": -0.5}, "Lowers conversion"),
    ({"difference": 0.01, "significant": False, "shown": 19, "held_out": 400, "low": -0.2}, "Not enough data yet"),
    ({"difference": 0.01, "significant": False, "shown": 20, "held_out": 20, "low": -0.2}, "No measurable effect"),
])
def test_a_lift_in_plain_words(row, words):
    assert dashboard.verdict(row) == words
