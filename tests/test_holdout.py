"""Widget hold-out groups: stable, independent per widget, and the share the owner asked for."""

from __future__ import annotations

import secrets

import pytest

from journeykit.metrics import holdout

SETTINGS = "/journeykit/api/v1/embed/settings"


@pytest.mark.parametrize(("text", "expected"), [("", 0x811C9DC5), ("a", 0xE40C292C), ("foobar", 0xBF9CF968)])
def test_the_hash_is_fnv1a_32_as_embed_js_computes_it(text, expected):
    assert holdout.fnv1a_32(text) == expected


def test_a_visitor_stays_in_one_group_and_each_widget_splits_on_its_own(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_HOLDOUT_SHARE": 0.2})
    visitors = [secrets.token_urlsafe(16) for _ in range(20_000)]
    with app.app_context():
        reviews = {v for v in visitors if holdout.is_held_out(v, "reviews")}
        loyalty = {v for v in visitors if holdout.is_held_out(v, "loyalty")}
        assert reviews == {v for v in visitors if holdout.is_held_out(v, "reviews")}
    assert 0.185 < len(reviews) / len(visitors) < 0.215
    assert 0.185 < len(loyalty) / len(visitors) < 0.215
    assert 0.03 < len(reviews & loyalty) / len(visitors) < 0.05  # about 0.2 × 0.2: independent


def test_only_the_listed_widgets_have_a_hold_out(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_HOLDOUT_SHARE": 0.5, "JOURNEYKIT_HOLDOUT_WIDGETS": "reviews"})
    with app.app_context():
        visitors = [secrets.token_urlsafe(16) for _ in range(200)]
        assert not any(holdout.is_held_out(v, "testimonials") for v in visitors)
        assert any(holdout.is_held_out(v, "reviews") for v in visitors)


def test_no_one_is_held_out_by_default(client):
    response = client.get(SETTINGS)
    assert response.status_code == 200
    assert response.json == {"holdout": {"share": 0.0, "buckets": 0, "widgets": []}}


def test_the_embed_script_reads_the_owners_settings_cross_origin(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_HOLDOUT_SHARE": 0.1, "JOURNEYKIT_ALLOWED_ORIGINS": ["https://store.example"]})
    response = app.test_client().get(SETTINGS, headers={"Origin": "https://store.example"})
    assert response.json["holdout"] == {
        "share": 0.1, "buckets": 1000, "widgets": ["reviews", "rating", "testimonials", "referral", "loyalty"],
    }
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "https://store.example"


@pytest.mark.parametrize("share", [1, 1.5, -0.1, "0.1", True, None])
def test_a_share_outside_0_to_1_is_refused_when_the_app_starts(shop_factory, share):
    with pytest.raises(ValueError, match="JOURNEYKIT_HOLDOUT_SHARE"):
        shop_factory({"JOURNEYKIT_HOLDOUT_SHARE": share})
