"""The owner's dashboard at /journeykit/admin/: the figures a person reads on it, in the shop's words, each one
click from what it means, empty states that say why; escaped and self-contained."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from journeykit.core.db import utcnow
from journeykit.metrics import dashboard, definitions

from .dashboard_data import ADMIN, CONFIG, HOSTILE_CODE, HOSTILE_WIDGET, seed

PAGE = "/journeykit/admin/"
#: The shop's catalogue as its product loader tells it.
CATALOGUE = {"sku-1": "Merino wool socks", "sku-2": "Cedar & fig candle", "sku-3": "Stoneware mug"}


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


def _plain(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


@pytest.fixture
def month(shop_factory):
    """The month of ``dashboard_data``: ``(app, journey)``."""
    app, _, journey = shop_factory(CONFIG)
    seed(app, journey)
    return app, journey


@pytest.fixture
def seeded(month):
    return month[0]


def _page(app, query: str = "") -> str:
    response = app.test_client().get(PAGE + query, headers=ADMIN)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _later(monkeypatch, days: int) -> dt.date:
    """The dashboard's today moved ``days`` on (the data stays where it was)."""
    moved = utcnow() + dt.timedelta(days=days)
    monkeypatch.setattr(dashboard, "utcnow", lambda: moved)
    return moved.date()


