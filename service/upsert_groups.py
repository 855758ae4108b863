"""Group commit for single upserts: those that queue for the write lock together are applied together.

Writes pass one at a time (``ingest.in_transaction``), and a single upsert holds the write lock
for its whole transaction: reading its region, resolving it, writing, committing. Under load the
upserts of one server process queue for that lock; instead of taking it once each, the first of
them waits for it, and once it holds it takes every upsert waiting at that moment (at most
``max_group``) and applies them in one transaction with one ``ingest.apply_change``: their regions
are read and resolved in one pass (a query per step of the search for all of them) and the
commit is paid once. The group is taken only once the lock is held, so that it also holds the
upserts that arrived while another process's write held the lock. An upsert that finds nothing
running goes alone, at once.

What is stored is what applying them one by one would store: resolution does not depend on the
order of the records (sequence neutrality). Two versions of one record never share a group; the
later one goes in the next, so the last one sent wins, as one by one. Each caller gets its own
record's outcome and the profile events that concern it (``_concerning``). When a group fails,
its upserts are applied one by one, so that one record's failure is its own caller's alone.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from resolvers.config import ResolverConfig
from resolvers.incremental import ProfileEvent
from service import ingest
from service.errors import BusyError
from service.metrics import Metrics, observe_change

__all__ = ["Applied", "UpsertGroups"]


@dataclass(frozen=True, slots=True)
class Applied:
    """One upsert's result: its record's outcome and the profile events that concern it."""

    record: ingest.RecordOutcome
    events: list[ProfileEvent]


@dataclass(slots=True)
class _Waiting:
    """An upsert queued for a group, and what became of it once its group ran."""

    prepared: ingest.Prepared
    deadline: float
    done: bool = False
    result: Applied | None = None
    error: Exception | None = None

    def finish(self, *, result: Applied | None = None, error: Exception | None = None) -> None:
        self.result, self.error, self.done = result, error, True


def _concerning(outcome: ingest.ChangeOutcome, record: ingest.RecordOutcome) -> list[ProfileEvent]:
    """Return the events of ``outcome`` about the profile ``record`` left or the one it is in now.

    A record the change left unchanged is concerned by none: re-sending identical content changes
    nothing, whatever the rest of its group did.
    """
    if record.status == "unchanged":
        return []
    ids = {record.profile_id, outcome.previous.get(record.key)} - {None}
    return [event for event in outcome.events if event.profile_id in ids or not ids.isdisjoint(event.related)]


@dataclass
class UpsertGroups:
    """The queue of one server process's single upserts, applied in groups (see the module doc)."""

    engine: Engine
    config: ResolverConfig
    metrics: Metrics | None = None
    max_group: int = 64
    wait_seconds: float = 30.0
    # How many groups of each size ran (the metric ``throughline_upsert_group_records`` counts them too).
    sizes: Counter[int] = field(default_factory=Counter, init=False)
    _queue: list[_Waiting] = field(default_factory=list, init=False)
    _running: bool = field(default=False, init=False)
    _condition: threading.Condition = field(default_factory=threading.Condition, init=False)

    @property
    def queued(self) -> int:
        """Return how many upserts wait for a group."""
        with self._condition:
            return len(self._queue)

    def upsert(self, prepared: ingest.Prepared) -> Applied:
        """Apply ``prepared`` in the next group; return its outcome, or raise what applying it raised.

        Raises ``BusyError`` when the write lock was not free within ``wait_seconds`` of the call.
        """
        waiting = _Waiting(prepared, deadline=time.monotonic() + self.wait_seconds)
        with self._condition:
            self._queue.append(waiting)
            while not waiting.done:
                if self._running:
                    self._condition.wait()
                    continue
                self._running = True
                self._condition.release()
                try:
                    self._run()
                finally:
                    self._condition.acquire()
                    self._running = False
                    self._condition.notify_all()
        if waiting.error is not None:
            raise waiting.error
        if waiting.result is None:
            raise AssertionError("a finished upsert has a result or an error")
        return waiting.result

    def _take(self) -> list[_Waiting]:
        """Take the next group off the queue, oldest first: one version of a record per group."""
        group: list[_Waiting] = []
        keys: set[tuple[str, str]] = set()
        rest: list[_Waiting] = []
        for waiting in self._queue:
            if len(group) < self.max_group and waiting.prepared.key not in keys:
                keys.add(waiting.prepared.key)
                group.append(waiting)
            else:
                rest.append(waiting)
        self._queue[:] = rest
        return group

    def _fill(self, group: list[_Waiting]) -> None:
        """Take the next group off the queue into ``group``, unless it holds one already."""
        if not group:
            with self._condition:
                group.extend(self._take())

    def _run(self) -> None:
        """Take the next group once the write lock is held, apply it and finish each of its upserts.

        Never raises for what applying raised.
        """
        group: list[_Waiting] = []
        try:
            self._apply(group)
        except BaseException as error:
            # Not an error of the write (those are each upsert's own): no caller may wait forever.
            for waiting in group:
                if not waiting.done:
                    waiting.finish(error=RuntimeError(f"the upsert's group was interrupted: {error!r}"))
            raise

    def _apply(self, group: list[_Waiting]) -> None:
        """Apply ``group`` in one transaction; an empty one is filled from the queue once the lock is held.

        A group taken in the transaction is taken once, however often the transaction is retried.
        """
        with self._condition:
            oldest = min((waiting.deadline for waiting in group or self._queue),
                         default=time.monotonic() + self.wait_seconds)
        started = time.perf_counter()
        wait = oldest - time.monotonic()

        def work(session: Session) -> ingest.ChangeOutcome:
            self._fill(group)
            return ingest.apply_change(session, upserts=[waiting.prepared for waiting in group], config=self.config)

        try:
            if wait <= 0:
                raise BusyError(f"the database was busy with other writes for {self.wait_seconds:g} s; retry later")
            outcome = ingest.in_transaction(self.engine, work, wait=wait)
        except Exception as error:  # noqa: BLE001 - each caller gets its own upsert's error
            self._fill(group)  # when the lock was never held: the upserts waiting now wait no longer
            if len(group) == 1:
                group[0].finish(error=error)
            elif isinstance(error, BusyError):
                for waiting in group:
                    waiting.finish(error=BusyError(str(error)))
            else:
                for waiting in group:
                    self._apply([waiting])
            return
        self.sizes[len(group)] += 1
        observe_change(self.metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="upsert")
        if self.metrics is not None:
            self.metrics.upsert_group_records.observe(len(group))
        records = {record.key: record for record in outcome.records}
        for waiting in group:
            record = records[waiting.prepared.key]
            events = outcome.events if len(group) == 1 else _concerning(outcome, record)
            waiting.finish(result=Applied(record=record, events=events))
