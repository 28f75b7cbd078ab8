"""Referral codes: made on first use and stable, short and unguessable without look-alikes, case-insensitive; the
owner's vanity codes validated and unique; disabled codes out of use."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journeykit.core.errors import Conflict, ValidationError
from journeykit.journey import ensure_customer
from journeykit.models import ReferralCode
from journeykit.referrals import codes

LOOK_ALIKES = set("01ILO")


def test_code_for_makes_a_code_on_first_use_and_answers_it_ever_after(app, db, journey):
    with app.app_context():
        assert db.session.scalars(sa.select(ReferralCode)).all() == []
        first = journey.referrals.code_for("c-ann")
    with app.app_context():
        assert journey.referrals.code_for("c-ann") == first == journey.referrals.code_for("c-ann")
        [row] = db.session.scalars(sa.select(ReferralCode)).all()
        assert (row.code, row.vanity, row.disabled_at, row.customer_id) == (first, False, None, ensure_customer("c-ann").id)


def test_made_codes_are_eight_characters_without_look_alikes_and_differ_between_customers(app, journey):
    with app.app_context():
        made = [journey.referrals.code_for(f"c-{n}") for n in range(60)]
    assert len(set(made)) == 60
    for code in made:
        assert len(code) == codes.LENGTH == 8 and set(code) <= set(codes.ALPHABET)
        assert not set(code) & LOOK_ALIKES


def test_codes_are_case_insensitive(app, journey):
    with app.app_context():
        code = journey.referrals.code_for("c-ann")
        for spelled in (code.lower(), code.title(), f"  {code.lower()} "):
            assert codes.live_code(spelled) == code
            assert codes.find(spelled).code == code


@pytest.mark.parametrize("text", ["", "   ", "abc", "A" * 33, "A" * 10_000, "-ABCD", "ABCD-", "AB CD", "ABÇD", "ΑΒΓΔ",
                                  "ABCD\x00", "../../etc", "ABCD%2F", "ＡＢＣＤ", "ǅABC", None, 42, ["ABCD"], b"ABCD"])
def test_anything_that_cannot_be_a_code_is_none_never_an_error(app, text):
    assert codes.normalize(text) is None
    with app.app_context():
        assert codes.find(text) is None and codes.live_code(text) is None


def test_a_vanity_code_is_validated_unique_and_becomes_the_code_in_use(app, db, journey):
    with app.app_context():
        made = journey.referrals.code_for("c-ann")
        ann = ensure_customer("c-ann")
        bob = ensure_customer("c-bob")
        for wrong in ("ab", "-ANN-", "ANN SMITH", "ANN_SMITH", "Ä" * 5, "A" * 33):
            with pytest.raises(ValidationError) as refused:
                codes.set_vanity(ann.id, wrong)
            assert refused.value.error_code == "invalid_code"
        vanity = codes.set_vanity(ann.id, "ann-Smith")
        db.session.commit()
        assert (vanity.code, vanity.vanity) == ("ANN-SMITH", True)
        for taken in ("ANN-SMITH", "ann-smith", made.lower()):
            with pytest.raises(Conflict) as clash:
                codes.set_vanity(bob.id, taken)
            assert clash.value.error_code == "code_taken"
        db.session.rollback()
        assert journey.referrals.code_for("c-ann") == "ANN-SMITH"
        assert codes.live_code(made) == made  # links already shared keep working
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralCode)) == 2


def test_a_disabled_code_is_out_of_use_and_its_customer_gets_a_new_one(app, db, journey):
    with app.app_context():
        old = journey.referrals.code_for("c-ann")
        codes.set_disabled(codes.find(old), True)
        db.session.commit()
        assert codes.live_code(old) is None and codes.find(old).disabled_at is not None
        new = journey.referrals.code_for("c-ann")
        assert new != old and journey.referrals.code_for("c-ann") == new
        codes.set_disabled(codes.find(old), False)
        db.session.commit()
        assert codes.live_code(old) == old
        assert journey.referrals.code_for("c-ann") == new  # the newest code in use stays the shopper's
