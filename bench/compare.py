"""JourneyKit against Flask's own ceiling and a peer, side by side: ``scripts/bench`` runs this.

    scripts/bench                      # 1,000,000 reviews / 10,000 products / 1,000,000 events, 5 s per row
    scripts/bench --rows 100000        # the same with 100,000 reviews over 1,000 products and 100,000 events
    scripts/bench --quick --no-write   # seconds: 1,000 reviews, 1 s per row (CI runs this)
    scripts/bench --rows 10000 --only webhook   # hello-world and the rows named so: to try one change quickly

On loopback, one server at a time, each under gunicorn (2 workers × 4
threads, gthread, --preload): (a) a Flask hello-world, (b) the demo shop
(examples/demoshop) with JourneyKit on a throwaway PostgreSQL cluster, then
on SQLite, each seeded in bulk (bench/seed.py), and beside it the same shop
with JourneyKit not mounted, (c) Isso in its own virtualenv with as many
comments on one thread as the busiest product has reviews.  wrk drives every
row the same way (-t2 -c16, the same duration) and each row's req/s is shown
as a ratio to the hello-world of the same run (the better of its two runs,
first and last).  The Stripe webhook row posts distinct
``checkout.session.completed`` events signed beforehand in Python and sent by
wrk's Lua from a file.  Every row's request is first sent once and must
answer 2xx or 304; wrk then counts errors (a status of 400 or more, socket
errors, timeouts), which must be none.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import apps, report, servers, wrk  # noqa: E402
from bench import isso_peer as isso  # noqa: E402
from bench import seed as seeding  # noqa: E402
from bench.report import Row  # noqa: E402
from tests import postgres  # noqa: E402

DOC = ROOT / "docs" / "PERFORMANCE.md"
API = "/journeykit/api/v1"
#: Reads spread over this many of the products (a random sample), each of them as busy as the busiest.
READ_PRODUCTS = 1000


@dataclass(frozen=True)
class Mode:
    plan: seeding.Plan
    seconds: int
    label: str

    @property
    def warm_up(self) -> int:
        """Seconds of each warm-up round before a read's measured run (none in quick mode): see :func:`warm_up`."""
        return 0 if self.label == "quick" else 2


#: A read's warm-up ends when a round's rate is no more than this share above the round before (after at least
#: the fewest rounds), or after the most rounds.
STEADY, FEWEST_ROUNDS, MOST_ROUNDS = 0.05, 3, 15


