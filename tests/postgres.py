"""A throwaway PostgreSQL cluster for the test session (see ../shared/RECIPES.md).

``initdb`` refuses to run as root, so as root the server binaries run as the
``postgres`` user, from ``/``, in a temporary folder that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import psycopg


def find_bin_dir() -> str | None:
    """The newest installed PostgreSQL's bin folder, or ``None``."""
    explicit = os.environ.get("PGBIN")
    if explicit and os.path.exists(os.path.join(explicit, "initdb")):
        return explicit
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def throwaway_cluster(bin_dir: str) -> Iterator[str]:
    """Start a private cluster; yield its server URL (no database part); stop and delete it."""
    tmp = tempfile.mkdtemp(prefix="journeykit-pg-", dir="/tmp")
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    data, port = os.path.join(tmp, "data"), free_port()
    run = lambda *cmd: subprocess.run(_as_postgres(list(cmd)), cwd="/", check=True, capture_output=True)  # noqa: E731
    run(f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
    options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    run(f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(tmp, "server.log"), "-w", "-t", "60", "start", "-o", options)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]), cwd="/", capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; return its SQLAlchemy URL."""
    with psycopg.connect(_libpq(server_url) + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(_libpq(server_url) + "/postgres", autocommit=True) as conn:
        for _ in range(50):
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1)


def empty_database(url: str) -> None:
    """Delete every row of every table but Alembic's version tables, and restart the id sequences."""
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        tables = [row[0] for row in conn.execute(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '%alembic%'"
        )]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _libpq(server_url: str) -> str:
    return server_url.replace("postgresql+psycopg://", "postgresql://", 1)
