"""What each figure of the dashboard means, in the owner's words: the page's "What the figures mean".

Every figure's label on the dashboard links to its entry here
(``#define-<key>``), so each figure is one click from its definition.  The
wording follows ``docs/metrics.md`` and the journey's stage rules
(INTERFACE.md "Journey stages"): retention and advocacy both follow
purchase, and neither implies the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    """One entry: the figure's ``term`` as the page labels it, what it means, and the card it is on."""

    key: str
    term: str
    text: str
    #: The id of the dashboard's card that shows the figure (the entry links back to it).
    card: str

    @property
    def anchor(self) -> str:
        return f"define-{self.key}"

    @property
    def card_title(self) -> str:
        """The card's heading, for the entry's link back to it."""
        return CARDS[self.card]


#: The dashboard's cards by id, with their headings.
CARDS = {"funnel": "Funnel", "over-time": "Stages over time", "cohorts": "Weekly cohorts", "lift": "Widget lift",
         "times": "Time between stages", "first-widget": "By first widget seen", "sales": "Sales",
         "referrals": "Referrals", "products": "Top products by rating", "pending": "Reviews waiting",
         "orders": "Latest orders"}


def _ordinal(number: int) -> str:
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    return words.get(number, f"{number}th")


def glossary(*, retention_purchases: int = 2, min_group: int = 20, few_waits: int = 5) -> list[tuple[str, list[Definition]]]:
    """The entries, grouped under headings, in the page's order (the settings that change the words as arguments)."""
    nth = _ordinal(retention_purchases)
    return [
        ("The journey's stages", [
            Definition("awareness", "Awareness (people seen)",
                       "Everyone JourneyKit saw in the period: a page or widget seen, a click, a new customer account, "
                       "an order. Someone seen before who went further in the period (a visitor of last month who buys "
                       "this month) counts too. A person is one customer with every browser they used, or one browser "
                       "not yet linked to a customer. Bots and your own browsing are left out.", "funnel"),
            Definition("consideration", "Consideration",
                       "People who engaged: looked at a product, used a widget, clicked a referral link, started a "
                       "checkout, or wrote a review or testimonial before buying. Everyone who bought considered first, "
                       "so buyers count here too.", "funnel"),
            Definition("purchase", "Purchase (buyers)",
                       "People whose first paid order was in the period, and earlier buyers who bought again or became "
                       "advocates in it. Only paid orders count (from Stripe or your shop's server): nothing else makes "
                       "someone a buyer.", "funnel"),
            Definition("retention", "Retention",
                       f"Buyers whose {nth} paid order was in the period: they came back and bought again. Its share is "
                       "of purchase, not of the row above it.", "funnel"),
            Definition("advocacy", "Advocacy (advocates)",
                       "Buyers who, in the period, had a review or testimonial published or brought a friend who paid "
                       "through their referral link. A one-time buyer who reviews is an advocate and is not counted as "
                       "retained; retention and advocacy both follow purchase, and a buyer can reach either without the "
                       "other. Someone who reviews before buying becomes an advocate at their first paid order.",
                       "funnel"),
            Definition("share", "Share of the stage before",
                       "Each stage's people as a share of the stage they come from: consideration of awareness, purchase "
                       "of consideration, and retention and advocacy both of purchase.", "funnel"),
            Definition("entered", "New to the stage",
                       "Of a stage's people, those who reached that very stage in the period. The others had reached it "
                       "before and went further in the period (a buyer of last month who reviews this month counts in "
                       "this month's purchase, but is not new to it).", "funnel"),
        ]),
        ("Over time", [
            Definition("over-time", "Stages over time",
                       "How many people reached each stage on each day (each week from Monday, for 365 days), counted "
                       "on the day they got there. Days are UTC.", "over-time"),
            Definition("cohort", "Cohort (first seen)",
                       "The people first seen in the same week (Monday to Sunday, UTC). People: how many. Bought: how "
                       "many of them have bought by now.", "cohorts"),
            Definition("cohort-week", "Week 0, Week 1…",
                       "The share of the cohort who did anything at all (a visit, a click, an order) in that week after "
                       "the week they were first seen; Week 0 is that first week. A week that has not begun yet says "
                       "“not yet”; the week in progress counts so far.", "cohorts"),
            Definition("wait", "Time between stages",
                       "For the people who reached a stage in the period, how long they took to get there from the stage "
                       "it follows: consideration from first seen, purchase from first engaging, retention and advocacy "
                       "both from the first paid order. Someone who reviewed before buying waited 0 for advocacy: they "
                       "became an advocate at that order.", "times"),
            Definition("median", "Median",
                       "Half of the people were quicker than this, half slower: a typical wait that one very slow person "
                       f"cannot pull up. With fewer than {few_waits} people it is a rough guide.", "times"),
            Definition("p90", "90% within",
                       "Nine in ten people got there within this time: how long the slow ones take.", "times"),
        ]),
        ("What the widgets do", [
            Definition("lift", "Widget lift",
                       "For each widget in the hold-out, the share of people shown it who bought in the period, minus "
                       "the share of people held out of it (never shown it) who bought, in percentage points. The range "
                       "is where the true difference lies, 19 times out of 20 (a 95% interval). People who had bought "
                       "before the period are left out of both groups.", "lift"),
            Definition("verdict", "Verdict",
                       "“Lifts conversion”: the whole range is above zero, the widget moves people to buy. “Lowers "
                       "conversion”: the whole range is below zero. “No measurable effect”: the range spans zero. "
                       f"“Not enough data yet”: a group has fewer than {min_group} people and the range spans zero.",
                       "lift"),
            Definition("holdout", "Shown / held out",
                       "People who bought / people in the group. A set share of visitors (the hold-out share in "
                       "Settings) is never shown the widget, always the same visitors, so the two groups can be "
                       "compared.", "lift"),
            Definition("first-widget", "By first widget seen",
                       "People first seen in the period, by the first widget they saw (or none). Considered and bought: "
                       "how many of them had reached consideration and purchase by the end of the period; conversion: "
                       "bought ÷ people.", "first-widget"),
        ]),
        ("Sales", [
            Definition("net-revenue", "Net revenue",
                       "What the orders paid in the period brought, less what refunds and lost disputes took back, per "
                       "currency (never added across currencies).", "sales"),
            Definition("gross", "Gross", "What the orders paid in the period paid, before refunds.", "sales"),
            Definition("average-order", "Average order", "Gross ÷ paid orders, per currency.", "sales"),
            Definition("paid-orders", "Paid orders",
                       "Orders paid in the period, refunded ones included (net revenue takes the refunds off).", "sales"),
            Definition("repeat-rate", "Repeat-purchase rate",
                       "Of the customers who bought in the period, the share who have bought at least twice.", "sales"),
            Definition("review-rate", "Review rate",
                       "Of the products bought in the period (one per buyer and product), the share their buyer has "
                       "reviewed.", "sales"),
        ]),
        ("Referrals", [
            Definition("referral-code", "By referral code",
                       "People first seen in the period, by the referral code they came with, and whose code it is. "
                       "Only real codes count: a mistyped or made-up code counts with “No referral code”.", "referrals"),
            Definition("clicks", "Link clicks",
                       "Clicks on customers' referral links in the period (one a visitor a day; bots and your own "
                       "clicks left out).", "referrals"),
            Definition("referred", "Referred buyers",
                       "Friends whose first paid order in the period came through a real referral code that was not "
                       "their own.", "referrals"),
            Definition("clicks-bought", "Clicks that bought", "Referred buyers ÷ link clicks.", "referrals"),
            Definition("per-buyer", "Referred per buyer",
                       "Referred buyers ÷ all buyers of the period: above 1, every buyer brings in more than one new "
                       "one.", "referrals"),
            Definition("referral-revenue", "Revenue brought",
                       "What referred friends' first orders paid, less refunds, per currency.", "referrals"),
            Definition("referral-rewards", "Rewards paid",
                       "Referrals whose reward the referring customer received in the period.", "referrals"),
            Definition("referral-review", "Waiting for review",
                       "Referrals whose reward waits for your decision now (the fraud checks asked for a look).",
                       "referrals"),
            Definition("referral-flagged", "Codes flagged",
                       "Codes still enabled whose clicks jumped suddenly: worth a look on the Referrals page.",
                       "referrals"),
            Definition("advocates", "Top advocates",
                       "The customers whose referral links brought the most paying friends in the period.", "referrals"),
        ]),
        ("Reviews and orders", [
            Definition("top-products", "Top products by rating",
                       "The products with the best average rating of their published reviews (then the most reviews), "
                       "all time.", "products"),
            Definition("reviews-waiting", "Reviews waiting",
                       "Reviews that wait for you to publish or reject them (your policy in Settings decides which are "
                       "published at once).", "pending"),
            Definition("latest-orders", "Latest orders",
                       "The five newest orders, paid or not, with what Stripe calls them.", "orders"),
        ]),
    ]


def keys(groups: list[tuple[str, list[Definition]]]) -> set[str]:
    """Every entry's key, to check a figure's link against."""
    return {entry.key for _, entries in groups for entry in entries}
