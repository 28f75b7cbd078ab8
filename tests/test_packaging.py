"""One installable package, ``journeykit``, whose plain (non-editable) install serves everything."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _packages_on_disk() -> set[str]:
    found = set()
    for package, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *relative)))
    return found


def test_every_subpackage_is_listed_for_the_wheel():
    """A package missing from the list imports in editable mode but is left out of the wheel."""
    assert _packages_on_disk() == set(SETUPTOOLS["packages"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """A real wheel, built from a copy of the tree (so no build/ or egg-info lands in it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "build", "dist", "*.egg-info", "instance", ".pytest_cache", ".hypothesis")
    shutil.copytree(ROOT, source, ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source), "-w", str(tmp)],
        check=True, capture_output=True,
    )
    return next(tmp.glob("journeykit-*.whl"))


def test_the_wheel_holds_one_top_level_package_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("journeykit-")}
    assert top_level == {"journeykit"}
    for expected in (
        "journeykit/py.typed",
        "journeykit/templates/journeykit/admin/overview.html",
        "journeykit/widgets/templates/journeykit/widgets/reviews.html",
        "journeykit/widgets/static/journeykit/embed.js",
        "journeykit/migrations/script.py.mako",
        "journeykit/migrations/env.py",
        "journeykit/hooks/stripe_webhook.py",
    ):
        assert expected in names, expected
    revisions = [n for n in names if n.startswith("journeykit/migrations/versions/2026_")]
    assert len(revisions) == len(list((ROOT / "migrations" / "versions").glob("2026_*.py")))


SMOKE = textwrap.dedent(
    """
    import pathlib, sys
    import journeykit
    from flask import Flask, render_template_string
    from journeykit import JourneyKit, migrate

    assert pathlib.Path(journeykit.__file__).is_relative_to(sys.argv[1]), journeykit.__file__
    app = Flask("installed")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite:///" + sys.argv[2])
    JourneyKit(app)
    with app.app_context():
        migrate.upgrade()
        assert migrate.pending_changes() == []
    client = app.test_client()
    script = client.get("/journeykit/embed.js")
    assert script.status_code == 200 and "customElements" in script.get_data(as_text=True), script.status
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-1") }}')
    assert 'product="sku-1"' in html, html
    print("installed copy works")
    """
)


def test_a_plain_install_serves_templates_static_files_and_migrations(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    assert not {"plugin", "widgets", "hooks", "migrations"} & {p.name for p in target.iterdir()}
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", SMOKE, str(target), str(tmp_path / "db.sqlite3")],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "installed copy works" in result.stdout
