"""The demo shop's catalogue and cast: realistic products, customers and reviews.

E-mail addresses use the reserved ``example.com``/``example.org`` domains.
"""

from __future__ import annotations

import random
from typing import NamedTuple


class ProductData(NamedTuple):
    sku: str
    name: str
    tagline: str
    description: str
    price_cents: int
    shape: str
    color: str


class CustomerData(NamedTuple):
    name: str
    email: str
    is_owner: bool = False


class ReviewData(NamedTuple):
    rating: int
    title: str
    body: str


PRODUCTS = [
    ProductData(
        "mug-stoneware",
        "Stoneware Morning Mug",
        "Hand-glazed, holds a proper 350 ml",
        "Thrown in small batches in Stoke-on-Trent and finished with a speckled oatmeal glaze. "
        "Dishwasher and microwave safe, with a handle that fits three fingers.",
        1800,
        "mug",
        "#c8794a",
    ),
    ProductData(
        "tee-organic",
        "Organic Cotton Tee",
        "Heavyweight 220 gsm, garment-dyed",
        "A boxy everyday T-shirt in GOTS-certified organic cotton, pre-shrunk so it keeps its "
        "shape wash after wash.",
        3200,
        "tee",
        "#3f6e8c",
    ),
    ProductData(
        "notebook-a5",
        "Dot-Grid Notebook A5",
        "192 numbered pages of 100 gsm paper",
        "Lay-flat binding, fountain-pen friendly paper, an index and two ribbon markers. "
        "Made from recycled board.",
        1450,
        "notebook",
        "#2f4858",
    ),
    ProductData(
        "candle-cedar",
        "Cedar & Fig Soy Candle",
        "About 45 hours of slow, clean burn",
        "Hand-poured soy wax with a cotton wick in a reusable amber jar. Notes of cedarwood, "
        "green fig and a little black pepper.",
        2400,
        "candle",
        "#b5835a",
    ),
    ProductData(
        "planter-terracotta",
        "Terracotta Planter",
        "15 cm, with a drainage saucer",
        "Unglazed terracotta breathes, so roots stay healthy. Fits most small houseplants, "
        "from pothos to a happy little fern.",
        2800,
        "planter",
        "#c2603d",
    ),
    ProductData(
        "tote-canvas",
        "Market Canvas Tote",
        "12 oz canvas with an inner pocket",
        "Roomy enough for a week's vegetables, strong enough for the library run. Long handles "
        "sit comfortably on the shoulder.",
        2200,
        "tote",
        "#8a9a5b",
    ),
    ProductData(
        "bottle-steel",
        "Insulated Steel Bottle",
        "Cold for 24 h, hot for 12 h, 750 ml",
        "Double-walled stainless steel with a leak-proof bamboo cap. Fits car cup holders and "
        "bike cages.",
        3500,
        "bottle",
        "#4f8a8b",
    ),
    ProductData(
        "socks-merino",
        "Merino Hiking Socks",
        "Cushioned sole, two pairs",
        "Soft merino blend that stays warm when damp and does not itch. Reinforced heel and toe "
        "for long days on the trail.",
        1900,
        "socks",
        "#7a5c99",
    ),
    ProductData(
        "board-walnut",
        "Walnut Serving Board",
        "Solid walnut, oiled by hand",
        "One piece of American black walnut, 40 × 20 cm, with a carved handle. Lovely for bread, "
        "cheese and everything in between.",
        5400,
        "board",
        "#6b4f3a",
    ),
    ProductData(
        "towel-linen",
        "Striped Linen Tea Towel",
        "Stonewashed linen, 50 × 70 cm",
        "Absorbent, quick-drying and softer with every wash. Woven in Lithuania from European "
        "flax.",
        1600,
        "towel",
        "#d1a23a",
    ),
]

