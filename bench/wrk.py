"""wrk, the load generator of ``scripts/bench``: the same threads, connections and duration for every row.

Each run gets a Lua script that spreads requests over a list of paths (or
posts beacons, or signed Stripe events read from a file) and, when wrk is
done, prints one ``BENCH-RESULT {json}`` line with the request count, the
duration, p50, p99 and wrk's error counts, so nothing is parsed from wrk's
human-readable report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Iterable

#: The same for every row: two client threads, sixteen keep-alive connections.
THREADS, CONNECTIONS = 2, 16
#: What browsers send (wrk sends no Accept-Encoding of its own).
HEADERS = {"Accept-Encoding": "gzip, deflate, br",
           "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"}

_COMMON = r"""
local headers = %(headers)s
for name, value in pairs(headers) do wrk.headers[name] = value end
local thread_count = 0
setup = function(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH-RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"status": %%d, "connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""

_GET = r"""
local paths = %(paths)s
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i + tid) %% #paths + 1])
end
"""

_BEACON = r"""
local products = %(products)s
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local visitor = string.format("wrk%%d-%%s-%%012d", tid, "%(nonce)s", i)
  local product = products[i %% #products + 1]
  local body = '{"visitor_id": "' .. visitor .. '", "events": [{"name": "product_viewed", "product_id": "' .. product .. '"}]}'
  return wrk.format("POST", "%(path)s", nil, body)
end
"""

_SIGNED = r"""
local signatures, bodies = {}, {}
init = function(args)
  local n, threads = 0, tonumber(args[2])
  for line in io.lines(args[1]) do
    if n %% threads == tid then
      local tab = line:find("\t", 1, true)
      signatures[#signatures + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    n = n + 1
  end
end
local i = 0
request = function()
  local k = i %% #bodies + 1
  i = i + 1
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json", ["Stripe-Signature"] = signatures[k]}, bodies[k])
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_installed() -> str:
    """wrk's path, installing Debian's package first if it is missing (as root, as .ci/run installs packages)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("Installing wrk from Debian ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still missing after apt-get install wrk")
    return found


def _lua(value: object) -> str:
    """A Lua literal of a string, a list of strings or a dict of strings (JSON strings are valid Lua strings here)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(json.dumps(item) for item in value) + "}"
    return json.dumps(value)


def get_script(paths: Iterable[str]) -> str:
    """GETs spread over ``paths`` (each thread starting at another one)."""
    return (_COMMON % {"headers": _lua(HEADERS)}) + (_GET % {"paths": _lua(list(paths))})


def beacon_script(path: str, products: Iterable[str], nonce: str) -> str:
    """POSTs of one ``product_viewed`` event each, every one from a new visitor (``nonce`` keeps runs apart)."""
    return (_COMMON % {"headers": _lua(HEADERS)}) + (_BEACON % {"products": _lua(list(products)), "nonce": nonce,
                                                               "path": path})


def signed_script(path: str) -> str:
    """POSTs of pre-signed bodies, read by ``init`` from the file given after ``--`` (``signature<TAB>body`` lines)."""
    return (_COMMON % {"headers": _lua(HEADERS)}) + (_SIGNED % {"path": path})


def run(base: str, script: str, seconds: int, *script_args: str) -> Result:
    """wrk -t2 -c16 for ``seconds`` against ``base`` with ``script``."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", file.name,
                   base]
        if script_args:
            command += ["--", *script_args]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(file.name)
    line = next((line for line in out.splitlines() if line.startswith("BENCH-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(line.removeprefix("BENCH-RESULT "))
    errors = {name: raw[name] for name in ("status", "connect", "read", "write", "timeout") if raw[name]}
    return Result(raw["requests"], raw["duration_us"] / 1e6, raw["p50_us"] / 1000, raw["p99_us"] / 1000, errors)
