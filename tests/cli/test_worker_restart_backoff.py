"""A worker that dies as soon as it starts is restarted after growing pauses, not in a tight loop."""

from __future__ import annotations

import subprocess
import sys
import time

from brokeforge.cli.serve import WorkerPool


class DyingPool(WorkerPool):
    def __init__(self) -> None:
        super().__init__(1)
        self.spawned = 0

    def command(self) -> list[str]:
        return [sys.executable, "-c", "raise SystemExit(3)"]

    def spawn(self) -> subprocess.Popen[bytes]:
        self.spawned += 1
        return super().spawn()


def test_restarts_of_a_worker_dying_young_back_off() -> None:
    pool = DyingPool()
    pool.start()
    try:
        time.sleep(6.5)
    finally:
        pool.stop()
    # Checked once a second and restarted at once, it would have started about 7 times; with
    # pauses of 1 s, then 2 s, then 4 s it starts 3 times in 6.5 s.
    assert 2 <= pool.spawned <= 4, pool.spawned
