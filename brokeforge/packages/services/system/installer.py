"""Prepare a fresh server: wait for apt, update, install the base tools, add swap where allowed."""

from __future__ import annotations

import shlex

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.lib.templates import render
from brokeforge.packages.base import PackageInstaller, ServerPackage, Step
from brokeforge.packages.base.shell import APT_GET, apt_install
from brokeforge.packages.services.system.milestones import SystemInstallerMilestones as M

BASE_PACKAGES = ["ca-certificates", "curl", "gnupg", "git", "unzip", "sudo", "cron"]
APT_WAIT_SECONDS = 600
SWAP_MB = 1024
SWAPPINESS = 10


class SystemInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.SYSTEM

    def package_type(self) -> PackageType:
        return PackageType.SYSTEM

    def milestones(self) -> type[M]:
        return M

    def execute(self, stack: list[str]) -> None:
        self.install(self.commands(stack))

    def commands(self, stack: list[str]) -> list[Step]:
        """`stack`: the packages the next provisioning steps install, fetched here in the same
        apt run as the base tools: one dpkg transaction instead of one per service."""
        wait = render("system/wait-for-apt.sh.j2", seconds=APT_WAIT_SECONDS)
        swap = render("system/swap.sh.j2", size_mb=SWAP_MB, swappiness=SWAPPINESS)
        return [
            self.track(M.WAIT_FOR_APT),
            f"sh -c {shlex.quote(wait)}",
            self.track(M.UPDATE_PACKAGES),
            f"{APT_GET} update",
            self.track(M.INSTALL_BASE_PACKAGES),
            apt_install([*BASE_PACKAGES, *stack]),
            self.track(M.CONFIGURE_SWAP),
            f"sh -c {shlex.quote(swap)}",
            self.track(M.COMPLETE),
        ]
