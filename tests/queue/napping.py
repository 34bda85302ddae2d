"""A package that only naps in the panel: exercises the queue, lock and reaper without SSH."""

from __future__ import annotations

import time

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Milestones, PackageInstaller, PackageJob, ServerPackage, Step
from brokeforge.servers.models import Server


class NapInstallerMilestones(Milestones):
    NAP = "nap", "Napping"
    COMPLETE = "complete", "Rested"


class NapInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[NapInstallerMilestones]:
        return NapInstallerMilestones

    def execute(self, seconds: float) -> None:
        self.install(self.commands(seconds))

    def commands(self, seconds: float) -> list[Step]:
        return [
            self.track(NapInstallerMilestones.NAP),
            self.panel(f"nap {seconds}s", lambda: time.sleep(seconds)),
            self.track(NapInstallerMilestones.COMPLETE),
        ]


class NapJob(PackageJob):
    def __init__(self, server: Server, seconds: float) -> None:
        super().__init__(server, seconds)
        self.seconds = seconds

    def run(self) -> None:
        NapInstaller(self.server).execute(self.seconds)
