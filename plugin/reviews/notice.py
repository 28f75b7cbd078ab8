"""The public notice "How reviews are collected and verified", written from the live settings.

Consumer-protection rules (the EU's Omnibus directive among them) ask a shop
that shows reviews to say whether and how it checks that they come from
people who used the product; this page says it, and stays true when the
settings change.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from ..core import settings
from .models import RejectionReason
from .policy import describe


def notice() -> str:
    return render_template(
        "journeykit/public/review_notice.html", policy=describe(settings.in_force()), reasons=list(RejectionReason)
    )


def create_blueprint() -> Blueprint:
    bp = Blueprint("notices", __name__)
    bp.add_url_rule("/reviews/how-we-collect-reviews", view_func=notice, endpoint="reviews")
    return bp
