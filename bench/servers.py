"""gunicorn on loopback as the benchmarks run it: 2 workers × 4 threads (gthread), the app loaded once (--preload)."""

from __future__ import annotations

import contextlib
import os
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Iterator, NamedTuple

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: As the issue measures: two worker processes of four threads each.
WORKERS, THREADS = 2, 4


class Served(NamedTuple):
    base: str  #: ``http://127.0.0.1:<port>``
    pid: int  #: gunicorn's master process (its children are the workers)


@contextlib.contextmanager
def gunicorn(app: str, port: int, *, env: dict[str, str] | None = None, ready: str = "/",
             python: str = sys.executable, cwd: pathlib.Path = ROOT, settle: float = 1.5,
             log: pathlib.Path | None = None) -> Iterator[Served]:
    """Serve ``app`` (``module:factory()``) on ``127.0.0.1:port`` until the block ends.

    Waits until ``ready`` answers, then ``settle`` seconds more: keep-alive
    connections opened while only one worker is up would all stick to it.
    ``log``: the server's output goes there (appended) instead of the terminal.
    """
    command = [python, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", str(WORKERS), "-k", "gthread",
               "--threads", str(THREADS), "--preload", "--log-level", "warning", app]
    output = open(log, "ab") if log is not None else None  # noqa: SIM115  # closed below
    server = subprocess.Popen(command, cwd=cwd, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})},
                              stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(server, base + ready)
        time.sleep(settle)
        yield Served(base, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if output is not None:
            output.close()


def _wait(server: subprocess.Popen, url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, whatever the status
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def worker_cpu(master: int) -> dict[int, int]:
    """CPU time (clock ticks) each of the gunicorn master's workers has used so far, by pid."""
    spent = {}
    for child in pathlib.Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            fields = pathlib.Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        spent[int(child)] = int(fields[11]) + int(fields[12])  # utime + stime
    return spent
