"""Helpers shared by the benchmarks: a fresh migrated SQLite runtime, timing, peak memory."""

from __future__ import annotations

import resource
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.runtime import Casework
from casework.storage.schema import migrate


def runtime(url: str) -> Casework:
    """casework as deployed on the database at `url`, its schema migrated to the newest revision."""
    cw = bootstrap(Settings(database_url=url))
    migrate(cw.engine)
    return cw


def fresh_runtime(directory: str | None = None, name: str = "bench.db") -> Casework:
    folder = Path(directory or tempfile.mkdtemp(prefix="casework-bench-"))
    return runtime(f"sqlite:///{folder / name}")


@contextmanager
def timed(result: dict, key: str):
    start = time.perf_counter()
    yield
    result[key] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM; ru_maxrss would include a forking parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def free_port() -> int:
    """A port nothing listens on now, on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in_client(app, username: str):
    """A Flask test client with a server-side session for `username`, without the (deliberately slow) password check."""
    from flask.json.tag import TaggedJSONSerializer

    from casework.access import sessions, users

    cw = app.extensions["casework"]
    live = sessions.start(cw, users.get_user(cw, username))
    sessions.save_data(cw, live.token, TaggedJSONSerializer().dumps({"_user_id": username, "_fresh": True}))
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], live.token)
    return client
