"""Run one command in a site's directory as the site's own Linux user (the seeds' single command
executor): its output, error output, exit code and duration are handed back and kept by the job."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from brokeforge.lib.enums import PackageName, PackageType
from brokeforge.packages.base import Command, PackageInstaller, SitePackage, Step
from brokeforge.packages.base.runner import runner
from brokeforge.packages.services.sites.command.milestones import SiteCommandInstallerMilestones as M
from brokeforge.ssh import CommandFailed, CommandResult

MAX_TIMEOUT_SECONDS = 3600


def check_request(command: str, timeout: int) -> None:
    """Refuse, with a message for the user, a command that cannot run."""
    if not command.strip():
        raise ValueError("Cannot execute an empty command.")
    if not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"Timeout must be between 1 and {MAX_TIMEOUT_SECONDS} seconds, got {timeout}.")


@dataclass(frozen=True)
class CommandRun:
    command: str
    output: str
    error_output: str
    exit_code: int
    ran_at: str
    duration_ms: int


class SiteCommandInstaller(PackageInstaller, SitePackage):
    def package_name(self) -> PackageName:
        return PackageName.SITE_COMMAND

    def package_type(self) -> PackageType:
        return PackageType.SITE

    def milestones(self) -> type[M]:
        return M

    def execute(self, command: str, timeout: int = 120) -> CommandRun:
        check_request(command, timeout)
        self._run: CommandRun | None = None
        self.install(self.commands(command, timeout))
        assert self._run is not None
        return self._run

    def commands(self, command: str, timeout: int) -> list[Step]:
        assert self.site is not None
        return [
            self.track(M.PREPARE_EXECUTION),
            self.track(M.RUN_COMMAND),
            Command(
                command,
                site_user=self.site.system_user,
                cwd=self.site.path,
                timeout=timeout,
                check=False,  # its exit code is the result, recorded before the job says how it went
                on_result=lambda result: self._keep(command, result),
            ),
            self.panel("Record the command's result", self._record),
            self.panel("Check the command's exit code", self._check),
            self.track(M.COMPLETE),
        ]

    def _keep(self, command: str, result: CommandResult) -> None:
        self._run = CommandRun(
            command=command,
            output=result.stdout,
            error_output=result.stderr,
            exit_code=result.exit_code,
            ran_at=datetime.fromtimestamp(result.started_at, UTC).isoformat(),
            duration_ms=result.duration_ms,
        )

    def _record(self) -> None:
        assert self._run is not None
        runner().record_result(asdict(self._run))

    def _check(self) -> None:
        assert self._run is not None
        if self._run.exit_code != 0:
            raise CommandFailed(self._run.command, self._run.exit_code, self._run.error_output[-2000:])
