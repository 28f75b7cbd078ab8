"""Settings the owner changes in the admin, over the app's config: one reader for every capability.

A setting is a config key (``JOURNEYKIT_POINTS_SIGNUP``) the owner may
override from an owner page or the admin API; :data:`~journeykit.core.config_checks.SETTINGS`
lists them with the check the config itself passes at start, so the admin
can never store what the app would refuse to start with.  Overrides live in
``journeykit_settings``; every process keeps them until a write changes
them (:func:`~journeykit.core.read_versions.remembered`, under the ``settings``
scope's token), and a request or command looks once and keeps them in ``g``:
with a version watcher a setting costs no query at all.  A setting the owner
never changed, or put back, follows the config.
Capabilities read their settings through :func:`value` only, so what the admin
shows is what the code does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Iterator, Mapping

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Mapped, mapped_column

from . import read_versions
from .config_checks import SETTINGS, check_setting
from .db import Base, JSONType, UTCDateTime, session, utcnow
from .dialects import insert_if_absent

_CACHE = "journeykit_settings"


class Setting(Base):
    """A config key the owner changed in the admin: its value overrides the config's until they put it back."""

    __tablename__ = "journeykit_settings"

    #: The config key it overrides, one of :data:`~journeykit.core.config_checks.SETTINGS`.
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    #: What the config key would hold, validated as the config is.
    value: Mapped[Any] = mapped_column(JSONType)
    #: Who changed it last (the owner's name or API key, as the admin guard gave it).
    updated_by: Mapped[str] = mapped_column(sa.String(254))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


read_versions.watch(Setting, read_versions.SETTINGS)


def _overrides() -> dict[str, dict[str, Any]]:
    """The owner's overrides by key (plain values, so they outlive the transaction that read them)."""
    cached = g.get(_CACHE)
    if cached is None:
        cached = read_versions.remembered(read_versions.SETTINGS, _read_overrides, session())
        setattr(g, _CACHE, cached)
    return cached


def _read_overrides() -> dict[str, dict[str, Any]]:
    rows = session().execute(sa.select(Setting.key, Setting.value, Setting.updated_by, Setting.updated_at))
    return {row.key: {"value": row.value, "updated_by": row.updated_by, "updated_at": row.updated_at}
            for row in rows if row.key in SETTINGS}


def value(key: str) -> Any:
    """The setting ``key`` in force: the owner's override, else the app's config."""
    overrides = _overrides()
    return overrides[key]["value"] if key in overrides else current_app.config[key]


class _InForce(Mapping[str, Any]):
    """The app's config with the owner's settings over it: what code written for ``current_app.config`` reads."""

    def __getitem__(self, key: str) -> Any:
        return value(key) if key in SETTINGS else current_app.config[key]

    def __iter__(self) -> Iterator[str]:
        return iter(current_app.config)

    def __len__(self) -> int:
        return len(current_app.config)


def in_force() -> Mapping[str, Any]:
    """The config as in force: every key, the owner's settings over the app's config (read lazily, per key)."""
    return _InForce()


def effective(keys: Iterable[str]) -> list[dict[str, Any]]:
    """Each of ``keys`` for the owner: its value in force, the config's, and who changed it when (``None``: nobody)."""
    overrides = _overrides()
    return [{"key": key, "value": value(key), "config_value": current_app.config[key],
             "overridden": key in overrides, "updated_by": overrides.get(key, {}).get("updated_by"),
             "updated_at": overrides.get(key, {}).get("updated_at")}
            for key in keys]


def problems(changes: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """What is wrong with ``changes`` (key → new value, ``None`` to put back), by key; empty if nothing.

    ``names`` (key → the name the owner knows it by) words the messages.
    """
    found: dict[str, list[str]] = {}
    for key, new in changes.items():
        if key not in SETTINGS:
            found[key] = [f"Unknown setting: {key}."]
        elif new is not None:
            try:
                check_setting(key, new, name=(names or {}).get(key, "The setting"))
            except ValueError as exc:
                found[key] = [str(exc)]
    return found


def change(changes: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Store the owner's ``changes`` (valid: see :func:`problems`); ``None`` puts a setting back to the config.

    The caller audits and commits.  Returns what each changed setting was before.
    """
    before = {key: value(key) for key in changes}
    table = Setting.__table__
    for key, new in changes.items():
        if new is None:
            session().execute(sa.delete(Setting).where(Setting.key == key))
            continue
        fields = {"value": new, "updated_by": actor, "updated_at": utcnow()}
        if not insert_if_absent(table, {"key": key, **fields}, on=["key"]):  # type: ignore[arg-type]
            session().execute(sa.update(Setting).where(Setting.key == key).values(**fields))
    g.pop(_CACHE, None)  # the rest of this request reads the new settings
    return before
