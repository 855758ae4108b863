"""What the service benchmarks share: a throwaway database, an API key, and a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from service import keys  # noqa: E402
from service.db import make_engine, migrate  # noqa: E402

__all__ = ["ROOT", "api_key", "cpu_seconds", "fresh_database", "quantile", "running_server", "tree_stats"]


@contextmanager
def fresh_database(postgres: str | None, scratch: Path) -> Iterator[str]:
    """Yield the URL of a new, migrated database: a SQLite file in ``scratch``, or a PostgreSQL schema dropped after."""
    if not postgres:
        url = f"sqlite:///{scratch}/bench.db"
        migrate(url)
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        migrate(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def api_key(database: str, scopes: Sequence[str] = ("read", "write")) -> str:
    """Create an API key with ``scopes`` in ``database`` and return it."""
    engine = make_engine(database)
    try:
        with Session(engine) as session:
            key = keys.create_key(session, scopes=scopes, name="bench", actor="cli", request_id=None).key
            session.commit()
    finally:
        engine.dispose()
    return key


def quantile(ordered: Sequence[float], q: float) -> float:
    """Return the ``q`` quantile (0 to 1) of sorted values: the value at rank ``q * len``, the last at most."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def tree_stats(pid: int) -> list[list[str]]:
    """Return the ``/proc/<pid>/stat`` fields after the command name (Linux) of ``pid`` and its live descendants.

    Index 1 is the parent's id, 11 and 12 the user and system CPU ticks, 21 the resident pages.
    """
    stats: dict[int, list[str]] = {}
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        stats[int(entry.name)] = fields
        children[int(fields[1])].append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        if current in stats:
            found.append(stats[current])
            pending += children[current]
    return found


def cpu_seconds(pid: int) -> float:
    """Return the CPU seconds (user and system) that process ``pid`` and its live descendants have used.

    A benchmark prints it to show what each request costs the server, apart from the client's share
    of the same cores.
    """
    return sum(int(fields[11]) + int(fields[12]) for fields in tree_stats(pid)) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(database: str, *, workers: int = 1,
                   settings: Mapping[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``python -m service serve`` on ``database``; yield the process and its base URL once ready."""
    port = _free_port()
    environment = {**os.environ, "THROUGHLINE_DATABASE_URL": database, "THROUGHLINE_LOG_LEVEL": "WARNING",
                   **(settings or {})}
    server = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port),
                               "--workers", str(workers)], cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become ready")
        yield server, base
    finally:
        server.terminate()
        server.wait(timeout=60)
