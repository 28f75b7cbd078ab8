"""The README stays true: its configuration table, its table of widget styles and its quickstart commands."""

from __future__ import annotations

import os
import re
from pathlib import Path

from journeykit.core.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"the README has no '## {title}' section"
    return match.group(1)


def _documented_defaults() -> dict[str, str]:
    """``{key: default cell}`` from the rows of the configuration table."""
    rows = re.findall(
        r"^\| `(JOURNEYKIT_[A-Z0-9_]+)` \| ([^|]+) \|", _section("Configuration"), re.M
    )
    return {key: cell.strip() for key, cell in rows}


def test_every_config_key_is_in_the_readme_table_with_its_default() -> None:
    documented = _documented_defaults()
    assert set(documented) == set(DEFAULTS), (
        "the README's table and journeykit.config.DEFAULTS differ"
    )
    for key, default in DEFAULTS.items():
        shown = "[]" if default == [] else str(default)
        assert documented[key].startswith(f"`{shown}`"), (
            f"{key}: README says {documented[key]}, code says {default!r}"
        )


def test_every_widget_style_property_is_in_the_readme_table_with_its_default() -> None:
    css = (ROOT / "widgets" / "static" / "journeykit" / "widgets.css").read_text(encoding="utf-8")
    in_css = dict(re.findall(r"var\((--journeykit-[a-z-]+), ([^)]+)\)", css))
    table = dict(re.findall(r"^\| `(--journeykit-[a-z-]+)` \| ([^|]+) \|", README, re.M))
    assert set(table) == set(in_css), "the README's table of --journeykit-* properties and widgets.css differ"
    for name, default in in_css.items():
        if default not in ("inherit", "currentColor"):  # described in words: the page's font, the text colour
            assert table[name].strip() == f"`{default}`", f"{name}: README says {table[name]}, widgets.css {default}"


def test_the_quickstart_is_two_executable_commands() -> None:
    block = re.search(r"```bash\n(.*?)```", _section("Quickstart"), re.S)
    assert block, "the quickstart has no bash block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["scripts/demo", "scripts/test"]
    for command in commands:
        script = ROOT / command
        assert script.is_file() and os.access(script, os.X_OK), (
            f"{command} is not an executable file"
        )
        assert script.read_text(encoding="utf-8").startswith("#!"), f"{command} has no #! line"
