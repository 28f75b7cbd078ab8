"""A throwaway MariaDB server for the test session (see ../shared/RECIPES.md).

Debian's ``mariadb-server`` is started privately on a free port, as the
current user, in a temporary folder; the server speaks MySQL's protocol, so
it also stands for MySQL 8 (the README's table says where the two differ).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

import pymysql

from .postgres import free_port

SERVER_BINARIES = ("/usr/sbin/mariadbd", "/usr/sbin/mysqld")


def find_server() -> str | None:
    """The installed MariaDB server binary, or ``None``."""
    return next((path for path in SERVER_BINARIES if os.path.exists(path)), shutil.which("mariadbd"))


@contextmanager
def throwaway_server(server: str) -> Iterator[str]:
    """Start a private server; yield its URL (no database part); stop it and delete its files."""
    home = tempfile.mkdtemp(prefix="journeykit-mariadb-", dir="/tmp")
    data, scratch, port = os.path.join(home, "data"), os.path.join(home, "tmp"), free_port()
    os.mkdir(scratch)  # its own temporary tables: servers set up at once in a shared /tmp remove each other's
    user = ["--user=root"] if os.geteuid() == 0 else []
    installed = subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}", *user, "--auth-root-authentication-method=normal",
         "--skip-test-db", f"--tmpdir={scratch}"],
        capture_output=True,
    )
    if installed.returncode:
        raise RuntimeError(f"mariadb-install-db failed: {installed.stderr.decode()[-2000:]}")
    log = open(os.path.join(home, "server.log"), "wb")
    process = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={data}", f"--tmpdir={scratch}", *user, f"--port={port}", "--bind-address=127.0.0.1",
         f"--socket={home}/sock", f"--pid-file={home}/pid", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
         "--innodb-buffer-pool-size=256M", "--max-connections=300",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"],
        stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        _wait_until_up(port, process)
        yield f"mysql+pymysql://root@127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {process.returncode} before it answered")
        try:
            pymysql.connect(host="127.0.0.1", port=port, user="root").close()
            return
        except pymysql.err.OperationalError:
            time.sleep(0.1)
    raise RuntimeError("mariadbd did not answer within 30 s")


def _connect(server_url: str, database: str | None = None) -> pymysql.Connection:
    host_port = server_url.rsplit("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    return pymysql.connect(host=host, port=int(port), user="root", database=database, autocommit=True)


def create_database(server_url: str, name: str) -> str:
    """Create an empty utf8mb4 database on the server; return its SQLAlchemy URL."""
    with _connect(server_url) as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return f"{server_url}/{name}?charset=utf8mb4"


def drop_database(server_url: str, name: str) -> None:
    """Drop the database (MariaDB waits for open connections: engines are disposed first)."""
    with _connect(server_url) as conn, conn.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def empty_database(url: str) -> None:
    """Delete every row of every table but Alembic's version tables, and restart the ids.

    ``DELETE`` and resetting the counter of the tables that had rows is much
    faster than ``TRUNCATE``, which rebuilds every table's files.
    """
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with _connect(url.rsplit("/", 1)[0], name) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_name NOT LIKE %s", (name, "%alembic%"))
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET SESSION foreign_key_checks = 0, SESSION lock_wait_timeout = 10")
        for table in tables:
            if cursor.execute(f"DELETE FROM `{table}`"):
                cursor.execute(f"ALTER TABLE `{table}` AUTO_INCREMENT = 1")
