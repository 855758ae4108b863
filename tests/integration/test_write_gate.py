"""The write gate: writers of one SQLite file pass one at a time, across threads and processes, with a deadline."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from service.write_gate import GateTimeoutError, WriteGate, lock_file_of

# Holds the gate of the lock file given as argv[1] until its standard input closes.
HOLDER = """
import sys
from service.write_gate import WriteGate
with WriteGate(__import__("pathlib").Path(sys.argv[1])).held(wait=30):
    print("held", flush=True)
    sys.stdin.read()
"""


def _holder(lock_file: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_file)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    assert holder.stdout is not None
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0
    holder.stdout.close()


def test_a_sqlite_file_has_a_lock_file_beside_it_and_a_memory_database_none(tmp_path: Path) -> None:
    assert lock_file_of(str(tmp_path / "t.db")) == tmp_path / "t.db-writelock"
    assert lock_file_of(None) is None
    assert lock_file_of(":memory:") is None


def test_a_writer_of_another_process_holding_the_gate_makes_this_one_time_out_then_pass(tmp_path: Path) -> None:
    lock_file = tmp_path / "t.db-writelock"
    gate = WriteGate(lock_file)
    holder = _holder(lock_file)
    try:
        with pytest.raises(GateTimeoutError), gate.held(wait=0.2):
            pytest.fail("the gate was held by another process")
    finally:
        _release(holder)

    # The timed-out take left a helper waiting for the lock: it lets go as soon as it gets it,
    # so the gate is free for this process and for others.
    with gate.held(wait=30) as left:
        assert left > 0
    _release(_holder(lock_file))


def test_a_waiting_writer_passes_once_the_other_process_lets_go(tmp_path: Path) -> None:
    lock_file = tmp_path / "t.db-writelock"
    holder = _holder(lock_file)
    passed = threading.Event()

    def write() -> None:
        with WriteGate(lock_file).held(wait=30):
            passed.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not passed.wait(0.3), "the writer passed while another process held the gate"
    finally:
        _release(holder)
    writer.join(30)
    assert passed.is_set()


@pytest.mark.parametrize("with_file", [True, False])
def test_threads_pass_one_at_a_time(tmp_path: Path, with_file: bool) -> None:
    gate = WriteGate(tmp_path / "t.db-writelock" if with_file else None)
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        for _ in range(20):
            with gate.held(wait=30):
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(n)
                time.sleep(0.0005)
                inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert overlaps == []
    assert inside == []
