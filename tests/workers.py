"""Worker processes for tests: started like `brokeforge worker`, stopped by PID.

`start_worker` (a fixture, imported by the conftest of each tier that uses it) starts workers on
the test's own database, with short heartbeats so a stopped worker is noticed in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[1]

STALL_AFTER_SECONDS = 6
WORKER_TIMINGS = {
    "BROKEFORGE_JOB_HEARTBEAT": "1",
    "BROKEFORGE_JOB_STALL_AFTER": str(STALL_AFTER_SECONDS),
    # The stall limit must leave room for a write that waits out the database's lock timeout.
    "BROKEFORGE_DATABASE_LOCK_TIMEOUT": "3",
}


@dataclass
class Workers:
    env: dict[str, str]
    log_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, module: str = "brokeforge.cli") -> subprocess.Popen[bytes]:
        """A worker process; `module` is what `python -m` runs (a test's faulty worker)."""
        log = (self.log_dir / f"worker-{len(self.started)}.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", module, "worker"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.started.append(worker)
        return worker

    def stop(self) -> None:
        """SIGTERM every worker still running (a job in hand finishes first), then wait."""
        for worker in self.started:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.started:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        **WORKER_TIMINGS,
        "BROKEFORGE_DATABASE_URL": database_url(),
        "BROKEFORGE_HOME": str(settings.HOME),
        "PYTHONPATH": str(REPO),
    }
    workers = Workers(env, tmp_path)
    yield workers.start
    workers.stop()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until `predicate` holds; fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
