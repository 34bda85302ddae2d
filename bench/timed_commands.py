"""A package that runs N trivial commands, timing them from inside the job."""

from __future__ import annotations

import time

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Milestones, PackageInstaller, PackageJob, ServerPackage, Step
from brokeforge.servers.models import Server

timings: dict[str, float] = {}


class TimedInstallerMilestones(Milestones):
    RUN = "run", "Running trivial commands"
    COMPLETE = "complete", "Done"


class TimedInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[TimedInstallerMilestones]:
        return TimedInstallerMilestones

    def execute(self, count: int) -> None:
        self.install(self.commands(count))

    def commands(self, count: int) -> list[Step]:
        return [
            self.track(TimedInstallerMilestones.RUN),
            "true",  # opens the connection, outside the timed part
            self.panel("start clock", lambda: timings.__setitem__("start", time.perf_counter())),
            *["true"] * count,
            self.panel("stop clock", lambda: timings.__setitem__("end", time.perf_counter())),
            self.track(TimedInstallerMilestones.COMPLETE),
        ]


class TimedJob(PackageJob):
    def __init__(self, server: Server, count: int) -> None:
        super().__init__(server, count)
        self.count = count

    def run(self) -> None:
        TimedInstaller(self.server).execute(self.count)
