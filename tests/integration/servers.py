"""Run real ``python -m service serve`` processes for integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(url: str, spool: Path, *, chunk_lines: int = 20) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run a server process on ``url``; yield it and its base URL once it is ready."""
    port = _free_port()
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("THROUGHLINE_")},
                   "THROUGHLINE_DATABASE_URL": url, "THROUGHLINE_IMPORT_DIR": str(spool),
                   "THROUGHLINE_IMPORT_CHUNK_LINES": str(chunk_lines), "THROUGHLINE_IMPORT_WORKERS": "1",
                   "THROUGHLINE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "service", "serve", "--port", str(port)], cwd=ROOT,
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise AssertionError("the server did not become ready")
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)
