"""The queue write transactions wait in before they take the database's write lock.

Throughline writes one transaction at a time (``ingest.in_transaction``). Left to the database,
the waiting is wasteful on SQLite: a writer that finds the lock taken sleeps in SQLite's busy
handler for up to 100 ms between tries, so the lock often stands free while every writer sleeps.
Under steady load that halved the upserts a server could make, and the waits made the latency's tail.

A ``WriteGate`` makes writers wait where they are woken as soon as the lock is free:
- within one process, on a lock the threads take one at a time;
- across the processes of one SQLite database (uvicorn workers, an import, the CLI), on an
  exclusive ``flock`` of a file beside the database, which the kernel hands on when it is released.

A PostgreSQL database needs only the first: its own lock queue wakes waiters at once, and
queueing threads in process keeps them from holding a pooled connection while they wait.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["GateTimeoutError", "WriteGate", "lock_file_of"]


class GateTimeoutError(TimeoutError):
    """The gate was not free within the wait."""


def lock_file_of(database: str | None) -> Path | None:
    """Return the lock file of a SQLite database file (beside it), or None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}-writelock")


class _FileLock:
    """One process's exclusive ``flock`` of a file, taken with a deadline.

    ``flock`` cannot wait with a timeout, so a contended take waits in a helper thread; a take that
    times out leaves the helper to let go of the lock as soon as it gets it. Each take opens the
    file anew: a lock belongs to an open file, and an abandoned take must not hold the next one's.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def acquire(self, *, deadline: float) -> int:
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return descriptor
        except BlockingIOError:
            pass
        except BaseException:
            os.close(descriptor)
            raise
        taken = threading.Event()
        settled = threading.Lock()
        abandoned = False

        def wait() -> None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            except OSError:
                os.close(descriptor)
                return
            with settled:
                if abandoned:
                    os.close(descriptor)  # closing lets go of the lock
                else:
                    taken.set()

        threading.Thread(target=wait, name="throughline-write-gate", daemon=True).start()
        if taken.wait(max(0.0, deadline - time.monotonic())):
            return descriptor
        with settled:
            if taken.is_set():
                return descriptor
            abandoned = True
        raise GateTimeoutError(f"{self._path} stayed locked")

    @staticmethod
    def release(descriptor: int) -> None:
        os.close(descriptor)


class WriteGate:
    """Writers of one database pass one at a time, in the order the lock is handed on."""

    def __init__(self, lock_file: Path | None = None) -> None:
        self._threads = threading.Lock()
        self._file = _FileLock(lock_file) if lock_file is not None else None

    @contextmanager
    def held(self, *, wait: float) -> Iterator[float]:
        """Hold the gate for the block, waiting at most ``wait`` seconds; yield the seconds of wait left.

        Raises ``GateTimeoutError`` when it was not free in time.
        """
        deadline = time.monotonic() + wait
        if not self._threads.acquire(timeout=max(0.0, wait)):
            raise GateTimeoutError("another write of this process held the gate")
        try:
            descriptor = self._file.acquire(deadline=deadline) if self._file is not None else None
            try:
                yield max(0.0, deadline - time.monotonic())
            finally:
                if descriptor is not None:
                    _FileLock.release(descriptor)
        finally:
            self._threads.release()
