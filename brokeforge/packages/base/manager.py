"""PackageManager: runs a package's steps over one SSH connection, recording each in the journal.

A step is a `str` (a shell command run on the server as the package's credential), a `Command`
(a shell command that says how it runs) or a `PanelStep` (a callable run in the panel: a
milestone, a database update). `commands()` only builds that list, so what a package does is a
pure function of its inputs and is unit-tested from data; `install()`/`remove()` run it.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from brokeforge.lib.enums import CredentialType, PackageStatus, ProvisionType
from brokeforge.lib.redact import redact
from brokeforge.packages.base.command import Command
from brokeforge.packages.base.milestones import Milestones
from brokeforge.packages.base.package import Package, SitePackage
from brokeforge.packages.base.records import Records, ServerRecords, SiteRecords
from brokeforge.packages.base.runner import runner
from brokeforge.servers.models import Server
from brokeforge.sites.models import Site
from brokeforge.ssh import CommandResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelStep:
    """A step that runs in the panel. `description` is what the journal and tests see."""

    description: str
    action: Callable[[], None]

    def __call__(self) -> None:
        self.action()


Step = str | Command | PanelStep


class PackageManager(Package):
    provision_type: ClassVar[ProvisionType]
    # The status an inventory row shows while this manager works on it.
    working_status: ClassVar[PackageStatus]

    def __init__(self, server: Server, site: Site | None = None) -> None:
        self.server = server
        self.site = site
        # Values this package masks wherever the job stores text; job-wide once registered.
        self.secrets: set[str] = set()
        self._event_ids: list[int] = []

    def secret(self, value: str) -> str:
        """Register a value as secret for the whole job (masked in every stored text); returns it."""
        self.secrets.add(value)
        active = _active_runner()
        if active is not None:
            active.secrets.add(value)
        return value

    def records(self) -> Records:
        """The marker decides the tables: a site package's events and rows belong to its site."""
        if isinstance(self, SitePackage):
            if self.site is None:
                raise ValueError(f"{type(self).__name__} is a site package: give it the site it works on.")
            return SiteRecords(self.site)
        self.credential_type()  # fails loudly on a package without its ServerPackage/SitePackage marker
        return ServerRecords(self.server)

    def kind(self) -> tuple[str, str]:
        return self.package_type().value, self.package_name().value

    # -- steps ---------------------------------------------------------------------------------

    def track(self, milestone: Milestones) -> PanelStep:
        milestones = self.milestones()
        step, total = milestones.step_of(milestone), milestones.count_labels()

        def record() -> None:
            event_id = self.records().event(
                job_id=runner().job_id,
                service_type=self.package_name().value,
                provision_type=self.provision_type.value,
                milestone=milestone.value,
                label=milestone.label,
                current_step=step,
                total_steps=total,
            )
            self._event_ids.append(event_id)

        return PanelStep(f"{milestone.label} (step {step} of {total})", record)

    def persist(
        self, version: str, configuration: dict[str, Any] | None = None, *, instance: str = ""
    ) -> PanelStep:
        """Record this package as installed: the panel's record of what is on the server."""

        def record() -> None:
            self.records().record(self.kind(), instance, version, configuration or {})

        return PanelStep(
            f"Record {' '.join(filter(None, [self._name(instance), version]))} as installed", record
        )

    def persist_installed(
        self, debian_package: str, configuration: dict[str, Any] | None = None, *, instance: str = ""
    ) -> PanelStep:
        """Like persist(), with the version the server's dpkg reports, not the one we hoped for."""

        def query_and_record() -> None:
            result = self.query(f"dpkg-query -W -f='${{Version}}' {shlex.quote(debian_package)}")
            config = {"debian_package": debian_package, **(configuration or {})}
            self.records().record(self.kind(), instance, result.stdout.strip(), config)

        return PanelStep(f"Record {self._name(instance)} as installed (version from dpkg)", query_and_record)

    def forget(self, *, instance: str = "") -> PanelStep:
        """Removers: the package is gone from the server, so is its record."""

        def forget() -> None:
            self.records().forget(self.kind(), instance)

        return PanelStep(f"Record {self._name(instance)} as removed", forget)

    def panel(self, description: str, action: Callable[[], None]) -> PanelStep:
        return PanelStep(description, action)

    def _name(self, instance: str) -> str:
        label = self.package_name().label
        return f"{label} {instance}" if instance else label

    # -- running -------------------------------------------------------------------------------

    def run_steps(self, steps: Sequence[Step], instance: str | None = None) -> None:
        """Run the steps in order. With an `instance`, its inventory row says what is going on."""
        records = self.records()
        active = runner()
        for value in self.secrets:
            active.secrets.add(value)
        self._event_ids = []
        if instance is not None:
            records.mark(self.kind(), instance, self.working_status, create=self.creates_row())
        try:
            with active.section(type(self).__name__):
                for step in steps:
                    if isinstance(step, PanelStep):
                        active.panel_step(step.description, step.action)
                    else:
                        self.run_command(step)
        except Exception as exc:
            if instance is not None:
                records.mark(self.kind(), instance, PackageStatus.FAILED, create=False)
            records.finish_events(self._event_ids, redact(str(exc) or type(exc).__name__, active.secrets))
            raise
        records.finish_events(self._event_ids, None)

    def creates_row(self) -> bool:
        return self.provision_type == ProvisionType.INSTALL

    def run_command(self, step: str | Command) -> CommandResult:
        command = Command(step) if isinstance(step, str) else step
        result = runner().command(self.server, command, self.credential_type())
        if command.on_result is not None:
            command.on_result(result)
        return result

    def download(self, remote_path: str, local_path: str) -> int:
        """Copy a file from the server into the panel, as the package's credential; its size."""
        return runner().download(self.server, remote_path, local_path, self.credential_type())

    def query(self, script: str, credential: CredentialType | None = None) -> CommandResult:
        """Run a command whose output a panel step reads (never skipped on retry)."""
        return self.run_command(Command(script, credential=credential, reads_output=True))


def _active_runner() -> Any:
    try:
        return runner()
    except RuntimeError:
        return None  # building commands outside a job (unit tests): registered when the steps run
