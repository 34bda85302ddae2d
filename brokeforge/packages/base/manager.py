"""PackageManager: runs a package's steps over one SSH connection, recording each in the journal.

A step is a `str` (a shell command run on the server as the package's credential) or a
`PanelStep` (a callable run in the panel: a milestone, a database update). `commands()` only
builds that list, so what a package does is a pure function of its inputs and is unit-tested
from data; `install()`/`remove()` run it.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from brokeforge.packages.base.milestones import Milestones
from brokeforge.packages.base.package import Package
from brokeforge.packages.base.runner import runner
from brokeforge.packages.enums import CredentialType, PackageName, PackageType, ProvisionType
from brokeforge.servers.models import Server, ServerPackage, ServerPackageEvent
from brokeforge.ssh import CommandResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelStep:
    """A step that runs in the panel. `description` is what the journal and tests see."""

    description: str
    action: Callable[[], None]

    def __call__(self) -> None:
        self.action()


Step = str | PanelStep


class PackageManager(Package):
    provision_type: ProvisionType

    def __init__(self, server: Server) -> None:
        self.server = server
        # Values to mask wherever a command or its output is stored (passwords we generate, ...).
        self.secrets: set[str] = set()

    # -- steps ---------------------------------------------------------------------------------

    def track(self, milestone: Milestones) -> PanelStep:
        milestones = self.milestones()
        step, total = milestones.step_of(milestone), milestones.count_labels()

        def record() -> None:
            ServerPackageEvent.objects.create(
                server=self.server,
                job_id=runner().job_id,
                service_type=self.package_name().value,
                provision_type=self.provision_type.value,
                milestone=milestone.value,
                label=milestone.label,
                current_step=step,
                total_steps=total,
            )

        return PanelStep(f"{milestone.label} (step {step} of {total})", record)

    def persist(
        self,
        package_type: PackageType,
        package_name: PackageName,
        version: str,
        configuration: dict[str, Any] | None = None,
    ) -> PanelStep:
        """Upsert the server_packages row: the panel's record of what is on the server."""

        def upsert() -> None:
            self._upsert_package(package_type, package_name, version, configuration or {})

        return PanelStep(f"Record {package_name.label} {version} as installed", upsert)

    def persist_installed(
        self,
        package_type: PackageType,
        package_name: PackageName,
        debian_package: str,
        configuration: dict[str, Any] | None = None,
    ) -> PanelStep:
        """Like persist(), with the version the server's dpkg reports, not the one we hoped for."""

        def query_and_upsert() -> None:
            result = self.query(f"dpkg-query -W -f='${{Version}}' {shlex.quote(debian_package)}")
            config = {"debian_package": debian_package, **(configuration or {})}
            self._upsert_package(package_type, package_name, result.stdout.strip(), config)

        return PanelStep(f"Record {package_name.label} as installed (version from dpkg)", query_and_upsert)

    def forget(self, package_type: PackageType, package_name: PackageName) -> PanelStep:
        """Removers: delete the server_packages row once the package is gone from the server."""

        def delete() -> None:
            self.server.packages.filter(package_type=package_type, package_name=package_name).delete()

        return PanelStep(f"Record {package_name.label} as removed", delete)

    def panel(self, description: str, action: Callable[[], None]) -> PanelStep:
        return PanelStep(description, action)

    # -- running -------------------------------------------------------------------------------

    def run_steps(self, steps: Sequence[Step]) -> None:
        self.credential_type()  # fails loudly on a package without its ServerPackage/SitePackage marker
        active = runner()
        with active.section(type(self).__name__):
            for step in steps:
                if isinstance(step, str):
                    self._run(step)
                else:
                    active.panel_step(step.description, step.action)

    def _run(self, command: str) -> CommandResult:
        return runner().command(self.server, self.credential_type(), command, secrets=frozenset(self.secrets))

    def query(self, command: str, credential: CredentialType | None = None) -> CommandResult:
        """Run a command whose output a panel step reads (never skipped on retry)."""
        return runner().command(
            self.server,
            credential or self.credential_type(),
            command,
            secrets=frozenset(self.secrets),
            skippable=False,
        )

    def _upsert_package(
        self,
        package_type: PackageType,
        package_name: PackageName,
        version: str,
        configuration: dict[str, Any],
    ) -> None:
        ServerPackage.objects.update_or_create(
            server=self.server,
            package_type=package_type.value,
            package_name=package_name.value,
            defaults={
                "package_version": version,
                "configuration": configuration,
                "status": "installed",
            },
        )
