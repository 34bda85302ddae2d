"""Provision a server from scratch: the seeds' numbered steps, each one or more dependent jobs.

Every step's status is kept in `server.provision` as it runs, so the panel shows which step is
running, which are done, and which failed. Each dependency runs as its own job class through
dispatch_sync (one job per instance: one per firewall rule), on this job's connection and lock.
"""

from __future__ import annotations

from collections.abc import Callable

from brokeforge.lib.enums import (
    PackageName,
    PackageType,
    PhpVersion,
    ProvisionStatus,
    ProvisionStep,
)
from brokeforge.packages.base import Milestones, PackageInstaller, ServerPackage, Step
from brokeforge.packages.services.brokeforge_user.jobs import BrokeforgeUserInstallerJob
from brokeforge.packages.services.connection.jobs import ConnectionInstallerJob
from brokeforge.packages.services.firewall.installer import UFW_PACKAGES
from brokeforge.packages.services.firewall.jobs import (
    FirewallInstallerJob,
    FirewallRuleInstallerJob,
)
from brokeforge.packages.services.nginx.installer import NGINX_PACKAGES
from brokeforge.packages.services.nginx.jobs import NginxInstallerJob
from brokeforge.packages.services.php.installer import php_packages
from brokeforge.packages.services.php.jobs import PhpInstallerJob
from brokeforge.packages.services.provision.milestones import ProvisionInstallerMilestones as M
from brokeforge.packages.services.sites.ssl.certbot import SSL_PACKAGES
from brokeforge.packages.services.system.jobs import SystemInstallerJob

WEB_PORTS = [(80, "HTTP"), (443, "HTTPS")]


class ProvisionInstaller(PackageInstaller, ServerPackage):
    def package_name(self) -> PackageName:
        return PackageName.PROVISION

    def package_type(self) -> PackageType:
        return PackageType.SERVER

    def milestones(self) -> type[Milestones]:
        return M

    def execute(self, php_version: PhpVersion) -> None:
        self.install(self.commands(php_version))

    def commands(self, php_version: PhpVersion) -> list[Step]:
        server = self.server
        # Every package the steps below install goes in with the system's, in one apt run; each
        # service's own install then finds it there and skips apt (see shell.apt_install).
        stack = [*UFW_PACKAGES, *php_packages(php_version), *NGINX_PACKAGES, *SSL_PACKAGES]

        def open_ports() -> None:
            for port, name in [(server.ssh_port, "SSH"), *WEB_PORTS]:
                FirewallRuleInstallerJob.dispatch_sync(server, port, name)

        actions: dict[ProvisionStep, Callable[[], None]] = {
            ProvisionStep.CONNECT: lambda: ConnectionInstallerJob.dispatch_sync(server),
            ProvisionStep.PREPARE_SYSTEM: lambda: SystemInstallerJob.dispatch_sync(server, *stack),
            ProvisionStep.BROKEFORGE_USER: lambda: BrokeforgeUserInstallerJob.dispatch_sync(server),
            ProvisionStep.FIREWALL: lambda: FirewallInstallerJob.dispatch_sync(server),
            ProvisionStep.FIREWALL_RULES: open_ports,
            ProvisionStep.PHP: lambda: PhpInstallerJob.dispatch_sync(server, php_version.value),
            ProvisionStep.NGINX: lambda: NginxInstallerJob.dispatch_sync(server, php_version.value),
        }
        steps: list[Step] = []
        for provision_step in ProvisionStep:
            steps += [
                self.track(M[provision_step.name]),
                self._provision_step(provision_step, actions[provision_step]),
            ]
        return [*steps, self.track(M["COMPLETE"])]

    def _provision_step(self, step: ProvisionStep, action: Callable[[], None]) -> Step:
        def run() -> None:
            self.server.set_provision_step(step, ProvisionStatus.INSTALLING)
            try:
                action()
            except Exception:
                self.server.set_provision_step(step, ProvisionStatus.FAILED)
                raise
            self.server.set_provision_step(step, ProvisionStatus.COMPLETED)

        return self.panel(f"{step.value}. {step.label}", run)
