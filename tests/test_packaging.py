"""One installable package, ``journeykit``, whose plain (non-editable) install serves everything.

The editable install the tests otherwise run against imports straight from
the source folders, so it hides what a wheel would leave out: these tests
build a real wheel and run a real installed copy.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
#: The design's folders and the package each one is installed as.
PACKAGE_DIRS: dict[str, str] = SETUPTOOLS["package-dir"]
#: Generic names that must never land in a user's site-packages.
FORBIDDEN_TOP_LEVEL = {"plugin", "widgets", "hooks", "migrations"}


def _source_files() -> dict[str, pathlib.Path]:
    """Every file under the mapped folders, keyed by its path inside an installed ``journeykit``."""
    files = {}
    for package, folder in PACKAGE_DIRS.items():
        base = ROOT / folder
        for path in base.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                files["/".join((*package.split("."), *path.relative_to(base).parts))] = path
    return files


def test_every_subpackage_is_listed_for_the_wheel():
    """A package missing from the list imports in editable mode but is silently left out of the wheel."""
    on_disk = {
        path.rsplit("/", 1)[0].replace("/", ".")
        for path in _source_files()
        if path.endswith("/__init__.py")
    }
    assert on_disk == set(SETUPTOOLS["packages"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A real wheel, built from a copy of the tree (so no build/ or egg-info lands in the work tree)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "build", "dist", "*.egg-info", "instance",
                                    ".pytest_cache", ".hypothesis", ".ruff_cache", "artifacts")
    shutil.copytree(ROOT, source, ignore=ignore)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source), "-w", str(tmp)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    (built,) = tmp.glob("journeykit-*.whl")
    return built


def test_the_wheel_holds_one_top_level_package_with_all_its_files(wheel: pathlib.Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    top_level = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top_level == {"journeykit"}
    missing = set(_source_files()) - names
    assert not missing, f"left out of the wheel: {sorted(missing)}"
    # The files a shop's pages and `flask journeykit db upgrade` need, named so a failure reads plainly.
    assert {
        "journeykit/py.typed",
        "journeykit/widgets/static/journeykit/embed.js",
        "journeykit/widgets/templates/journeykit/widgets/reviews.html",
        "journeykit/metrics/templates/journeykit/admin/dashboard.html",
        "journeykit/migrations/script.py.mako",
        "journeykit/migrations/env.py",
    } <= names
    revisions = {path for path in names if path.startswith("journeykit/migrations/versions/2026_")}
    assert len(revisions) == len(list((ROOT / "migrations" / "versions").glob("2026_*.py"))) >= 1


SMOKE = textwrap.dedent(
    """
    import pathlib, sys
    import journeykit
    from flask import Flask, render_template_string
    from journeykit import JourneyKit
    from journeykit.core import migrate

    site, database = sys.argv[1:]
    assert pathlib.Path(journeykit.__file__).is_relative_to(site), journeykit.__file__
    app = Flask("installed")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI="sqlite:///" + database,
                      JOURNEYKIT_ADMIN_API_KEYS=["installed-admin-key-0123456789"])
    JourneyKit(app)
    with app.app_context():
        migrate.upgrade()
        assert migrate.current_revision() == migrate.head_revision()
        assert migrate.pending_changes() == []
    client = app.test_client()
    script = client.get("/journeykit/embed.js")
    assert script.status_code == 200, script.status
    assert script.mimetype == "text/javascript", script.mimetype
    assert "customElements" in script.get_data(as_text=True)
    css = client.get("/journeykit/static/journeykit/widgets.css")
    assert (css.status_code, css.mimetype) == (200, "text/css"), css.status
    admin = client.get("/journeykit/admin/", headers={"Authorization": "Bearer installed-admin-key-0123456789"})
    assert (admin.status_code, admin.mimetype) == (200, "text/html"), admin.status
    with app.test_request_context():
        html = render_template_string('{{ journeykit.reviews("sku-1") }}')
    assert 'product="sku-1"' in html, html
    loaded = [m.__file__ for name, m in sys.modules.items() if name.startswith("journeykit") and m.__file__]
    assert all(pathlib.Path(path).is_relative_to(site) for path in loaded), loaded
    print("installed copy works from", pathlib.Path(journeykit.__file__).parent)
    """
)


def test_a_plain_install_serves_templates_static_files_and_migrations(wheel: pathlib.Path, tmp_path: pathlib.Path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )
    installed = {path.name for path in site.iterdir() if not path.name.endswith(".dist-info")}
    assert installed == {"journeykit"}
    assert not FORBIDDEN_TOP_LEVEL & installed
    # -S skips site-packages' .pth files, among them the editable install's import hook, which would
    # quietly supply whatever the wheel left out; the dependencies come from PYTHONPATH instead.
    # cwd is not the repository, so nothing is imported from the source folders by accident either.
    dependencies = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    result = subprocess.run(
        [sys.executable, "-S", "-c", SMOKE, str(site), str(tmp_path / "db.sqlite3")],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *dependencies])},
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"installed copy works from {site / 'journeykit'}" in result.stdout


def test_the_lowest_versions_ci_installs_are_pyproject_lower_bounds():
    """.ci/run tests the lowest allowed versions too; its list must follow pyproject.toml's ranges."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = {}
    for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        [lowest] = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        declared[canonicalize_name(requirement.name)] = lowest
    pinned = {}
    for line in (ROOT / ".ci" / "lowest-versions.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[canonicalize_name(name)] = version
    normal = lambda version: tuple(int(part) for part in version.split("."))  # noqa: E731 - 3.0 == 3.0.0
    assert set(pinned) == set(declared)
    assert {name: normal(version) + (0,) * (3 - len(normal(version))) for name, version in declared.items()} == {
        name: normal(version) for name, version in pinned.items()}
