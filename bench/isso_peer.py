"""Isso (the open-source comment server, PyPI ``isso``), the peer ``scripts/bench`` compares the reviews list with.

Isso lives in its own virtualenv, ``.venv-isso``, so its pins never touch
JourneyKit's.  Its thread is filled through Isso's own database layer (run by
that venv's Python: ``.venv-isso/bin/python bench/isso_peer.py seed …``), and it is
served by gunicorn exactly as the shop is.  This module imports nothing from
JourneyKit: the seeding half runs under Isso's Python.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-isso"
PYTHON = VENV / "bin" / "python"
#: The version compared against (the newest on PyPI when the benchmark was written).
VERSION = "0.14.0"
#: The thread the comments are on, and the list request its embed sends, with the reviews list's page size.
URI = "/bench/thread/"
LIST = "/?uri=%2Fbench%2Fthread%2F&limit=10&nested_limit=5"

CONFIG = """[general]
dbpath = {db}
host = {host}
notify = stdout
log-file = {log}

[moderation]
enabled = false

[guard]
enabled = false

[server]
listen = http://127.0.0.1:0/
"""


def ensure_venv(python: str = "python3") -> str:
    """``.venv-isso``'s Python with Isso and gunicorn installed (pip runs only the first time)."""
    check = [str(PYTHON), "-c", f"import isso, gunicorn, importlib.metadata as m; assert m.version('isso') == '{VERSION}'"]
    if PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return str(PYTHON)
    print(f"Installing Isso {VERSION} into {VENV.name} (once) ...", flush=True)
    if not PYTHON.exists():
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"isso=={VERSION}",
                    "gunicorn"], check=True, stderr=subprocess.PIPE)
    return str(PYTHON)


def configure(folder: pathlib.Path, host: str) -> pathlib.Path:
    """Write Isso's settings (its database in ``folder``, moderation and rate limiting off) and return their path."""
    settings = folder / "isso.cfg"
    settings.write_text(CONFIG.format(db=folder / "comments.db", host=host, log=folder / "isso.log"))
    return settings


def fill(settings: pathlib.Path, comments: int) -> None:
    """``comments`` published top-level comments on :data:`URI`, written by Isso's own code under its venv."""
    subprocess.run([str(PYTHON), __file__, "seed", str(settings), str(comments)], check=True)


def _seed(settings: str, comments: int) -> None:
    from isso import config
    from isso.db import SQLite3

    conf = config.load(config.default_file(), settings)
    db = SQLite3(conf.get("general", "dbpath"), conf)
    db.threads.new(URI, "Bench thread")
    now = time.time()
    for number in range(comments):
        db.comments.add(URI, {"text": "Does what it says. " * 4, "author": f"Reader {number}", "email": None,
                              "website": None, "parent": None, "mode": 1, "remote_addr": "127.0.0.1",
                              "created": now - number * 60, "notification": 0})


if __name__ == "__main__" and sys.argv[1:2] == ["seed"]:
    _seed(sys.argv[2], int(sys.argv[3]))
