"""The owner's earning rules: ``GET``/``PUT {prefix}/api/v1/admin/loyalty/rules``, and the page
``{prefix}/admin/loyalty/rules``.

Both change the rules through :func:`journeykit.loyalty.rules.change`,
validated as the config is (:func:`journeykit.core.config.check_earning_rule`):
a bad value is a 422 and changes nothing, not even the good values sent with
it.  Every change is audited (``loyalty_rules.change``, with the values before
and after).  A rule set to ``null`` goes back to the app's config.  The page's
form works without JavaScript and carries the owner's CSRF token
(:func:`journeykit.core.admin_access.csrf_token`).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validates_schema
from werkzeug.wrappers import Response

from ..core import audit, limits, openapi
from ..core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from ..core.config import EARNING_RULES
from ..core.inputs import load_json
from ..core.signals import commit
from . import rules

#: What each rule means, for the OpenAPI description and the page.
MEANINGS = {
    "points_per_unit": 'Points per major currency unit paid: a whole number, or one per currency ({"eur": 1}).',
    "signup": "Points for a new customer's account (0: off).",
    "review": "Points for each review published, taken back if it is unpublished (0: off).",
    "birthday": "Points on the customer's birthday, given by 'flask journeykit loyalty birthdays' (0: off).",
    "referral": "Points for the referrer when a referred friend's first order is paid (0: off).",
    "pending_days": 'Days earned points wait before they may be spent: one number, or per rule ({"purchase": 30}).',
}


#: What the page calls each rule.
LABELS = {"points_per_unit": "Points per unit paid", "signup": "Sign-up bonus", "review": "Review bonus",
          "birthday": "Birthday bonus", "referral": "Referral bonus", "pending_days": "Pending days"}


class RuleSchema(Schema):
    """One earning rule: what is in force, what the config says, and the owner's last change."""

    name = fields.String(required=True, metadata={"description": ", ".join(EARNING_RULES)})
    value = fields.Raw(required=True, metadata={"description": "the value in force (a whole number, or an object)"})
    config_value = fields.Raw(required=True, metadata={"description": "the app's config: in force when not overridden"})
    overridden = fields.Boolean(required=True, metadata={"description": "whether the owner changed it in the admin"})
    updated_by = fields.String(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True, allow_none=True)
    description = fields.String(required=True)


class RulesSchema(Schema):
    rules = fields.List(fields.Nested(RuleSchema), required=True)


class RulesChangeSchema(Schema):
    """The rules to change, each to its new value or to ``null`` (back to the config); others stay as they are."""

    points_per_unit = fields.Raw(allow_none=True, metadata={"description": MEANINGS["points_per_unit"]})
    signup = fields.Raw(allow_none=True, metadata={"description": MEANINGS["signup"]})
    review = fields.Raw(allow_none=True, metadata={"description": MEANINGS["review"]})
    birthday = fields.Raw(allow_none=True, metadata={"description": MEANINGS["birthday"]})
    referral = fields.Raw(allow_none=True, metadata={"description": MEANINGS["referral"]})
    pending_days = fields.Raw(allow_none=True, metadata={"description": MEANINGS["pending_days"]})

    @validates_schema
    def _valid(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Name at least one rule to change.")
        found = rules.problems(data)
        if found:
            raise ValidationError(found)


_rules, _change = RulesSchema(), RulesChangeSchema()


def _listing() -> dict[str, Any]:
    return _rules.dump({"rules": [{**rule, "description": MEANINGS[rule["name"]]} for rule in rules.effective()]})


def _apply(changes: dict[str, Any]) -> None:
    """Store valid ``changes`` and audit them (the caller commits)."""
    actor = limits.fitted("journeykit_loyalty_rules.updated_by", audit.actor(), field="actor", truncate=True)
    before = rules.change(changes, actor=actor or "unknown admin")
    audit.record("loyalty_rules.change", "loyalty_rules", before=before, after=changes)


@openapi.documented(response=RulesSchema)
@admin_required
def admin_rules() -> dict[str, Any]:
    """The earning rules in force: points per unit, the bonuses and the pending days, with the config's values."""
    return _listing()


@openapi.documented(body=RulesChangeSchema, response=RulesSchema)
@admin_required
def admin_change_rules() -> dict[str, Any]:
    """Change earning rules (overriding the config); ``null`` puts a rule back to the config's value.

    Validated as the config is: one bad value is a 422 and nothing changes.  Audited.  Points already earned keep
    the rule they were earned under.
    """
    changes = load_json(_change)
    _apply(changes)
    commit()
    return _listing()


def _form_changes(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The rules the page's form changed (JSON values: ``30`` or ``{"purchase": 30}``), and what is wrong with them."""
    current = {rule["name"]: rule for rule in rules.effective()}
    changes: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in EARNING_RULES:
        if form.get(f"reset_{name}"):
            if current[name]["overridden"]:
                changes[name] = None
            continue
        text = form.get(name, "").strip()
        try:
            new = json.loads(text)
        except ValueError:
            errors[name] = ['Enter a whole number, or an object such as {"purchase": 30}.']
            continue
        if new != current[name]["value"]:
            changes[name] = new
    errors.update(rules.problems(changes))
    return changes, errors


@admin_required
def rules_page() -> str | Response | tuple[str, int]:
    """The earning rules, with a form to change them (or put them back to the config)."""
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        if not csrf_ok():  # the owner pages' one check (core.admin_access)
            errors = {"form": [STALE_FORM]}
        else:
            changes, errors = _form_changes(form)
            if not errors:
                if changes:
                    _apply(changes)
                    commit()
                return redirect(url_for("journeykit.admin.loyalty_rules", saved=len(changes)), code=303)
    page = render_template("journeykit/admin/loyalty/rules.html", rules=_listing()["rules"], labels=LABELS,
                           errors=errors, form=form,
                           csrf_token=csrf_token(), saved=request.args.get("saved", type=int))
    return (page, 400 if "form" in errors else 422) if errors else page


#: The form checks its own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave it alone.
rules_page.journeykit_own_csrf = True  # type: ignore[attr-defined]


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/loyalty/rules", view_func=admin_rules, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/rules", view_func=admin_change_rules, methods=["PUT"])


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/loyalty/rules", view_func=rules_page, endpoint="loyalty_rules", methods=["GET", "POST"])
