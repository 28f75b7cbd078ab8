"""A throwaway Redis server for the rate-limit tests (Debian's redis-server, see ../shared/RECIPES.md)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import redis

from .postgres import free_port


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """Start a private, memory-only Redis on loopback; yield its ``redis://`` URI; stop it."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed"
    folder, port = tempfile.mkdtemp(prefix="journeykit-redis-"), free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    uri = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(uri).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield uri
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
