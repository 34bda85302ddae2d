"""A job whose commands tick on the server: each alive tick is a line the server itself stamps.

`TICKS` gets "<command> <epoch seconds>" every 0.1 s while a command runs, so when two commands
were alive is read from the server's clock, not the panel's. Workers import this module by its
dotted path, as they import any job.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from itertools import pairwise

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Milestones, PackageInstaller, PackageJob, ServerPackage, Step
from brokeforge.servers.models import Server
from tests.testbed import BootedServer

TICKS = "/root/ticks"
PIDS = "/root/pids"


def tick(name: str, seconds: float) -> str:
    """Tick for `seconds`; first note the shell's PID, so a test can see the command is gone."""
    return (
        f"echo {name} $$ >> {PIDS}; "
        f"for i in $(seq {round(seconds * 10)}); do echo {name} $(date +%s.%N) >> {TICKS}; sleep 0.1; done"
    )


class TickInstallerMilestones(Milestones):
    TICK = "tick", "Ticking"
    COMPLETE = "complete", "Ticked"


class TickInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[TickInstallerMilestones]:
        return TickInstallerMilestones

    def execute(self, tag: str, seconds: float) -> None:
        self.install(self.commands(tag, seconds))

    def commands(self, tag: str, seconds: float) -> list[Step]:
        return [
            self.track(TickInstallerMilestones.TICK),
            tick(f"{tag}-1", seconds),
            tick(f"{tag}-2", 0.5),
            self.track(TickInstallerMilestones.COMPLETE),
        ]


class TickJob(PackageJob):
    """Two ticking commands: `seconds` long, then half a second."""

    def __init__(self, server: Server, tag: str, seconds: float) -> None:
        super().__init__(server, tag, seconds)
        self.tag, self.seconds = tag, seconds

    def run(self) -> None:
        TickInstaller(self.server).execute(self.tag, self.seconds)


class QuickTickJob(TickJob):
    timeout = 2  # far less than its first command needs


def alive(srv: BootedServer) -> dict[str, tuple[float, float]]:
    """{command: (first tick, last tick)} as the server recorded them."""
    seen: dict[str, list[float]] = defaultdict(list)
    for line in srv.run(f"cat {TICKS} 2>/dev/null || true").stdout.splitlines():
        name, stamp = line.split()
        seen[name].append(float(stamp))
    return {name: (min(stamps), max(stamps)) for name, stamps in seen.items()}


def assert_never_overlapped(srv: BootedServer) -> dict[str, tuple[float, float]]:
    intervals = alive(srv)
    ordered = sorted(intervals.items(), key=lambda item: item[1])
    for (first, (_, first_end)), (second, (second_start, _)) in pairwise(ordered):
        assert second_start > first_end, f"{second} ticked while {first} still did: {ordered}"
    return intervals


def still_running(srv: BootedServer, name: str) -> bool:
    """Whether the shell of command `name` still runs on the server."""
    pids = srv.run(
        f"awk '$1 == {shlex.quote(name)} {{ print $2 }}' {PIDS} 2>/dev/null || true"
    ).stdout.split()
    return any(srv.run(f"kill -0 {pid}", check=False).returncode == 0 for pid in pids)
