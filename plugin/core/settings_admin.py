"""A group of settings the owner changes together: its JSON admin API (``GET``/``PUT``) and its owner page.

Loyalty's earning rules and the referrals' settings are each a
:class:`SettingsGroup`: settings known to the owner by short names
(``signup``, ``hold_days``), each a config key of
:data:`~journeykit.core.config_checks.SETTINGS`.  Both ways in change them through
:mod:`journeykit.core.settings`, validated as the config is: one bad value is
a 422 and changes nothing, not even the good values sent with it.  Every
change is audited with the values before and after; ``null`` (or the page's
"put back" box) goes back to the app's config.  The page's form works
without JavaScript and carries the owner's CSRF token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validates_schema
from werkzeug.wrappers import Response

from . import audit, limits, openapi, settings
from .admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from .inputs import load_json
from .signals import commit


@dataclass
class Entry:
    """One setting of a group: the owner's name for it, its config key, its label and what it means."""

    name: str
    key: str
    label: str
    meaning: str
    #: The values the page offers in a list, when there are few (``("all", "none")``); else a JSON field.
    choices: tuple[Any, ...] = ()


class SettingsGroup:
    """Settings changed together, listed as ``{plural: [...]}`` and audited as ``<audit>.change``."""

    def __init__(self, *, entries: list[Entry], plural: str, audit: str, title: str, page: str) -> None:
        """``plural`` names the listing (``rules``), ``title`` the OpenAPI schemas (``LoyaltyRules``), ``page`` the
        owner page's endpoint (``journeykit.admin.loyalty_rules``)."""
        self.entries = {entry.name: entry for entry in entries}
        self.plural, self.audit, self.page = plural, audit, page
        self._names = {entry.key: entry.name for entry in entries}
        self.labels = {entry.name: entry.label for entry in entries}
        self.choices = {entry.name: entry.choices for entry in entries if entry.choices}
        self.listing_schema = _listing_schema(title, plural, self.entries)
        self.change_schema = _change_schema(title, self)

    # --- reading and changing -------------------------------------------------------------------------------------

    def value(self, name: str) -> Any:
        """The setting ``name`` in force."""
        return settings.value(self.entries[name].key)

    def effective(self) -> list[dict[str, Any]]:
        """Every setting of the group, by name: in force, the config's, who changed it when, what it means."""
        return [self._row(row) for row in settings.effective(entry.key for entry in self.entries.values())]

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        name = self._names[row.pop("key")]
        return {"name": name, **row, "description": self.entries[name].meaning}

    def problems(self, changes: dict[str, Any]) -> dict[str, list[str]]:
        """What is wrong with ``changes`` (name → new value, ``None`` to put back), by name; empty if nothing."""
        unknown = {name: [f"Unknown {self.plural[:-1]}: the {self.plural} are {', '.join(self.entries)}."]
                   for name in changes if name not in self.entries}
        known = {self.entries[name].key: new for name, new in changes.items() if name in self.entries}
        found = settings.problems(known, {entry.key: entry.label for entry in self.entries.values()})
        return {**unknown, **{self._names[key]: messages for key, messages in found.items()}}

    def change(self, changes: dict[str, Any], *, actor: str) -> dict[str, Any]:
        """Store valid ``changes`` by name (the caller audits and commits); returns the values before, by name."""
        before = settings.change({self.entries[name].key: new for name, new in changes.items()}, actor=actor)
        return {self._names[key]: old for key, old in before.items()}

    def apply(self, changes: dict[str, Any]) -> None:
        """Store valid ``changes`` and audit them (the caller commits)."""
        actor = limits.fitted("journeykit_settings.updated_by", audit.actor(), field="actor", truncate=True)
        before = self.change(changes, actor=actor or "unknown admin")
        audit.record(f"{self.audit}.change", self.audit, before=before, after=changes)

    def listing(self) -> dict[str, Any]:
        return self.listing_schema().dump({self.plural: self.effective()})

    # --- the owner page's form ------------------------------------------------------------------------------------

    def form_changes(self, form: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """The settings the form changed (each field JSON: ``30``, ``"/welcome"``, ``{"purchase": 30}``, ``null``),
        and what is wrong with them."""
        current = {row["name"]: row for row in self.effective()}
        changes: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name in self.entries:
            if form.get(f"reset_{name}"):
                if current[name]["overridden"]:
                    changes[name] = None
                continue
            try:
                new = json.loads(form.get(name, "").strip())
            except ValueError:
                errors[name] = ['Enter a JSON value: a number (30), text in quotes ("/welcome"), an object such as '
                                '{"purchase": 30}, or null.']
                continue
            if new != current[name]["value"]:
                changes[name] = new
        errors.update(self.problems({name: new for name, new in changes.items() if new is not None}))
        return changes, errors

    def page_view(self, template: str, **context: Any) -> Callable[[], str | Response | tuple[str, int]]:
        """The owner page: the settings with a form to change them or put them back (POST, then 303 back)."""

        @admin_required
        def page() -> str | Response | tuple[str, int]:
            errors: dict[str, list[str]] = {}
            form: dict[str, str] = {}
            if request.method == "POST":
                form = request.form.to_dict()
                if not csrf_ok():  # the owner pages' one check (core.admin_access)
                    errors = {"form": [STALE_FORM]}
                else:
                    changes, errors = self.form_changes(form)
                    if not errors:
                        if changes:
                            self.apply(changes)
                            commit()
                        return redirect(url_for(self.page, saved=len(changes)), code=303)
            html = render_template(template, settings=self.listing()[self.plural],
                                   labels=self.labels, choices=self.choices,
                                   errors=errors, form=form, csrf_token=csrf_token(),
                                   saved=request.args.get("saved", type=int), **context)
            return (html, 400 if "form" in errors else 422) if errors else html

        #: The form checks its own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` leaves it alone.
        page.journeykit_own_csrf = True  # type: ignore[attr-defined]
        return page

    # --- the JSON admin API ---------------------------------------------------------------------------------------

    def register_api(self, bp: Blueprint, rule: str, *, what: str) -> None:
        """``GET`` and ``PUT`` of ``rule`` on the API blueprint; ``what`` words their summaries."""
        read, change = self.api_views(what=what)
        bp.add_url_rule(rule, view_func=read, methods=["GET"])
        bp.add_url_rule(rule, view_func=change, methods=["PUT"])

    def register_page(self, bp: Blueprint, rule: str, template: str) -> None:
        """The owner page at ``rule`` on the admin blueprint, under the endpoint ``page`` names."""
        bp.add_url_rule(rule, view_func=self.page_view(template), endpoint=self.page.rpartition(".")[2],
                        methods=["GET", "POST"])

    def api_views(self, *, what: str) -> tuple[Callable[[], dict[str, Any]], Callable[[], dict[str, Any]]]:
        """``GET`` and ``PUT`` views of the group; ``what`` words their OpenAPI summaries (``The earning rules``)."""

        @openapi.documented(response=self.listing_schema)
        @admin_required
        def read() -> dict[str, Any]:
            return self.listing()

        @openapi.documented(body=self.change_schema, response=self.listing_schema)
        @admin_required
        def change() -> dict[str, Any]:
            self.apply(load_json(self.change_schema()))
            commit()
            return self.listing()

        read.__doc__ = f"{what} in force, with the app's config values and the owner's last change."
        change.__doc__ = (f"Change {what[0].lower()}{what[1:]} (overriding the config); ``null`` puts one back.\n\n"
                          "Validated as the config is: one bad value is a 422 and nothing changes.  Audited.")
        read.__name__, change.__name__ = f"admin_{self.audit}", f"admin_change_{self.audit}"
        return read, change


def _listing_schema(title: str, plural: str, entries: dict[str, Entry]) -> type[Schema]:
    """``{plural: [{name, value, config_value, overridden, updated_by, updated_at, description}]}``."""
    item = Schema.from_dict({
        "name": fields.String(required=True, metadata={"description": ", ".join(entries)}),
        "value": fields.Raw(required=True, metadata={"description": "the value in force"}),
        "config_value": fields.Raw(required=True, metadata={"description": "the app's config: in force when not "
                                                                            "overridden"}),
        "overridden": fields.Boolean(required=True, metadata={"description": "whether the owner changed it here"}),
        "updated_by": fields.String(required=True, allow_none=True),
        "updated_at": fields.DateTime(required=True, allow_none=True),
        "description": fields.String(required=True),
    }, name=f"{title}Item")
    return Schema.from_dict({plural: fields.List(fields.Nested(item), required=True)}, name=title)


def _change_schema(title: str, group: SettingsGroup) -> type[Schema]:
    """The settings to change, each to its new value or to ``null`` (back to the config); others stay."""

    class Change(Schema):
        @validates_schema
        def _valid(self, data: dict[str, Any], **kwargs: Any) -> None:
            if not data:
                raise ValidationError(f"Name at least one {group.plural[:-1]} to change.")
            found = group.problems(data)
            if found:
                raise ValidationError(found)

    return Change.from_dict({name: fields.Raw(allow_none=True, metadata={"description": entry.meaning})
                             for name, entry in group.entries.items()}, name=f"{title}Change")
