"""How far an import's applying phase has come, shared through a small file beside its spool.

Applying is one write transaction, so nothing it does is visible in the database until it
commits; the runner writes its progress to ``<spool>.applying`` instead (replaced atomically
after each batch), and ``GET /v1/imports/{id}`` reads it. Only a server on the host that runs the
job sees the file; elsewhere the progress is simply unknown.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ApplyProgress", "ApplyProgressFile", "read_apply_progress", "remove_apply_progress"]


@dataclass(frozen=True, slots=True)
class ApplyProgress:
    """Staged records resolved and written so far, of how many, since when (Unix time)."""

    applied: int
    total: int
    started: float


def _path(spool: Path) -> Path:
    return spool.with_name(spool.name + ".applying")


class ApplyProgressFile:
    """The progress file of one job's applying phase: written by the runner, removed when it ends."""

    def __init__(self, spool: Path) -> None:
        """Start the phase now; a file an earlier, killed run of it left is removed."""
        self.spool = spool
        self.path = _path(spool)
        self.partial = self.path.with_name(self.path.name + ".tmp")
        self.started = time.time()
        self.remove()

    def write(self, applied: int, total: int) -> None:
        """Record that ``applied`` of ``total`` records are done; a failure to write costs the report only."""
        text = json.dumps({"applied": applied, "total": total, "started": self.started})
        with suppress(OSError):
            self.partial.write_text(text, encoding="utf-8")
            os.replace(self.partial, self.path)

    def remove(self) -> None:
        """Remove the file (the phase ended, one way or another); a failure to remove costs the report only."""
        remove_apply_progress(self.spool)


def remove_apply_progress(spool: Path) -> None:
    """Remove the progress file of the job spooled at ``spool``, if there is one; a failure costs the report only."""
    path = _path(spool)
    for each in (path, path.with_name(path.name + ".tmp")):
        with suppress(OSError):
            each.unlink(missing_ok=True)


def read_apply_progress(spool: Path) -> ApplyProgress | None:
    """Return the progress the runner last wrote for the job spooled at ``spool``, or None if there is none here."""
    try:
        found = json.loads(_path(spool).read_text(encoding="utf-8"))
        return ApplyProgress(applied=int(found["applied"]), total=int(found["total"]), started=float(found["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
