"""One cgroup per process tree the bed starts.

With no systemd as PID 1 on the test machine, every systemd-nspawn would
otherwise start in the root cgroup, and the containers' systemd instances would
all manage the same cgroup paths and kill each other's services. So each
server (and apt-cacher-ng) is started by a shell that first moves itself into
its own cgroup and then execs the real program.

Which hierarchies matter was found by experiment on a cgroup-v1 "hybrid" host
(systemd 252): nspawn takes the container's cgroup path from the unified
(v2) hierarchy and mirrors it in name=systemd, so a process placed only in
name=systemd still gets ``payload``/``supervisor`` cgroups at the unified root,
shared by every container. Placing it in both hierarchies gives each container
its own subtree. On a pure cgroup-v2 host the one hierarchy is enough.
Resource controllers (memory, cpu...) are left alone on purpose: the test
machine's own accounting keeps covering everything the bed starts.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import time
from pathlib import Path

from tests.testbed.config import CGROUP_NAME, CGROUP_ROOT
from tests.testbed.errors import TestbedError
from tests.testbed.procs import log, signal_pids, wait_gone


def hierarchies() -> list[Path]:
    """The cgroup hierarchies a container must be placed in, in this host's layout."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():  # pure cgroup v2
        return [CGROUP_ROOT]
    found = [p for p in (CGROUP_ROOT / "unified", CGROUP_ROOT / "systemd") if p.is_dir()]
    if not (CGROUP_ROOT / "systemd" / "cgroup.procs").exists():
        raise TestbedError(
            f"no name=systemd cgroup hierarchy at {CGROUP_ROOT}/systemd: systemd-nspawn "
            "needs one on a cgroup-v1 host (mount -t cgroup -o none,name=systemd cgroup "
            f"{CGROUP_ROOT}/systemd)"
        )
    return found


def group_dirs(rel: str) -> list[Path]:
    """The cgroup REL (e.g. "slot0/bftb0-10") under the bed's cgroup, in every hierarchy."""
    return [h / CGROUP_NAME / rel for h in hierarchies()]


def create(rel: str) -> list[Path]:
    """Make a fresh, empty cgroup REL in every hierarchy (removing a leftover first)."""
    destroy(rel)
    dirs = group_dirs(rel)
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


def launcher(dirs: list[Path]) -> list[str]:
    """argv prefix: a shell that joins DIRS, then execs the command that follows.

    Joining from the child itself (rather than writing its PID from Python
    after it started) means not one instruction of the program runs in the
    shared root cgroup.
    """
    joins = " && ".join(f"echo $$ > {shlex.quote(str(d / 'cgroup.procs'))}" for d in dirs)
    return ["sh", "-c", f'{joins} && exec "$@"', "sh"]


def pids(dirs: list[Path]) -> set[int]:
    """Every PID in DIRS and their descendant cgroups."""
    found: set[int] = set()
    for d in dirs:
        if not d.is_dir():
            continue
        for procs in d.rglob("cgroup.procs"):
            try:
                found.update(int(line) for line in procs.read_text().split())
            except OSError:
                continue  # the cgroup went away while we walked
    return found


def kill_all(dirs: list[Path], timeout: float = 10.0) -> None:
    """SIGKILL every process in DIRS (all started by the bed) and wait for them to go."""
    for _ in range(5):  # a forking process can add PIDs while we kill
        found = pids(dirs)
        if not found:
            return
        log.info("killing leftover processes %s in %s", sorted(found), dirs[0])
        signal_pids(found, signal.SIGKILL)
        still = wait_gone(found, timeout)
        if still:
            raise TestbedError(f"processes {still} in {dirs[0]} survived SIGKILL")


def remove_tree(d: Path, timeout: float = 10.0) -> None:
    """rmdir D and its child cgroups, deepest first (cgroups must be empty to go)."""
    if not d.is_dir():
        return
    subdirs = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(p.parts))
    for sub in [*reversed(subdirs), d]:
        _rmdir_retrying(sub, timeout)


def _rmdir_retrying(d: Path, timeout: float) -> None:
    # A cgroup whose last process just exited can stay busy for a moment.
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(d)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() >= deadline:
                raise TestbedError(f"cannot remove cgroup {d}: {exc}") from exc
            time.sleep(0.05)


def destroy(rel: str) -> None:
    """Kill whatever is left in cgroup REL (and below) and remove it, in every hierarchy."""
    dirs = group_dirs(rel)
    kill_all(dirs)
    for d in dirs:
        remove_tree(d)
