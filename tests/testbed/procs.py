"""Running host commands and ending processes by PID."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence

from tests.testbed.errors import TestbedError

log = logging.getLogger("brokeforge.testbed")


def run(
    cmd: Sequence[str], *, check: bool = True, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    """Run a host command with no stdin; raise TestbedError with its stderr on failure."""
    log.debug("run: %s", " ".join(cmd))
    result = subprocess.run(
        list(cmd),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise TestbedError(f"{' '.join(cmd)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def pid_alive(pid: int) -> bool:
    """True while PID exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            # The state follows the ")" that ends the command name.
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def signal_pids(pids: Iterable[int], sig: signal.Signals) -> None:
    """Send SIG to each PID; ones that already exited are ignored."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until none of PIDS is alive; return the ones still alive at TIMEOUT."""
    remaining = list(pids)
    deadline = time.monotonic() + timeout
    while remaining:
        remaining = [pid for pid in remaining if pid_alive(pid)]
        if not remaining or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return remaining


def stop_popen(proc: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    """SIGTERM a child we started, then SIGKILL it if it outlives TIMEOUT."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("%s (pid %d) ignored SIGTERM for %.0fs; killing it", name, proc.pid, timeout)
        proc.kill()
        proc.wait(timeout=10)