def test_the_dashboard_is_for_the_shop_owner_only(client):
    response = client.get(PAGE)
    assert response.status_code == 401 and "Customer journey" not in response.get_data(as_text=True)
    assert client.get(PAGE, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_owner_reads_the_months_figures(seeded):
    html = _page(seeded)
    text = sections(html)
    assert "<h1>Customer journey</h1>" in html and "Last 30 days" in html
    # buyer-0 bought twice and reviewed, buyer-1 once and reviewed: 1 retained and 2 advocates, each a share of purchase
    assert ("Awareness 55 Consideration 22 40% of awareness Purchase 19 86% of consideration "
            "Retention 1 ↳ 5.3% of purchase Advocacy 2 ↳ 11% of purchase") in text["funnel"]
    # the table adds who is new to each stage (all of them, in a shop a month old)
    assert ("Stage People New to it Share of Awareness 55 55 — Consideration 22 22 40% of awareness Purchase 19 19 86% of "
            "consideration Retention 1 1 5.3% of purchase Advocacy 2 2 11% of purchase") in text["funnel"]
    assert re.findall(r'<li class="funnel-step( branch)?" data-stage="(\w+)">', html) == [
        ("", "awareness"), ("", "consideration"), ("", "purchase"), (" branch", "retention"), (" branch", "advocacy")]
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
    assert "No referral code 51 18 18 35%" in referrals
    assert "reviews 24 16 16 67%" in text["first-widget"] and f"{HOSTILE_WIDGET} 1 0 0 0%" in text["first-widget"]
    assert "4.5 sku-1 (2 reviews)" in text["products"]  # no product loader: the id is the name
    assert text["pending-title"] == "Reviews waiting (1)"
    assert "Consideration awareness 22" in text["times"] and "Retention purchase 1 (few: a rough guide)" in text["times"]
    # 460 USD of orders at 1 point per dollar, 5,000 JPY at 1 per yen; 19 buyers, all signed in
    assert ("Points outstanding 5,460 You owe Unknown Members with points 19 Earned this period 19 "
            "Redeemed this period 0 Codes issued · used · returned 0 · 0 · 0") in text["loyalty"]
    assert "Purchase +5,460" in text["loyalty"]


def test_products_and_people_are_named_in_the_shops_words(month):
    seeded, journey = month
    journey.product_loader(lambda product_id: {"name": CATALOGUE[product_id], "url": f"/shop/{product_id}"}
                           if product_id in CATALOGUE else None)
    html = _page(seeded)
    text = sections(html)
    # products: the loader's name, the id beneath; each links to its reviews in the inbox
    assert "4.5 Merino wool socks sku-1 (2 reviews)" in text["products"]
    assert '<a class="name" href="/journeykit/admin/reviews?status=all&amp;product=sku-1">Merino wool socks</a>' in html
    # the review waiting: its product and its author by name (the name they gave), their e-mail and id beneath,
    # and a link straight to it in the moderation inbox, filtered to its product
    assert ("2 ★ Review 2 · on Merino wool socks sku-1 · by Buyer 2 buyer-2@example.com · id buyer-2"
            in text["pending"])
    review_id = re.search(r'<li data-review-id="(\d+)"><a href="([^"]+)">', html)
    assert review_id.group(2) == f"/journeykit/admin/reviews?status=pending&amp;product=sku-1#review-{review_id.group(1)}"
    # the referral code's row names whose code it is; the top advocates by name
    assert "Buyer 1 buyer-1@example.com · id buyer-1 code FRIEND 4 4 1 25%" in text["referrals"]
    assert "Buyer 1 buyer-1@example.com · id buyer-1 · 1 paying friend · 5,000 JPY" in text["top-advocates"]
    # the latest orders: customer and products by name, Stripe's reference as a detail, not the order's name
    orders = text["orders"]
    assert re.search(r"Buyer 0 buyer-0@example.com · id buyer-0 Cedar & fig candle sku-2 10.00 USD paid "
                     r"\S+ \S+ UTC Stripe cs_test_\w+", orders)
    assert "Stoneware mug sku-3 5,000 JPY" in orders
    for bare in ("<td>sku-1</td>", "<td>buyer-0@example.com</td>"):
        assert bare not in html


@pytest.mark.parametrize(("loader", "logged"), [
    pytest.param(lambda product_id: 1 / 0, True, id="raises"),
    pytest.param(lambda product_id: None, False, id="knows-nothing"),
    pytest.param(lambda product_id: {"url": "/somewhere"}, False, id="no-name"),
    pytest.param(lambda product_id: "not a dict", True, id="not-a-dict"),
])
def test_a_product_loader_that_fails_leaves_the_ids(month, loader, logged, caplog):
    seeded, journey = month
    journey.product_loader(loader)
    text = sections(_page(seeded))
    assert "4.5 sku-1 (2 reviews)" in text["products"]  # the id as the name, and no id repeated beneath it
    assert "· on sku-1 · by Buyer 2" in text["pending"]
    assert "sku-2 10.00 USD" in text["orders"]
    assert ("the product loader failed for 'sku-1'" in caplog.text) is logged


def test_every_figure_is_one_click_from_what_it_means(seeded):
    html = _page(seeded)
    linked = set(re.findall(r'href="#define-([\w-]+)"', html))
    defined = set(re.findall(r'<dt id="define-([\w-]+)">', html))
    assert linked == defined  # every link has its entry, every entry is linked from a figure
    with seeded.test_request_context():
        assert defined == definitions.keys(definitions.glossary())
    # the figures' labels are the links: the key figures, each funnel stage, the sales and referral figures
    for kpi, key in (("people", "awareness"), ("buyers", "purchase"), ("revenue", "net-revenue"),
                     ("advocates", "advocacy"), ("reviews", "reviews-waiting")):
        assert re.search(rf'data-kpi="{kpi}"><span><a class="term" href="#define-{key}">', html), kpi
    for stage in ("awareness", "consideration", "purchase", "retention", "advocacy"):
        assert re.search(rf'data-stage="{stage}">\s*<p class="funnel-label"><a class="term" href="#define-{stage}">', html)
    for figure in ("net", "gross", "repeat", "review-rate", "clicks", "referred", "viral", "referral-revenue",
                   "referral-rewards", "referral-flagged"):
        assert re.search(rf'data-figure="{figure}"><span><a class="term" href="#define-', html), figure
    for heading in ("over-time", "cohorts", "lift", "times", "first-widget", "products", "pending", "orders"):
        assert re.search(rf'id="{heading}-title"><a class="term" href="#define-', html), heading
    # each entry says what the figure is and links back to its card
    text = sections(html)
    assert "Retention Buyers whose second paid order was in the period" in text["definitions"]
    assert "retention and advocacy both follow purchase, and a buyer can reach either without the other" in text["definitions"]
    assert re.search(r'<dt id="define-p90">90% within</dt>\s*<dd>Nine in ten people got there within this time[^<]*'
                     r'<a class="back" href="#times">Back to Time between stages ↑</a>', html)


def test_the_definitions_follow_the_shops_settings(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_RETENTION_PURCHASES": 3})
    text = sections(_page(app))
    assert "Buyers whose third paid order was in the period" in text["definitions"]


def test_an_empty_shop_says_why_each_figure_is_empty(client):
    html = client.get(PAGE, headers=ADMIN).get_data(as_text=True)
    text = sections(html)
    assert "No one has been seen yet, so every figure below is empty." in text["quiet"]
    assert "No one was seen in these 30 days, so no one moved through the funnel." in text["funnel"]
    assert "Awareness 0 0 — Consideration 0 0 — Purchase 0 0 —" in text["funnel"]  # the table still says it
    assert "No one reached any stage in these 30 days." in text["over-time"]
    assert "No one was first seen in these 30 days, so there is no weekly cohort yet." in text["cohorts"]
    assert "Not measured: no visitor is held out of the widgets" in text["lift"]
    assert '<a href="/journeykit/admin/settings">Set a hold-out share in Settings</a>' in html
    for stage in ("consideration", "purchase", "retention", "advocacy"):
        assert f"No one reached {stage} in these 30 days." in text["times"]
    assert "No one was first seen in these 30 days." in text["first-widget"]
    assert "No paid orders in this period." in text["sales"] and "Repeat-purchase rate — Review rate —" in text["sales"]
    assert "The rates need buyers in the period: none yet." in text["sales"]
    assert "No referral link was clicked in these 30 days" in text["referrals"]
    assert "No customer's link brought a paying friend in these 30 days." in text["referrals"]
    assert "No published reviews yet" in text["products"]
    assert "Nothing to moderate" in text["pending"] and "No orders yet" in text["orders"]


def test_a_quiet_period_says_so_and_offers_a_longer_one(seeded, monkeypatch):
    _later(monkeypatch, 60)
    html = _page(seeded)
    assert "No one was seen in these 30 days: nothing came from the storefront, your code or Stripe" in sections(html)["quiet"]
    assert '<a href="/journeykit/admin/?days=365">Look at the last 365 days</a>' in html
    assert "quiet" not in sections(_page(seeded, "?days=365"))


def test_recent_cohort_weeks_say_they_have_not_happened_yet(seeded, monkeypatch):
    first = dt.date.fromisoformat(re.search(r'<tr data-cohort="([\d-]+)">', _page(seeded)).group(1))
    today = _later(monkeypatch, 0)
    row = re.search(r'<tr data-cohort="[\d-]+">(.*?)</tr>', _page(seeded), re.S).group(1)
    age = (today - first).days + 1
    assert _plain(row) == f"{first:%b} {first.day} 55 19 100% so far Not yet: this week is {age} day{'s' * (age > 1)} old"
    assert 'colspan="11"' in row and "so-far" in row

    today = _later(monkeypatch, 10)  # a week and a half on: week 1 has begun (with no one active), week 2 maybe
    row = re.search(r'<tr data-cohort="[\d-]+">(.*?)</tr>', _page(seeded), re.S).group(1)
    age = (today - first).days + 1
    begun = (today - first).days // 7 + 1
    cells = re.findall(r'<td class="cell[^"]*"[^>]*>([^<]*)', row)
    assert cells == ["100%"] + ["0%"] * (begun - 1)  # a week with no one active is 0%, not blank
    assert f'colspan="{12 - begun}">Not yet: this cohort is {age} days old</td>' in row


def test_a_hold_out_turned_off_shows_what_it_measured_and_how_to_go_on(seeded):
    seeded.config["JOURNEYKIT_HOLDOUT_SHARE"] = 0
    html = _page(seeded)
    lift = sections(html)["lift"]
    assert "reviews 16 / 24 2 / 24 +58.3 pts" in lift  # the period's people were split while it was on
    assert "The hold-out is off now: set a hold-out share in Settings to keep measuring." in lift
    assert '<a href="/journeykit/admin/settings">set a hold-out share in Settings</a>' in html


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
    assert html.count("<svg") >= 2 and 'role="img"' in html  # the charts are drawn inline


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
