"""What ``scripts/bench`` prints and writes: the rows as a table, the machine, and docs/PERFORMANCE.md's sections.

docs/PERFORMANCE.md keeps one section per table size (``--rows N``), each
between ``<!-- bench rows=N -->`` markers with its figures also as JSON in a
comment; every write replaces that size's section and redraws the growth
table (the ratio to hello-world of each row at each size) from all of them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import pathlib
import platform
import re
import subprocess
import time
from dataclasses import dataclass

from bench.wrk import Result

#: Printed above the rows as they come.
HEADER = f"{'endpoint':36} {'server':10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'×hello':>6}  {'requests':>8}"
PACKAGES = ("Flask", "Werkzeug", "SQLAlchemy", "Flask-SQLAlchemy", "gunicorn", "psycopg")
GROWTH = re.compile(r"<!-- growth -->.*?<!-- /growth -->", re.S)


@dataclass(frozen=True)
class Row:
    endpoint: str
    server: str
    result: Result
    note: str = ""


def line(row: Row, reference: float | None) -> str:
    """One row as it is measured (``reference``: hello-world's req/s so far, if any)."""
    ratio = f"{row.result.rate / reference:6.2f}" if reference else "     -"
    return (f"{row.endpoint:36} {row.server:10} {row.result.rate:9.0f} {row.result.p50_ms:8.2f} "
            f"{row.result.p99_ms:8.2f} {ratio}  {row.result.requests:>8}")


def table(rows: list[Row], reference: float) -> str:
    """The Markdown table of a run, each req/s also as a ratio to ``reference``."""
    lines = ["| endpoint | server | req/s | p50 ms | p99 ms | × hello-world | notes |",
             "|---|---|---:|---:|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {row.endpoint} | {row.server} | {row.result.rate:,.0f} | {row.result.p50_ms:.2f} | "
                     f"{row.result.p99_ms:.2f} | {row.result.rate / reference:.2f} | {row.note} |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """The facts a reader needs to weigh the figures: cores, CPU, versions."""
    cpu = next((text.split(":", 1)[1].strip() for text in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if text.startswith("model name")), platform.processor() or "unknown")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found = re.search(r"wrk (\S+)", wrk.stdout + wrk.stderr)
    return {"nproc": str(len(os.sched_getaffinity(0))), "CPU": cpu, "Python": platform.python_version(),
            **{name: importlib.metadata.version(name) for name in PACKAGES}, "wrk": found[1] if found else "?"}


def write(doc: pathlib.Path, *, size: int, title: str, facts: dict[str, str], seeding: str, rows: list[Row],
          reference: float) -> None:
    """Replace size ``size``'s section of ``doc`` (or add it) and redraw the growth table."""
    key = f"rows={size}"
    data = [{"endpoint": row.endpoint, "server": row.server, "ratio": round(row.result.rate / reference, 3),
             "p99_ms": round(row.result.p99_ms, 2)} for row in rows]
    section = "\n".join([
        f"<!-- bench {key} -->",
        f"### {title}",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        + ", ".join(f"{name} {value}" for name, value in facts.items()) + ".",
        f"Seeding: {seeding}.",
        "",
        table(rows, reference),
        f"<!-- data {json.dumps(data)} -->",
        f"<!-- /bench {key} -->",
    ])
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(rf"<!-- bench {re.escape(key)} -->.*?<!-- /bench {re.escape(key)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(GROWTH.sub(lambda _: growth(text), text), encoding="utf-8")


def growth(text: str) -> str:
    """Each row's ratio to hello-world (and p99) at every size written so far: a cost that grows shows here."""
    sizes = {int(size): json.loads(data) for size, data in
             re.findall(r"<!-- bench rows=(\d+) -->.*?<!-- data (.*?) -->", text, re.S)}
    order = sorted(sizes)
    keys = list(dict.fromkeys((item["endpoint"], item["server"]) for size in order for item in sizes[size]
                              if item["endpoint"] != "hello-world"))  # 1 by definition (its other run: noise)
    lines = ["<!-- growth -->",
             "| endpoint | server | " + " | ".join(f"{size:,} rows" for size in order) + " |",
             "|---|---|" + "---:|" * len(order)]
    for endpoint, server in keys:
        cells = []
        for size in order:
            found = next((item for item in sizes[size] if (item["endpoint"], item["server"]) == (endpoint, server)), None)
            cells.append(f"{found['ratio']:.2f} ({found['p99_ms']:.0f} ms)" if found else "–")
        lines.append(f"| {endpoint} | {server} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "<!-- /growth -->"])