#: The first one is the shop owner: signing in as them opens JourneyKit's admin.
CUSTOMERS = [
    CustomerData("Morgan Ellis", "morgan@demoshop.example.com", is_owner=True),
    CustomerData("Amara Okafor", "amara.okafor@example.com"),
    CustomerData("Lucas Meyer", "lucas.meyer@example.org"),
    CustomerData("Sofia Rossi", "sofia.rossi@example.com"),
    CustomerData("Hiroshi Tanaka", "h.tanaka@example.org"),
    CustomerData("Chloé Martin", "chloe.martin@example.com"),
    CustomerData("Daniel Kowalski", "daniel.k@example.com"),
    CustomerData("Priya Sharma", "priya.sharma@example.org"),
    CustomerData("Ethan Brooks", "ethan.brooks@example.com"),
    CustomerData("Ingrid Larsen", "ingrid.larsen@example.org"),
    CustomerData("Mateo García", "mateo.garcia@example.com"),
]

#: Three happy customers' referral codes (vanity codes the owner gave them) and who they are: their friends
#: follow ``/journeykit/r/<code>`` and come with the code to checkout.
REFERRERS = {"AMARA-FRIENDS": "amara.okafor@example.com", "HIROSHI-HIKES": "h.tanaka@example.org",
             "CHLOE-CEDAR": "chloe.martin@example.com"}
REFERRAL_CODES = list(REFERRERS)

#: Guests who check out without an account, made up from these names.
GUEST_FIRST_NAMES = [
    "Olivia", "Noah", "Emma", "Liam", "Ava", "Ben", "Mia", "Jonas", "Zoe", "Omar", "Lena", "Tom",
    "Nina", "Ravi", "Elif", "Sam", "Hana", "Marco", "Ines", "Kofi", "Julia", "Felix", "Aisha", "Leo",
]
GUEST_LAST_NAMES = [
    "Walsh", "Becker", "Nguyen", "Haddad", "Moreau", "Silva", "Novak", "Ahmed", "Jensen", "Costa",
    "Fischer", "Kim", "Murphy", "Rossi", "Patel", "Schmidt", "Okoye", "Dubois", "Lindqvist", "Evans",
]


def guest_names(rng: random.Random) -> list[tuple[str, str]]:
    """Every first and last name pairing, shuffled: ``(name, e-mail)``, each e-mail used once."""
    names = [f"{first} {last}" for first in GUEST_FIRST_NAMES for last in GUEST_LAST_NAMES]
    rng.shuffle(names)
    return [(name, name.lower().replace(" ", ".") + "@example.net") for name in names]


#: What buyers say about a product, handed out to its buyers in turn.
REVIEWS = {
    "mug-stoneware": [
        ReviewData(
            5,
            "My new favourite mug",
            "Keeps tea hot for ages and the glaze is even nicer in person.",
        ),
        ReviewData(
            4,
            "Lovely, slightly smaller than expected",
            "Beautiful mug; I wish it held a little more.",
        ),
    ],
    "tee-organic": [
        ReviewData(
            5,
            "Finally a tee that lasts",
            "Ten washes in and it still looks new. Ordering another colour.",
        ),
        ReviewData(3, "Runs large", "Great fabric, but size down if you like a closer fit."),
    ],
    "notebook-a5": [
        ReviewData(
            5, "Perfect for fountain pens", "No bleed-through at all, even with a broad nib."
        ),
    ],
    "candle-cedar": [
        ReviewData(
            5, "Smells like a forest cabin", "Burns evenly and the scent fills the whole room."
        ),
    ],
    "bottle-steel": [
        ReviewData(
            4,
            "Ice still there the next morning",
            "Does what it says. The cap is a bit stiff at first.",
        ),
    ],
    "board-walnut": [
        ReviewData(
            5, "Stunning piece of wood", "Bought it as a wedding gift and kept wanting to keep it."
        ),
    ],
    "socks-merino": [
        ReviewData(
            5, "Warm, dry feet on a wet week in Scotland", "Best hiking socks I have owned."
        ),
    ],
}


#: What happy customers said, for the testimonial wall on the home page.
TESTIMONIALS = [
    {"body": "Everything arrived beautifully wrapped, without a scrap of plastic. The mugs are now the first thing guests ask about.",
     "name": "Amara Okafor", "role": "Café owner", "company": "Little Bean, Leeds"},
    {"body": "I have bought socks from a dozen shops. These are the only ones still going strong after a winter of hiking.",
     "name": "Hiroshi Tanaka", "role": "Hill walker"},
    {"body": "Friendly, quick answers to my questions and a candle that makes the whole flat smell of cedar.",
     "name": "Chloé Martin"},
]