def mode_of(args: argparse.Namespace) -> Mode:
    if args.quick:
        plan, seconds, label = seeding.Plan(reviews=1000, products=10, events=1000), 1, "quick"
    else:
        rows = args.rows
        plan, seconds, label = seeding.Plan(reviews=rows, products=max(rows // 100, 10), events=rows), 5, "full"
    return Mode(plan, args.seconds or seconds, label)


@dataclass
class Run:
    mode: Mode
    rows: list[Row] = field(default_factory=list)
    hello: list[wrk.Result] = field(default_factory=list)
    seeding: dict[str, dict[str, float]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    #: The 1-minute load average when the run began: above 0.5 on 2 cores, something else was running too.
    load: float = field(default_factory=lambda: os.getloadavg()[0])
    #: The run's files: the servers' output (shown when a row fails, kept then), the signed webhook events.
    folder: pathlib.Path = field(default_factory=lambda: pathlib.Path(tempfile.mkdtemp(prefix="journeykit-bench-")))
    #: ``--only``: measure just the rows whose endpoint names hold one of these comma-separated texts (hello-world
    #: always runs).
    only: str = ""

    def wants(self, endpoint: str) -> bool:
        return any(text.strip().lower() in endpoint.lower() for text in self.only.split(","))

    @property
    def log(self) -> pathlib.Path:
        return self.folder / "servers.log"

    def fail(self, message: str) -> None:
        tail = self.log.read_text(errors="replace").splitlines()[-40:] if self.log.exists() else []
        raise SystemExit("\n".join([*tail, f"error: {message} (servers' output: {self.log})"]))

    @property
    def reference(self) -> float:
        """Hello-world's best req/s of the run."""
        return max(result.rate for result in self.hello)

    def table_rows(self) -> list[Row]:
        """Hello-world's first run, every other row, hello-world's last run."""
        hello = [Row("hello-world", "Flask", result, "first run" if n == 0 else "last run")
                 for n, result in enumerate(self.hello)]
        return hello[:1] + self.rows + hello[1:]


@dataclass(frozen=True)
class Target:
    """One row to measure: how to probe it once and the wrk script that loads it."""

    endpoint: str
    method: str
    path: str
    script: Callable[[], tuple[str, tuple[str, ...]]]
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


# -- probing and measuring ------------------------------------------------------

def probe(base: str, target: Target) -> int:
    """The status of one request as the row sends it (2xx or 304 required)."""
    request = urllib.request.Request(base + target.path, data=target.body, method=target.method,
                                     headers={**wrk.HEADERS, **target.headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


#: A run in which one worker did more than this share of the workers' CPU time is run again (see :func:`balanced`).
LOPSIDED = 0.8
#: How many times a row is run at most while its runs are lopsided (it happens to one run in four or so).
ATTEMPTS = 6
#: The note of a row whose every run was lopsided.
LOPSIDED_NOTE = "one worker took the load in every run: understated"


def measure(run: Run, served: servers.Served, server: str, target: Target) -> Row:
    base = served.base
    status = probe(base, target)
    if not (200 <= status < 300 or status == 304):
        run.fail(f"{target.endpoint} ({server}): {target.method} {target.path} answered {status}")
    if target.method == "GET" and run.mode.warm_up:  # a write's requests must each be new: no rehearsal for them
        warm_up(run, served, *target.script())
    result, even = balanced(run, served, target)
    row = Row(target.endpoint, server, result, target.note if even else "; ".join(filter(None, [target.note, LOPSIDED_NOTE])))
    print(report.line(row, run.reference if run.hello else None), flush=True)
    if row.result.errors:
        run.fail(f"{target.endpoint} ({server}): wrk counted errors {row.result.errors}")
    return row


def balanced(run: Run, served: servers.Served, target: Target) -> tuple[wrk.Result, bool]:
    """The row's measured run, run again (a new script each time: a write's requests stay new) when its
    connections landed mostly on one worker; and whether the last run was even.

    wrk opens its keep-alive connections at once and gunicorn's workers share one listening socket, so now
    and then one worker accepts nearly all of them: the other idles and the row reads a third to a half of
    its rate, whatever the app (the random drops of earlier runs, on every server alike).
    """
    for _ in range(ATTEMPTS):
        script, script_args = target.script()
        result, share = spread(served, script, run.mode.seconds, script_args)
        if share <= LOPSIDED:
            return result, True
        print(f"  ({target.endpoint}: one worker took {share:.0%} of the load; run again)", flush=True)
    return result, False


def spread(served: servers.Served, script: str, seconds: int, script_args: tuple[str, ...]) -> tuple[wrk.Result, float]:
    """One wrk run, and the share of the workers' CPU time the busiest worker took in it (0 if none was spent)."""
    before = servers.worker_cpu(served.pid)
    result = wrk.run(served.base, script, seconds, *script_args)
    after = servers.worker_cpu(served.pid)
    spent = [after[pid] - before[pid] for pid in before if pid in after]
    return result, max(spent) / sum(spent) if sum(spent) else 0.0


def warm_up(run: Run, served: servers.Served, script: str, script_args: tuple[str, ...]) -> None:
    """Load the row until it is steady: the state of a running shop, whose workers have started, connected and
    kept every product's body (each worker its own).

    Rounds of ``warm_up`` seconds while the rate still rises by more than :data:`STEADY` a round (first renders
    give way to kept bodies), between :data:`FEWEST_ROUNDS` and :data:`MOST_ROUNDS`: a fixed 2 s left reads
    spread over 1,000 products partly cold on a slower machine, which measured first renders instead.  A round
    whose connections landed on one worker does not count as steady: it left the other worker cold, and a
    measured run that then reached it read that worker's first renders (rows at 0.1–0.2 now and then).
    """
    before = 0.0
    for done in range(1, MOST_ROUNDS + 1):
        result, share = spread(served, script, run.mode.warm_up, script_args)
        if done >= FEWEST_ROUNDS and share <= LOPSIDED and result.rate <= before * (1 + STEADY):
            return
        before = result.rate if share <= LOPSIDED else 0.0  # no baseline: the next round may reach a cold worker


def gets(paths: list[str]) -> Callable[[], tuple[str, tuple[str, ...]]]:
    return lambda: (wrk.get_script(paths), ())


# -- the servers ------------------------------------------------------------------

def hello(run: Run) -> None:
    with servers.gunicorn("bench.apps:hello()", postgres.free_port(), log=run.log) as served:
        result = measure(run, served, "Flask", Target("hello-world", "GET", "/", gets(["/"]))).result
    run.hello.append(result)


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    """An empty database: a throwaway PostgreSQL cluster's, or a SQLite file in a temp folder."""
    if backend == "PostgreSQL":
        bin_dir = postgres.find_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL is not installed (apt-get install postgresql), or pass --databases sqlite")
        with postgres.throwaway_cluster(bin_dir) as server:
            yield postgres.create_database(server, "bench")
    else:
        with tempfile.TemporaryDirectory(prefix="journeykit-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"


def prepare(url: str, plan: seeding.Plan) -> tuple[dict[str, float], str]:
    """Create and migrate the demo shop's tables, seed ``plan``; returns seconds per table and the database's version."""
    from examples.demoshop import seed as demo_seed

    app = apps.shop(url)
    demo_seed.prepare(app, seed_if_empty=False)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        took = seeding.seed(db, plan)
        with db.engine.connect() as connection:
            version = connection.exec_driver_sql(
                "SHOW server_version" if db.engine.dialect.name == "postgresql" else "SELECT sqlite_version()").scalar()
        db.engine.dispose()
    return took, str(version)


def shop(run: Run, backend: str) -> None:
    plan = run.mode.plan
    with database(backend) as url:
        started = time.perf_counter()
        took, version = prepare(url, plan)
        run.seeding[backend] = took
        run.versions[backend] = version
        print(f"{backend}: seeded {plan.reviews:,} reviews over {plan.products:,} products and {plan.events:,} "
              f"journey events in {took['total']:.1f} s ({_took(took)}; with migrations "
              f"{time.perf_counter() - started:.1f} s)", flush=True)
        env = {"BENCH_DATABASE_URL": url}
        products = [seeding.sku(n) for n in random.Random(1).sample(range(plan.products), min(plan.products, READ_PRODUCTS))]
        images = [f"/images/{sku}.svg" for sku in products]
        route = Target("shop route, JourneyKit not mounted", "GET", images[0], gets(images), note=BOTH_RUNS)
        bare = measure_bare(run, env, backend, route)
        measured = []
        with servers.gunicorn("bench.apps:shop()", postgres.free_port(), env=env, ready="/journeykit/embed.js",
                              log=run.log) as served:
            for target in shop_targets(run, products, images):
                if run.wants(target.endpoint):
                    measured.append(measure(run, served, backend, target))
        bare += measure_bare(run, env, backend, route)
        run.rows += better_of_repeats(bare + measured) + measure_floor(run, env, backend, products)


#: The shop's own route is measured twice with JourneyKit and twice without (first and last): the better of each.
BOTH_RUNS = "the product picture; the better of 2 runs"


def measure_bare(run: Run, env: dict[str, str], backend: str, route: Target) -> list[Row]:
    """The shop's own route served by the same shop with JourneyKit not mounted (none when ``--only`` leaves it out)."""
    if not run.wants(route.endpoint):
        return []
    with servers.gunicorn("bench.apps:shop_without_journeykit()", postgres.free_port(), env=env,
                          ready=route.path, log=run.log) as bare:
        return [measure(run, bare, backend, route)]


def measure_floor(run: Run, env: dict[str, str], backend: str, products: list[str]) -> list[Row]:
    """The beacon's floor: the same POSTs to a Flask app that only stores each in one INSERT (``apps.beacon_floor``)."""
    target = beacon_target("event beacon floor (Flask, one INSERT)", "/events", products,
                           note="no checks, no journey: the least a stored beacon costs")
    if not run.wants(target.endpoint):
        return []
    with servers.gunicorn("bench.apps:beacon_floor()", postgres.free_port(), env=env, ready="/events",
                          log=run.log) as floor:
        return [measure(run, floor, backend, target)]


def beacon_target(endpoint: str, path: str, products: list[str], note: str) -> Target:
    """One ``product_viewed`` event a POST, each from a visitor new to the run (a nonce per script)."""
    probe_body = json.dumps({"visitor_id": "probe-visitor-0000000001",
                             "events": [{"name": "product_viewed", "product_id": products[0]}]}).encode()
    return Target(endpoint, "POST", path, lambda: (wrk.beacon_script(path, products, f"{time.time_ns()}"), ()),
                  body=probe_body, headers={"Content-Type": "application/json"}, note=note)


def better_of_repeats(rows: list[Row]) -> list[Row]:
    """Each endpoint once, where it first stood: the better of its runs."""
    best: dict[str, Row] = {}
    for row in rows:
        if row.endpoint not in best or row.result.rate > best[row.endpoint].result.rate:
            best[row.endpoint] = row
    return list(best.values())


def shop_targets(run: Run, products: list[str], images: list[str]) -> Iterator[Target]:
    from journeykit.widgets import EMBED_JS, assets

    plan = run.mode.plan
    mounted = Target("shop route, JourneyKit mounted", "GET", images[0], gets(images), note=BOTH_RUNS)
    yield mounted
    reviews = [f"{API}/products/{sku}/reviews?limit=10" for sku in products]
    yield Target("reviews list", "GET", reviews[0], gets(reviews), note=f"{plan.per_product} reviews each, 10 a page")
    ratings = [f"{API}/products/{sku}/rating" for sku in products]
    yield Target("rating", "GET", ratings[0], gets(ratings))
    fragments = [f"/journeykit/widgets/reviews?product={sku}" for sku in products]
    yield Target("reviews fragment", "GET", fragments[0], gets(fragments))
    yield Target("testimonials", "GET", f"{API}/testimonials", gets([f"{API}/testimonials"]))
    embed = f"/journeykit/embed.js?v={assets.version(assets.FOLDER, EMBED_JS)}"
    yield Target("embed.js", "GET", embed, gets([embed]), note="versioned URL, gzip accepted")
    yield Target("loyalty program", "GET", f"{API}/loyalty/program", gets([f"{API}/loyalty/program"]))
    yield Target("referral program", "GET", f"{API}/referrals/program", gets([f"{API}/referrals/program"]))
    yield mounted
    # the writes last: requests they leave in flight would slow the reads after them
    yield beacon_target("event beacon (POST)", f"{API}/events", products, note="a new visitor each")
    yield webhook_target(run, products)


def webhook_target(run: Run, products: list[str]) -> Target:
    """Signed ``checkout.session.completed`` events, each distinct, by seeded customers: made when the row starts.

    wrk sends them from a file (``signature<TAB>body`` per line) in turn; the
    pool holds more than the row can send at 1,000 events/s, and a repeat
    (a duplicate delivery, cheaper) would only come after it is used up.
    """
    from journeykit.testing import StripeEvents, signature_header

    plan, pool = run.mode.plan, run.folder / "events.tsv"
    count = min(1000 * run.mode.seconds, 30_000)
    rng, builder = random.Random(3), StripeEvents()

    def signed() -> bytes:
        event = builder.checkout_completed(customer_id=seeding.customer_id(rng.randrange(plan.customers) + 1),
                                           products=[rng.choice(products)])
        body = json.dumps(event).encode()
        return signature_header(body, apps.WEBHOOK_SECRET).encode() + b"\t" + body

    def script() -> tuple[str, tuple[str, ...]]:
        pool.write_bytes(b"\n".join(signed() for _ in range(count)) + b"\n")  # signed now: Stripe's 5-minute tolerance
        return wrk.signed_script("/journeykit/stripe/webhook"), (str(pool), str(wrk.THREADS))

    probe_signature, _, probe_body = signed().partition(b"\t")
    return Target("Stripe webhook (signed, distinct)", "POST", "/journeykit/stripe/webhook", script, body=probe_body,
                  headers={"Content-Type": "application/json", "Stripe-Signature": probe_signature.decode()},
                  note=f"pool of {count:,} distinct events, sent by wrk's Lua")


def peer(run: Run) -> None:
    """Isso's comment list: one thread with as many comments as the busiest product has reviews."""
    if not run.wants("Isso comment list"):
        return
    python = isso.ensure_venv()
    run.versions["Isso"] = isso.VERSION
    with tempfile.TemporaryDirectory(prefix="journeykit-isso-") as folder:
        port = postgres.free_port()
        settings = isso.configure(pathlib.Path(folder), f"http://127.0.0.1:{port}/")
        isso.fill(settings, run.mode.plan.per_product)
        env = {"ISSO_SETTINGS": str(settings)}
        with servers.gunicorn("isso.run:application", port, env=env, ready=isso.LIST, python=python,
                              cwd=pathlib.Path(folder), log=run.log) as served:
            run.rows.append(measure(run, served, "Isso", Target(
                "Isso comment list", "GET", isso.LIST, gets([isso.LIST]),
                note=f"{run.mode.plan.per_product} comments, 10 a page")))


# -- reporting --------------------------------------------------------------------

def _took(took: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in took.items() if name != "total")


def write(run: Run) -> None:
    """This size's section of docs/PERFORMANCE.md, with the machine, the versions and the seeding times."""
    plan = run.mode.plan
    facts = {**report.machine(), **run.versions,
             "per row": f"wrk -t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{run.mode.seconds}s",
             "load average at start": f"{run.load:.1f}"}
    seeded = "; ".join(f"{backend} {took['total']:.1f} s ({_took(took)})" for backend, took in run.seeding.items())
    report.write(DOC, size=plan.reviews, facts=facts, seeding=seeded, rows=run.table_rows(), reference=run.reference,
                 title=f"{plan.reviews:,} reviews over {plan.products:,} products, {plan.events:,} journey events")
    print(f"Wrote {DOC.relative_to(ROOT)} (rows={plan.reviews})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="seconds, small data (CI): 1,000 reviews, 1 s per row")
    parser.add_argument("--rows", type=int, choices=(10_000, 100_000, 1_000_000), default=1_000_000,
                        help="reviews and journey events (products: a hundredth)")
    parser.add_argument("--seconds", type=int, help="per row (default: 1 quick, 5 otherwise)")
    parser.add_argument("--databases", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--no-write", action="store_true", help=f"print only; do not update {DOC.relative_to(ROOT)}")
    parser.add_argument("--write", action="store_true", help="update the docs even in --quick mode")
    parser.add_argument("--only", default="", metavar="TEXT",
                        help="measure only the rows whose name holds TEXT, or one of several "
                             "comma-separated (e.g. webhook or 'reviews list,rating'); the docs are not written")
    args = parser.parse_args()
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
    backends = [names[name.strip()] for name in args.databases.split(",") if name.strip() in names]
    if len(backends) != len(args.databases.split(",")):
        parser.error(f"--databases: a comma-separated list of {', '.join(names)}")
    wrk.ensure_installed()
    run = Run(mode_of(args), only=args.only)
    started = time.perf_counter()
    print(report.HEADER, flush=True)
    hello(run)
    for backend in backends:
        shop(run, backend)
    peer(run)
    hello(run)
    shutil.rmtree(run.folder)
    print(f"\n{len(run.rows) + len(run.hello)} rows in {time.perf_counter() - started:.0f} s; every response 2xx or 304; "
          f"ratios to hello-world's best ({run.reference:,.0f} req/s)\n")
    print(report.table(run.table_rows(), run.reference))
    skipped = "--no-write" if args.no_write else "--only" if args.only else "--quick" if run.mode.label == "quick" else ""
    if skipped and not (skipped == "--quick" and args.write):
        print(f"\n{DOC.relative_to(ROOT)} not written ({skipped})")
    else:
        write(run)


if __name__ == "__main__":
    main()
