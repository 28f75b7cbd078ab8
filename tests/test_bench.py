"""``scripts/bench`` cannot rot: its quick mode runs every row end to end (servers, seeding, wrk, Isso).

No figure is asserted (the machine is shared; CI's timings mean nothing):
only that every row ran, answered 2xx or 304, and nothing was written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from . import postgres

ROOT = Path(__file__).resolve().parent.parent
#: Every row scripts/bench prints for each database, in order.
SHOP_ROWS = [
    "shop route, JourneyKit not mounted", "shop route, JourneyKit mounted", "reviews list", "rating",
    "reviews fragment", "testimonials", "embed.js", "loyalty program", "referral program",
    "event beacon (POST)", "Stripe webhook (signed, distinct)", "event beacon floor (Flask, one INSERT)",
]


def _databases(config: pytest.Config) -> list[str]:
    if postgres.find_bin_dir() is not None:
        return ["PostgreSQL", "SQLite"]
    if config.getoption("--require-postgres"):
        pytest.fail("PostgreSQL is required (--require-postgres) but its server binaries were not found", pytrace=False)
    return ["SQLite"]


def test_the_quick_benchmark_runs_every_row_with_no_error(pytestconfig: pytest.Config) -> None:
    if shutil.which("wrk") is None and os.geteuid() != 0:
        pytest.skip("wrk is not installed and only root can apt-get install it")
    databases = _databases(pytestconfig)
    doc = ROOT / "docs" / "PERFORMANCE.md"
    before = doc.read_bytes() if doc.exists() else None
    done = subprocess.run(
        [str(ROOT / "scripts" / "bench"), "--quick", "--no-write", "--databases", ",".join(d.lower() for d in databases)],
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    rows = re.findall(r"^\| (.+?) \| (\w+) \| ([\d,]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", done.stdout, re.M)
    printed = [(endpoint, server) for endpoint, server, *_ in rows]
    expected = [("hello-world", "Flask"), *((row, db) for db in databases for row in SHOP_ROWS),
                ("Isso comment list", "Isso"), ("hello-world", "Flask")]
    assert printed == expected, done.stdout
    assert all(float(rate.replace(",", "")) > 0 for _, _, rate, *_ in rows), done.stdout
    assert "every response 2xx or 304" in done.stdout
    assert re.search(r"seeded 1,000 reviews over 10 products and 1,000 journey events in [\d.]+ s", done.stdout)
    assert (doc.read_bytes() if doc.exists() else None) == before  # --no-write


def test_each_size_keeps_its_section_and_the_growth_table_gains_a_column(tmp_path: Path) -> None:
    from bench import report
    from bench.wrk import Result

    doc = tmp_path / "PERFORMANCE.md"
    doc.write_text("# Performance\n\n<!-- growth -->\n<!-- /growth -->\n\n## Results\n", encoding="utf-8")

    def rows(rate: float) -> list[report.Row]:
        return [report.Row("hello-world", "Flask", Result(1000, 1.0, 1.0, 2.0, {})),
                report.Row("rating", "SQLite", Result(int(rate), 1.0, 3.0, 9.0, {}))]

    for size, rate in ((10_000, 700), (100_000, 600), (10_000, 500)):  # 10,000 measured again: replaced, not added
        report.write(doc, size=size, title=f"{size:,} rows", facts={"nproc": "2"}, seeding="SQLite 1.0 s",
                     rows=rows(rate), reference=1000)
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- bench rows=10000 -->") == 1 and text.count("<!-- bench rows=100000 -->") == 1
    assert "| rating | SQLite | 0.50 (9 ms) | 0.60 (9 ms) |" in text
    assert "| endpoint | server | 10,000 rows | 100,000 rows |" in text
