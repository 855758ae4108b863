"""How Throughline's processes run CPython's garbage collector: less often than by default.

Called once per process, never at import: by a server's lifespan, by an import's worker processes
as they start, and by the batch CLI (whose forked workers inherit it).
"""

from __future__ import annotations

import gc

__all__ = ["tune_garbage_collector"]

# Objects allocated between two collections of the youngest generation (CPython's default: 700).
_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect the youngest generation every 50,000 allocations rather than CPython's 700.

    With the default, full collections came often and each paused the whole process, with the
    write lock held whenever the pause caught the process's writer in a write, so every upsert
    queued meanwhile waited too. In process, 3,000 upserts on contacts-50k ran 7 full collections
    (0.64 s in all, the longest 162 ms) by default, and none with this threshold; served at 200
    upserts/s on SQLite (``bench/ingest_latency.py``), p99 went from 150-227 ms to 68-73 ms.
    An import's worker processes, which allocate as fast, run the same: 303,847 lines imported in
    55.0-59.0 s rather than 66.2-71.2 s (``bench/bulk_import.py``); the batch CLI resolved the same
    file in 35.1 s rather than 44.6-46.1 s (``bench/resolve.py``). Reference cycles are still
    collected, only later.
    """
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(young, _YOUNG_THRESHOLD), middle, oldest)
